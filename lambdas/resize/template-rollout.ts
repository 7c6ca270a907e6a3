import {
  autoScalingGroupsWithTag,
  describeAutoScalingGroup,
  describeInstanceRefreshes,
  lifecycleHooks,
  startInstanceRefresh,
  type AutoScalingGroupInfo,
} from '../aws/auto-scaling-groups';
import { autoScalingClient, ec2Client, eksClient } from '../aws/clients';
import {
  describeNodegroup,
  describeNodegroupUpdate,
  updateNodegroupLaunchTemplate,
} from '../aws/eks-nodegroups';
import {
  createLaunchTemplateVersion,
  deleteLaunchTemplateVersion,
  describeLaunchTemplateVersion,
  probeCreateLaunchTemplateVersion,
  probeRunInstances,
  type LaunchTemplateVersion,
} from '../aws/launch-templates';
import { instancesWithTag } from '../aws/tagged-instances';
import type { NodeGroupConfig } from '../core/config/schema';
import { hasOptIn, OPT_IN_TAG } from '../core/resize/opt-in';

/*
 * The executor of `asg` and `eks-managed` groups: one new launch-template version with the new
 * instance type, rolled out by AWS (an instance refresh, or a node group update). Step Functions
 * calls checkTemplatePreconditions and startTemplateRollout once, then pollTemplateRollout until
 * it is no longer in progress; targets and handles are plain JSON between those invocations.
 */

interface TargetBase {
  region: string;
  launchTemplateId: string;
  launchTemplateName: string;
  /** The numbered version the group runs now; the new version copies it. */
  currentVersion: number;
  currentType: string;
  /** The in-service instances at the check: the nodes the rollout replaces. */
  memberInstanceIds: string[];
}

export type TemplateTarget =
  | (TargetBase & { kind: 'asg'; autoScalingGroupName: string })
  | (TargetBase & { kind: 'eks-managed'; clusterName: string; nodegroupName: string });

export type TemplateRolloutCheck =
  { ok: true; target: TemplateTarget } | { ok: false; reason: string };

export interface TemplateRolloutHandle {
  target: TemplateTarget;
  toType: string;
  newVersion: number;
  /** The instance refresh (`asg`) or node group update (`eks-managed`) rolling it out. */
  operationId: string;
  startedAt: string;
}

export type TemplateRolloutStatus = 'in-progress' | 'succeeded' | 'failed' | 'rolled-back';

export interface TemplateRolloutProgress {
  status: TemplateRolloutStatus;
  percentComplete: number | null;
  detail: string;
}

export interface TemplateGroupMember {
  id: string;
  type: string;
  zone: string;
  tags: Record<string, string>;
}

const TERMINATING_HOOK = 'autoscaling:EC2_INSTANCE_TERMINATING';
const ACTIVE_REFRESH = new Set([
  'Pending',
  'InProgress',
  'Cancelling',
  'RollbackInProgress',
  'Baking',
]);
const REFRESH_OUTCOME: Record<string, TemplateRolloutStatus> = {
  Successful: 'succeeded',
  RollbackSuccessful: 'rolled-back',
  Failed: 'failed',
  Cancelled: 'failed',
  RollbackFailed: 'failed',
};
const UPDATE_OUTCOME: Record<string, TemplateRolloutStatus> = {
  Successful: 'succeeded',
  Failed: 'failed',
  Cancelled: 'failed',
};
const OPT_IN = `${OPT_IN_TAG.key}=${OPT_IN_TAG.value}`;

const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
const refuse = (reason: string): TemplateRolloutCheck => ({ ok: false, reason });

/**
 * Whether the group's launch template may be changed to `toType`, checked entirely before
 * anything is changed: the opt-in tag, a launch template referenced by a numbered version that
 * sets the instance type, the rights a template change needs (probed with DryRun), a drain for
 * `asg` groups, and no refresh or update already under way. A refusal names every problem found
 * and how to fix it.
 */
