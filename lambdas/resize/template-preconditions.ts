import {
  describeInstanceRefreshes,
  describeAutoScalingGroup,
  lifecycleHooks,
} from '../adapters/aws/auto-scaling-groups';
import { autoScalingClient, ec2Client, eksClient } from '../adapters/aws/clients';
import { describeNodegroup } from '../adapters/aws/eks-nodegroups';
import {
  describeLaunchTemplateVersion,
  probeCreateLaunchTemplateVersion,
  probeRunInstances,
  type LaunchTemplateVersion,
} from '../adapters/aws/launch-templates';
import type { NodeGroupConfig } from '../core/config/schema';
import { hasOptIn, OPT_IN_TAG } from '../core/resize/opt-in';
import {
  autoScalingGroupName,
  inService,
  membersOf,
  type TemplateRolloutCheck,
} from './template-rollout';

/*
 * The preconditions of an `asg` / `eks-managed` rollout, all checked before anything changes.
 */

const TERMINATING_HOOK = 'autoscaling:EC2_INSTANCE_TERMINATING';
const ACTIVE_REFRESH = new Set([
  'Pending',
  'InProgress',
  'Cancelling',
  'RollbackInProgress',
  'Baking',
]);
const OPT_IN = `${OPT_IN_TAG.key}=${OPT_IN_TAG.value}`;

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
