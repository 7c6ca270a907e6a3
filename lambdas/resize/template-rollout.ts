import {
  autoScalingGroupsWithTag,
  cancelInstanceRefresh,
  describeAutoScalingGroup,
  describeInstanceRefreshes,
  startInstanceRefresh,
} from '../adapters/aws/auto-scaling-groups';
import { autoScalingClient } from '../adapters/aws/sdk-clients/auto-scaling';
import { ec2Client } from '../adapters/aws/sdk-clients/ec2';
import { eksClient } from '../adapters/aws/sdk-clients/eks';
import {
  describeNodegroup,
  describeNodegroupUpdate,
  updateNodegroupLaunchTemplate,
} from '../adapters/aws/eks-nodegroups';
import {
  createLaunchTemplateVersion,
  deleteLaunchTemplateVersion,
} from '../adapters/aws/launch-templates';
import { instancesWithTag } from '../adapters/aws/tagged-instances';
import type { NodeGroupConfig } from '../core/config/schema';
import {
  autoScalingGroupSelection,
  chooseTaggedGroup,
  inServiceIds,
} from '../core/resize/auto-scaling-groups';
import type { TemplateTarget } from '../core/resize/template-target';

export type { TemplateTarget };

/*
 * The executor of `asg` and `eks-managed` groups: one new launch-template version with the new
 * instance type, rolled out by AWS (an instance refresh, or a node group update). A resize checks
 * the preconditions (template-preconditions.ts) and calls startTemplateRollout once, then
 * pollTemplateRollout until it is no longer in progress; targets and handles are plain JSON
 * between those Step Functions steps.
 */

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

const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** The group's Auto Scaling group: named, or the one group carrying the selector's tag. */
export async function autoScalingGroupName(
  group: NodeGroupConfig,
  region: string,
): Promise<{ name: string } | { problem: string }> {
  const selection = autoScalingGroupSelection(group.selector);
  if (!('tag' in selection)) return selection;
  const tagged = await autoScalingGroupsWithTag(autoScalingClient(region), selection.tag);
  return chooseTaggedGroup(selection.tag, region, tagged);
}

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
 * Stops a launch-template rollout that ran past the rollout's bound, as far as AWS allows; the
 * sentence says what was done and what is still running, for the result and the page. Never
 * throws: the Finish that calls it must still report, page and give the lease back.
 */
export async function cancelTemplateRollout(handle: TemplateRolloutHandle): Promise<string> {
  const { target, operationId, newVersion } = handle;
  if (target.kind === 'asg') {
    const name = target.autoScalingGroupName;
    try {
      await cancelInstanceRefresh(autoScalingClient(target.region), name);
      // Cancelling keeps the replacements already made (API_CancelInstanceRefresh, see the adapter).
      return `instance refresh ${operationId} of ${name} cancelled (CancelInstanceRefresh); instances it already replaced keep ${handle.toType} (launch template version ${newVersion})`;
    } catch (error) {
      return `cancelling instance refresh ${operationId} of ${name} failed (${errorText(error)}): it may still be running`;
    }
  }
  // EKS's CancelUpdate "is supported for VersionRollback update types on EKS Auto Mode clusters"
  // only (https://docs.aws.amazon.com/eks/latest/APIReference/API_CancelUpdate.html): a managed
  // node group's UpdateNodegroupVersion cannot be cancelled, so it is left to finish or fail.
  return `update ${operationId} of node group ${target.nodegroupName} cannot be cancelled (EKS CancelUpdate supports only VersionRollback updates on EKS Auto Mode clusters, https://docs.aws.amazon.com/eks/latest/APIReference/API_CancelUpdate.html): it is still running; watch it with aws eks describe-update`;
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

export async function membersOf(
  region: string,
  groupNames: string[],
): Promise<TemplateGroupMember[]> {
  const autoScaling = autoScalingClient(region);
  const ec2 = ec2Client(region);
  const members: TemplateGroupMember[] = [];
  for (const name of groupNames) {
    const asg = await describeAutoScalingGroup(autoScaling, name);
    if (!asg) throw new Error(`there is no Auto Scaling group ${name} in ${region}`);
    const ids = new Set(inServiceIds(asg));
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