export async function checkTemplatePreconditions(
  group: NodeGroupConfig,
  region: string,
  toType: string,
): Promise<TemplateRolloutCheck> {
  switch (group.kind) {
    case 'asg':
      return checkAutoScalingGroup(group, region, toType);
    case 'eks-managed':
      return checkNodegroup(group, region, toType);
    default:
      return refuse(`kind "${group.kind}" is not resized through a launch template`);
  }
}

async function autoScalingGroupName(
  group: NodeGroupConfig,
  region: string,
): Promise<{ name: string } | { problem: string }> {
  const { autoScalingGroupName: name, tag } = group.selector;
  if (name) return { name };
  if (!tag) return { problem: 'kind "asg" needs selector.autoScalingGroupName or selector.tag' };
  const names = await autoScalingGroupsWithTag(autoScalingClient(region), tag);
  const [only, ...others] = names;
  if (only && others.length === 0) return { name: only };
  return {
    problem: !only
      ? `no Auto Scaling group in ${region} carries the tag ${tag.key}=${tag.value}`
      : `several Auto Scaling groups carry the tag ${tag.key}=${tag.value} (${names.join(', ')}): name one in selector.autoScalingGroupName`,
  };
}

const inService = (group: AutoScalingGroupInfo) =>
  group.instances
    .filter((i) => i.lifecycleState === 'InService')
    .map((i) => i.id)
    .sort((a, b) => a.localeCompare(b));

async function checkAutoScalingGroup(
  group: NodeGroupConfig,
  region: string,
  toType: string,
): Promise<TemplateRolloutCheck> {
  const located = await autoScalingGroupName(group, region);
  if ('problem' in located) return refuse(located.problem);
  const name = located.name;
  const autoScaling = autoScalingClient(region);
  const asg = await describeAutoScalingGroup(autoScaling, name);
  if (!asg) return refuse(`there is no Auto Scaling group ${name} in ${region}`);

  const problems: string[] = [];
  if (!hasOptIn(asg.tags)) {
    problems.push(
      `the group does not carry the opt-in tag ${OPT_IN}: tag it to let drpilot change its launch template`,
    );
  }
  const template = asg.launchTemplate;
  let version: LaunchTemplateVersion | null = null;
  if (asg.launchConfigurationName) {
    problems.push(
      `the group uses launch configuration ${asg.launchConfigurationName}: move it to a launch template that sets InstanceType`,
    );
  } else if (asg.mixedInstances) {
    const overrides = asg.mixedInstances.overrides.filter(Boolean);
    problems.push(
      overrides.length > 0
        ? `the group's MixedInstancesPolicy overrides the instance type (${overrides.join(', ')}), and overrides beat the template's type: change the overrides instead, or reference the launch template directly`
        : 'the group uses a MixedInstancesPolicy: drpilot rolls out groups that reference their launch template directly',
    );
  } else if (!template) {
    problems.push('the group has no launch template: give it one that sets InstanceType');
  } else if (!/^\d+$/.test(template.version)) {
    problems.push(
      `the group references launch template ${template.name || template.id} as ${template.version}: point it at a numbered version, since AutoRollback can only go back to a numbered version`,
    );
  } else {
    const checked = await checkTemplate(region, template.id, template.version, toType, 'asg');
    problems.push(...checked.problems);
    version = checked.version;
  }
  if (!(await lifecycleHooks(autoScaling, name)).some((h) => h.transition === TERMINATING_HOOK)) {
    problems.push(
      `the group has no lifecycle hook for ${TERMINATING_HOOK}: an instance refresh does not drain nodes by itself, so install a termination handler that drains on that hook (aws-node-termination-handler in queue mode, for instance)`,
    );
  }
  const active = (await describeInstanceRefreshes(autoScaling, name)).find((r) =>
    ACTIVE_REFRESH.has(r.status),
  );
  if (active) {
    problems.push(`instance refresh ${active.id} is ${active.status}: wait until it has ended`);
  }

  if (problems.length > 0 || !version) {
    return refuse(`cannot resize Auto Scaling group ${name}: ${problems.join('; ')}`);
  }
  return {
    ok: true,
    target: {
      kind: 'asg',
      region,
      autoScalingGroupName: name,
      ...targetTemplate(version),
      memberInstanceIds: inService(asg),
    },
  };
}

