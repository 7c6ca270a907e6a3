import type { NodeGroupConfig } from '../config/schema';
import { inServiceIds } from './auto-scaling-groups';
import { hasOptIn, OPT_IN_TAG } from './opt-in';
import type {
  AutoScalingGroupInfo,
  DryRunAnswer,
  InstanceRefreshInfo,
  LaunchTemplateRef,
  LaunchTemplateVersion,
  LifecycleHook,
  NodegroupInfo,
} from './template-observations';
import type { TemplateRolloutCheck } from './template-target';

/*
 * The preconditions of an `asg` / `eks-managed` rollout, decided from what was observed before
 * anything changes. The observer (lambdas/resize/template-preconditions.ts) reads only what
 * `asgTemplate`, `nodegroupTemplate` and `dryRunsToAsk` name, so it decides nothing itself.
 */

/** What was read of the launch template version a rollout would copy. */
export interface TemplateVersionFacts {
  /** Null when the template or the version does not exist. */
  version: LaunchTemplateVersion | null;
  /** The dry-run answers `dryRunsToAsk` asked for; null when not asked. */
  runInstances: DryRunAnswer | null;
  createVersion: DryRunAnswer | null;
}

/** An `asg` group, read only as far as it exists. */
export interface AutoScalingGroupFacts {
  kind: 'asg';
  region: string;
  /** The group the selector names or its tag finds, or why there is none (nothing more is read). */
  located: { name: string } | { problem: string };
  /** Null when there is no group of that name (nothing more is read). */
  group: AutoScalingGroupInfo | null;
  /** The version `asgTemplate` named; null when it named none. */
  template: TemplateVersionFacts | null;
  hooks: LifecycleHook[];
  refreshes: InstanceRefreshInfo[];
}

/** An `eks-managed` group, read only as far as it exists. */
export interface NodegroupFacts {
  kind: 'eks-managed';
  region: string;
  /** `selector.eks` from the config; null when it is not set (nothing is read). */
  selector: { clusterName: string; nodegroupName: string } | null;
  /** Null when the cluster has no node group of that name (nothing more is read). */
  nodegroup: NodegroupInfo | null;
  /** The version `nodegroupTemplate` named; null when it named none. */
  template: TemplateVersionFacts | null;
  /** The in-service instances of the node group's Auto Scaling groups. */
  memberInstanceIds: string[];
}

export type TemplateGroupFacts =
  | AutoScalingGroupFacts
  | NodegroupFacts
  | { kind: Exclude<NodeGroupConfig['kind'], 'asg' | 'eks-managed'> };

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

/** The launch template an Auto Scaling group's rollout would version, or why the group rules it out. */
export function asgTemplate(
  asg: AutoScalingGroupInfo,
): { template: LaunchTemplateRef } | { problem: string } {
  const template = asg.launchTemplate;
  if (asg.launchConfigurationName) {
    return {
      problem: `the group uses launch configuration ${asg.launchConfigurationName}: move it to a launch template that sets InstanceType`,
    };
  }
  if (asg.mixedInstances) {
    const overrides = asg.mixedInstances.overrides.filter(Boolean);
    return {
      problem:
        overrides.length > 0
          ? `the group's MixedInstancesPolicy overrides the instance type (${overrides.join(', ')}), and overrides beat the template's type: change the overrides instead, or reference the launch template directly`
          : 'the group uses a MixedInstancesPolicy: drpilot rolls out groups that reference their launch template directly',
    };
  }
  if (!template) {
    return { problem: 'the group has no launch template: give it one that sets InstanceType' };
  }
  if (!/^\d+$/.test(template.version)) {
    return {
      problem: `the group references launch template ${template.name || template.id} as ${template.version}: point it at a numbered version, since AutoRollback can only go back to a numbered version`,
    };
  }
  return { template };
}

/** The launch template a node group's update would version, or why the node group rules it out. */
export function nodegroupTemplate(
  nodegroup: NodegroupInfo,
): { template: LaunchTemplateRef } | { problem: string } {
  if (!nodegroup.launchTemplate) {
    return {
      problem:
        'the node group was created without a launch template, and EKS updates a node group with a launch template only if it was created with one: create a node group with a launch template that sets InstanceType',
    };
  }
  if (nodegroup.instanceTypes.length > 0) {
    return {
      problem: `the node group sets instanceTypes itself (${nodegroup.instanceTypes.join(', ')}), and EKS then refuses a type in the launch template: create a node group whose launch template sets InstanceType and whose instanceTypes is empty`,
    };
  }
  return { template: nodegroup.launchTemplate };
}

/**
 * The dry runs that show whether drpilot may roll out `toType` from the version: none when the
 * version sets no type or sets `toType` already (refused anyway).
 */
export function dryRunsToAsk(
  kind: 'asg' | 'eks-managed',
  version: LaunchTemplateVersion,
  toType: string,
): { runInstances: boolean; createVersion: boolean } {
  const changesType = !!version.instanceType && version.instanceType !== toType;
  // EKS launches a nodegroup's instances with its own service-linked role, from templates that
  // usually name no AMI (EKS supplies it): a RunInstances probe would neither apply nor run.
  return { runInstances: changesType && kind === 'asg', createVersion: changesType };
}

/**
 * Whether the group's launch template may be changed to `toType`: the opt-in tag, a launch
 * template referenced by a numbered version that sets the instance type, the rights a template
 * change needs (the dry-run answers), a drain for `asg` groups, and no refresh or update already
 * under way. A refusal names every problem found and how to fix it.
 */
