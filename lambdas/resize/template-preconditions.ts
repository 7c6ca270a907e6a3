import {
  describeInstanceRefreshes,
  describeAutoScalingGroup,
  lifecycleHooks,
} from '../adapters/aws/auto-scaling-groups';
import { autoScalingClient } from '../adapters/aws/sdk-clients/auto-scaling';
import { ec2Client } from '../adapters/aws/sdk-clients/ec2';
import { eksClient } from '../adapters/aws/sdk-clients/eks';
import { describeNodegroup } from '../adapters/aws/eks-nodegroups';
import {
  describeLaunchTemplateVersion,
  probeCreateLaunchTemplateVersion,
  probeRunInstances,
} from '../adapters/aws/launch-templates';
import type { NodeGroupConfig } from '../core/config/schema';
import type { LaunchTemplateRef } from '../core/resize/template-observations';
import {
  asgTemplate,
  dryRunsToAsk,
  nodegroupTemplate,
  planTemplateRollout,
  type AutoScalingGroupFacts,
  type NodegroupFacts,
  type TemplateGroupFacts,
  type TemplateVersionFacts,
} from '../core/resize/template-preconditions';
import type { TemplateRolloutCheck } from '../core/resize/template-target';
import { autoScalingGroupName, membersOf } from './template-rollout';

/*
 * The observer of an `asg` / `eks-managed` rollout's preconditions: it reads, before anything
 * changes, what the rules in core (planTemplateRollout) decide from.
 */

/** Whether the group's launch template may be changed to `toType`; see planTemplateRollout. */
export async function checkTemplatePreconditions(
  group: NodeGroupConfig,
  region: string,
  toType: string,
): Promise<TemplateRolloutCheck> {
  return planTemplateRollout(await observeGroup(group, region, toType), toType);
}

async function observeGroup(
  group: NodeGroupConfig,
  region: string,
  toType: string,
): Promise<TemplateGroupFacts> {
  switch (group.kind) {
    case 'asg':
      return observeAutoScalingGroup(group, region, toType);
    case 'eks-managed':
      return observeNodegroup(group, region, toType);
    default:
      return { kind: group.kind };
  }
}

async function observeAutoScalingGroup(
  group: NodeGroupConfig,
  region: string,
  toType: string,
): Promise<AutoScalingGroupFacts> {
  const located = await autoScalingGroupName(group, region);
  const facts: AutoScalingGroupFacts = {
    kind: 'asg',
    region,
    located,
    group: null,
    template: null,
    hooks: [],
    refreshes: [],
  };
  if ('problem' in located) return facts;
  const autoScaling = autoScalingClient(region);
  const asg = await describeAutoScalingGroup(autoScaling, located.name);
  if (!asg) return facts;
  const found = asgTemplate(asg);
  return {
    ...facts,
    group: asg,
    template:
      'template' in found ? await observeTemplate(region, found.template, toType, 'asg') : null,
    hooks: await lifecycleHooks(autoScaling, located.name),
    refreshes: await describeInstanceRefreshes(autoScaling, located.name),
  };
}

async function observeNodegroup(
  group: NodeGroupConfig,
  region: string,
  toType: string,
): Promise<NodegroupFacts> {
  const selector = group.selector.eks ?? null;
  const facts: NodegroupFacts = {
    kind: 'eks-managed',
    region,
    selector,
    nodegroup: null,
    template: null,
    memberInstanceIds: [],
  };
  if (!selector) return facts;
  const nodegroup = await describeNodegroup(
    eksClient(region),
    selector.clusterName,
    selector.nodegroupName,
  );
  if (!nodegroup) return facts;
  const found = nodegroupTemplate(nodegroup);
  return {
    ...facts,
    nodegroup,
    template:
      'template' in found
        ? await observeTemplate(region, found.template, toType, 'eks-managed')
        : null,
    memberInstanceIds: (await membersOf(region, nodegroup.autoScalingGroups)).map((m) => m.id),
  };
}

/** The referenced version and the dry runs core asks for (none when there is no version). */
async function observeTemplate(
  region: string,
  ref: LaunchTemplateRef,
  toType: string,
  kind: 'asg' | 'eks-managed',
): Promise<TemplateVersionFacts> {
  const ec2 = ec2Client(region);
  const version = await describeLaunchTemplateVersion(ec2, ref.id, ref.version);
  if (!version) return { version, runInstances: null, createVersion: null };
  const ask = dryRunsToAsk(kind, version, toType);
  return {
    version,
    runInstances: ask.runInstances
      ? await probeRunInstances(ec2, ref.id, version.versionNumber, toType)
      : null,
    createVersion: ask.createVersion
      ? await probeCreateLaunchTemplateVersion(ec2, {
          launchTemplateId: ref.id,
          sourceVersion: version.versionNumber,
          instanceType: toType,
          description: 'drpilot rights probe',
        })
      : null,
  };
}