async function checkNodegroup(
  group: NodeGroupConfig,
  region: string,
  toType: string,
): Promise<TemplateRolloutCheck> {
  const selector = group.selector.eks;
  if (!selector)
    return refuse('kind "eks-managed" needs selector.eks: { clusterName, nodegroupName }');
  const { clusterName, nodegroupName } = selector;
  const nodegroup = await describeNodegroup(eksClient(region), clusterName, nodegroupName);
  if (!nodegroup) {
    return refuse(
      `there is no node group ${nodegroupName} in EKS cluster ${clusterName} (${region})`,
    );
  }

  const problems: string[] = [];
  if (!hasOptIn(nodegroup.tags)) {
    problems.push(
      `the node group does not carry the opt-in tag ${OPT_IN}: tag it to let drpilot change its launch template`,
    );
  }
  if (nodegroup.status === 'UPDATING') {
    problems.push('an update of the node group is in progress: wait until it has ended');
  } else if (nodegroup.status !== 'ACTIVE') {
    problems.push(
      `the node group is ${nodegroup.status}, not ACTIVE: resolve the health issues EKS reports for it first`,
    );
  }
  let version: LaunchTemplateVersion | null = null;
  if (!nodegroup.launchTemplate) {
    problems.push(
      'the node group was created without a launch template, and EKS updates a node group with a launch template only if it was created with one: create a node group with a launch template that sets InstanceType',
    );
  } else if (nodegroup.instanceTypes.length > 0) {
    problems.push(
      `the node group sets instanceTypes itself (${nodegroup.instanceTypes.join(', ')}), and EKS then refuses a type in the launch template: create a node group whose launch template sets InstanceType and whose instanceTypes is empty`,
    );
  } else {
    const { id, version: current } = nodegroup.launchTemplate;
    const checked = await checkTemplate(region, id, current, toType, 'eks-managed');
    problems.push(...checked.problems);
    version = checked.version;
  }

  if (problems.length > 0 || !version) {
    return refuse(
      `cannot resize node group ${nodegroupName} of ${clusterName}: ${problems.join('; ')}`,
    );
  }
  return {
    ok: true,
    target: {
      kind: 'eks-managed',
      region,
      clusterName,
      nodegroupName,
      ...targetTemplate(version),
      memberInstanceIds: (await membersOf(region, nodegroup.autoScalingGroups)).map((m) => m.id),
    },
  };
}

const targetTemplate = (version: LaunchTemplateVersion) => ({
  launchTemplateId: version.launchTemplateId,
  launchTemplateName: version.launchTemplateName,
  currentVersion: version.versionNumber,
  currentType: version.instanceType ?? '',
});