export function planTemplateRollout(
  facts: TemplateGroupFacts,
  toType: string,
): TemplateRolloutCheck {
  switch (facts.kind) {
    case 'asg':
      return planAutoScalingGroup(facts, toType);
    case 'eks-managed':
      return planNodegroup(facts, toType);
    default:
      return refuse(`kind "${facts.kind}" is not resized through a launch template`);
  }
}

function planAutoScalingGroup(facts: AutoScalingGroupFacts, toType: string): TemplateRolloutCheck {
  if ('problem' in facts.located) return refuse(facts.located.problem);
  const { name } = facts.located;
  const asg = facts.group;
  if (!asg) return refuse(`there is no Auto Scaling group ${name} in ${facts.region}`);

  const problems: string[] = [];
  if (!hasOptIn(asg.tags)) {
    problems.push(
      `the group does not carry the opt-in tag ${OPT_IN}: tag it to let drpilot change its launch template`,
    );
  }
  const checked = templateProblems('asg', asgTemplate(asg), facts.template, toType);
  problems.push(...checked.problems);
  if (!facts.hooks.some((h) => h.transition === TERMINATING_HOOK)) {
    problems.push(
      `the group has no lifecycle hook for ${TERMINATING_HOOK}: an instance refresh does not drain nodes by itself, so install a termination handler that drains on that hook (aws-node-termination-handler in queue mode, for instance)`,
    );
  }
  const active = facts.refreshes.find((r) => ACTIVE_REFRESH.has(r.status));
  if (active) {
    problems.push(`instance refresh ${active.id} is ${active.status}: wait until it has ended`);
  }

  const { version } = checked;
  if (problems.length > 0 || !version) {
    return refuse(`cannot resize Auto Scaling group ${name}: ${problems.join('; ')}`);
  }
  return {
    ok: true,
    target: {
      kind: 'asg',
      region: facts.region,
      autoScalingGroupName: name,
      ...targetTemplate(version),
      memberInstanceIds: inServiceIds(asg),
    },
  };
}

function planNodegroup(facts: NodegroupFacts, toType: string): TemplateRolloutCheck {
  if (!facts.selector) {
    return refuse('kind "eks-managed" needs selector.eks: { clusterName, nodegroupName }');
  }
  const { clusterName, nodegroupName } = facts.selector;
  const { nodegroup } = facts;
  if (!nodegroup) {
    return refuse(
      `there is no node group ${nodegroupName} in EKS cluster ${clusterName} (${facts.region})`,
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
  const checked = templateProblems(
    'eks-managed',
    nodegroupTemplate(nodegroup),
    facts.template,
    toType,
  );
  problems.push(...checked.problems);

  const { version } = checked;
  if (problems.length > 0 || !version) {
    return refuse(
      `cannot resize node group ${nodegroupName} of ${clusterName}: ${problems.join('; ')}`,
    );
  }
  return {
    ok: true,
    target: {
      kind: 'eks-managed',
      region: facts.region,
      clusterName,
      nodegroupName,
      ...targetTemplate(version),
      memberInstanceIds: facts.memberInstanceIds,
    },
  };
}

const targetTemplate = (version: LaunchTemplateVersion) => ({
  launchTemplateId: version.launchTemplateId,
  launchTemplateName: version.launchTemplateName,
  currentVersion: version.versionNumber,
  currentType: version.instanceType ?? '',
});

/**
 * The template's problems: the group's own (`asgTemplate` / `nodegroupTemplate`), or those of
 * the version it references. The version is returned when it sets a type other than `toType`.
 */
function templateProblems(
  kind: 'asg' | 'eks-managed',
  found: { template: LaunchTemplateRef } | { problem: string },
  facts: TemplateVersionFacts | null,
  toType: string,
): { version: LaunchTemplateVersion | null; problems: string[] } {
  if ('problem' in found) return { version: null, problems: [found.problem] };
  const { id: launchTemplateId, version: versionRef } = found.template;
  if (!facts) throw new Error(`launch template ${launchTemplateId} was not read`);
  const { version } = facts;
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
  const asked = dryRunsToAsk(kind, version, toType);
  const launch = asked.runInstances ? answer(facts.runInstances, 'RunInstances') : null;
  if (launch && !launch.allowed) {
    const passRole = version.instanceProfile
      ? ` and iam:PassRole for the role of instance profile ${version.instanceProfile}`
      : '';
    problems.push(
      launch.code === 'UnauthorizedOperation'
        ? `drpilot may not launch from ${template} with ${toType}: grant it ec2:RunInstances${passRole} (RunInstances dry run: UnauthorizedOperation)`
        : `launching from ${template} with ${toType} would fail (RunInstances dry run: ${refusalText(launch)})`,
    );
  }
  const create = answer(facts.createVersion, 'CreateLaunchTemplateVersion');
  if (!create.allowed) {
    problems.push(
      create.code === 'UnauthorizedOperation'
        ? `drpilot may not create versions of launch template ${launchTemplateId}: grant it ec2:CreateLaunchTemplateVersion there (drpilot's deployed role allows it on templates tagged ${OPT_IN}) (dry run: UnauthorizedOperation)`
        : `creating a version of launch template ${launchTemplateId} would fail (dry run: ${refusalText(create)})`,
    );
  }
  return { version, problems };
}

/** An answer `dryRunsToAsk` asked for; its absence is a bug in the observer, not a refusal. */
function answer(given: DryRunAnswer | null, operation: string): DryRunAnswer {
  if (!given) throw new Error(`the ${operation} dry run was not asked`);
  return given;
}

const refusalText = (denied: { code: string; message: string }) =>
  `${denied.code}: ${denied.message}`;