/** The template version sets a type other than `toType`, and drpilot may launch and version it. */
async function checkTemplate(
  region: string,
  launchTemplateId: string,
  versionRef: string,
  toType: string,
  kind: 'asg' | 'eks-managed',
): Promise<{ version: LaunchTemplateVersion | null; problems: string[] }> {
  const ec2 = ec2Client(region);
  const version = await describeLaunchTemplateVersion(ec2, launchTemplateId, versionRef);
  if (!version) {
    return {
      version: null,
      problems: [`launch template ${launchTemplateId} has no version ${versionRef}`],
    };
  }
  const template = `launch template ${version.launchTemplateName || launchTemplateId} version ${version.versionNumber}`;
  if (!version.instanceType) {
    return {
      version: null,
      problems: [
        `${template} does not set InstanceType: set the type in the template, where drpilot changes it`,
      ],
    };
  }
  if (version.instanceType === toType) {
    return { version: null, problems: [`${template} already sets ${toType}`] };
  }
  const problems: string[] = [];
  if (kind === 'asg' && version.imageId?.startsWith('resolve:ssm:')) {
    problems.push(
      `${template} takes its AMI from a Systems Manager parameter (${version.imageId}), and AutoRollback cannot go back to such a template: set an AMI id`,
    );
  }
  // EKS launches a nodegroup's instances with its own service-linked role, from templates that
  // usually name no AMI (EKS supplies it): a RunInstances probe would neither apply nor run.
  const launch =
    kind === 'asg'
      ? await probeRunInstances(ec2, launchTemplateId, version.versionNumber, toType)
      : ({ allowed: true } as const);
  if (!launch.allowed) {
    const passRole = version.instanceProfile
      ? ` and iam:PassRole for the role of instance profile ${version.instanceProfile}`
      : '';
    problems.push(
      launch.code === 'UnauthorizedOperation'
        ? `drpilot may not launch from ${template} with ${toType}: grant it ec2:RunInstances${passRole} (RunInstances dry run: UnauthorizedOperation)`
        : `launching from ${template} with ${toType} would fail (RunInstances dry run: ${refusalText(launch)})`,
    );
  }
  const create = await probeCreateLaunchTemplateVersion(ec2, {
    launchTemplateId,
    sourceVersion: version.versionNumber,
    instanceType: toType,
    description: 'drpilot rights probe',
  });
  if (!create.allowed) {
    problems.push(
      create.code === 'UnauthorizedOperation'
        ? `drpilot may not create versions of launch template ${launchTemplateId}: grant it ec2:CreateLaunchTemplateVersion there (drpilot's deployed role allows it on templates tagged ${OPT_IN}) (dry run: UnauthorizedOperation)`
        : `creating a version of launch template ${launchTemplateId} would fail (dry run: ${refusalText(create)})`,
    );
  }
  return { version, problems };
}

const refusalText = (answer: { code: string; message: string }) =>
  `${answer.code}: ${answer.message}`;

/**
 * Creates the new template version and hands it to AWS: an instance refresh with AutoRollback
 * and SkipMatching (`asg`), or a node group update (`eks-managed`). When AWS refuses the rollout
 * the new version is deleted again before the error is thrown, so nothing is left half done.
 */
export async function startTemplateRollout(
  target: TemplateTarget,
  toType: string,
  reason: string,
): Promise<TemplateRolloutHandle> {
  const ec2 = ec2Client(target.region);
  const newVersion = await createLaunchTemplateVersion(ec2, {
    launchTemplateId: target.launchTemplateId,
    sourceVersion: target.currentVersion,
    instanceType: toType,
    description: `drpilot: ${target.currentType} → ${toType}: ${reason}`,
  });
  let operationId: string;
  try {
    operationId =
      target.kind === 'asg'
        ? await startInstanceRefresh(
            autoScalingClient(target.region),
            target.autoScalingGroupName,
            { launchTemplateId: target.launchTemplateId, version: newVersion },
            { AutoRollback: true, SkipMatching: true, MinHealthyPercentage: 90 },
          )
        : await updateNodegroupLaunchTemplate(
            eksClient(target.region),
            target.clusterName,
            target.nodegroupName,
            { id: target.launchTemplateId, version: newVersion },
          );
  } catch (error) {
    const what = target.kind === 'asg' ? 'StartInstanceRefresh' : 'UpdateNodegroupVersion';
    const created = `version ${newVersion} of launch template ${target.launchTemplateId}`;
    const cleanupError = await deleteLaunchTemplateVersion(
      ec2,
      target.launchTemplateId,
      newVersion,
    ).then(
      () => null,
      (e: unknown) => e,
    );
    throw new Error(
      cleanupError === null
        ? `${what} failed (${errorText(error)}); ${created} was deleted again`
        : `${what} failed (${errorText(error)}), and deleting ${created} failed too (${errorText(cleanupError)}): delete it by hand`,
      { cause: error },
    );
  }
  return { target, toType, newVersion, operationId, startedAt: new Date().toISOString() };
}

/** Where the rollout stands; AWS's statuses mapped to four, with a sentence for people. */
export async function pollTemplateRollout(
  handle: TemplateRolloutHandle,
): Promise<TemplateRolloutProgress> {
  const { target, operationId, newVersion, toType } = handle;
  const landed = `runs ${toType} from launch template version ${newVersion}`;
  if (target.kind === 'asg') {
    const name = target.autoScalingGroupName;
    const [refresh] = await describeInstanceRefreshes(autoScalingClient(target.region), name, [
      operationId,
    ]);
    if (!refresh) {
      return {
        status: 'failed',
        percentComplete: null,
        detail: `instance refresh ${operationId} of ${name} is not known to Auto Scaling`,
      };
    }
    const status = REFRESH_OUTCOME[refresh.status] ?? 'in-progress';
    const percent =
      refresh.percentageComplete === null ? '' : `, ${refresh.percentageComplete}% complete`;
    const why = refresh.statusReason ? ` (${refresh.statusReason})` : '';
    const outcome =
      status === 'succeeded'
        ? `: the group ${landed}`
        : status === 'rolled-back'
          ? `: the group is back on version ${target.currentVersion} (${target.currentType})`
          : '';
    return {
      status,
      percentComplete: refresh.percentageComplete,
      detail: `instance refresh ${operationId} of ${name} is ${refresh.status}${percent}${why}${outcome}`,
    };
  }
  const update = await describeNodegroupUpdate(
    eksClient(target.region),
    target.clusterName,
    target.nodegroupName,
    operationId,
  );
  const status = UPDATE_OUTCOME[update.status] ?? 'in-progress';
  const errors = update.errors.length > 0 ? `: ${update.errors.join('; ')}` : '';
  return {
    status,
    percentComplete: null,
    detail: `update ${operationId} of node group ${target.nodegroupName} is ${update.status}${errors}${status === 'succeeded' ? `: the node group ${landed}` : ''}`,
  };
}

/**
 * The in-service instances of the group's Auto Scaling group (for `eks-managed`, the ones EKS
 * runs the node group in), for the planner and the metrics. Throws when the group is not found.
 */
export async function templateGroupMembers(
  group: NodeGroupConfig,
  region: string,
): Promise<TemplateGroupMember[]> {
  if (group.kind === 'asg') {
    const located = await autoScalingGroupName(group, region);
    if ('problem' in located) throw new Error(`node group ${group.id}: ${located.problem}`);
    return membersOf(region, [located.name]);
  }
  const selector = group.selector.eks;
  if (group.kind !== 'eks-managed' || !selector) {
    throw new Error(`node group ${group.id} is not an "asg" or "eks-managed" group`);
  }
  const nodegroup = await describeNodegroup(
    eksClient(region),
    selector.clusterName,
    selector.nodegroupName,
  );
  if (!nodegroup) {
    throw new Error(
      `node group ${group.id}: there is no node group ${selector.nodegroupName} in EKS cluster ${selector.clusterName} (${region})`,
    );
  }
  return membersOf(region, nodegroup.autoScalingGroups);
}

async function membersOf(region: string, groupNames: string[]): Promise<TemplateGroupMember[]> {
  const autoScaling = autoScalingClient(region);
  const ec2 = ec2Client(region);
  const members: TemplateGroupMember[] = [];
  for (const name of groupNames) {
    const asg = await describeAutoScalingGroup(autoScaling, name);
    if (!asg) throw new Error(`there is no Auto Scaling group ${name} in ${region}`);
    const ids = new Set(inService(asg));
    // Auto Scaling tags every instance it launches with its group's name.
    const instances = await instancesWithTag(ec2, {
      key: 'aws:autoscaling:groupName',
      value: name,
    });
    for (const instance of instances) {
      if (!ids.has(instance.id)) continue;
      members.push({
        id: instance.id,
        type: instance.type,
        zone: instance.availabilityZone ?? '',
        tags: instance.tags,
      });
    }
  }
  return members.sort((a, b) => a.id.localeCompare(b.id));
}
