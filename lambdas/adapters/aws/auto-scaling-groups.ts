import {
  CancelInstanceRefreshCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLifecycleHooksCommand,
  StartInstanceRefreshCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
  type RefreshPreferences,
} from '@aws-sdk/client-auto-scaling';
import type {
  AutoScalingGroupInfo,
  InstanceRefreshInfo,
  LaunchTemplateRef,
  LifecycleHook,
} from '../../core/resize/template-observations';

function launchTemplateRef(spec?: {
  LaunchTemplateId?: string | undefined;
  LaunchTemplateName?: string | undefined;
  Version?: string | undefined;
}): LaunchTemplateRef | null {
  if (!spec?.LaunchTemplateId && !spec?.LaunchTemplateName) return null;
  return {
    id: spec.LaunchTemplateId ?? '',
    name: spec.LaunchTemplateName ?? '',
    // A group that names no version uses the template's default.
    version: spec.Version ?? '$Default',
  };
}

function groupInfo(group: AutoScalingGroup): AutoScalingGroupInfo {
  const mixed = group.MixedInstancesPolicy;
  return {
    name: group.AutoScalingGroupName ?? '',
    launchTemplate: launchTemplateRef(group.LaunchTemplate),
    launchConfigurationName: group.LaunchConfigurationName ?? null,
    mixedInstances: mixed
      ? {
          launchTemplate: launchTemplateRef(mixed.LaunchTemplate?.LaunchTemplateSpecification),
          overrides: (mixed.LaunchTemplate?.Overrides ?? []).map(
            (o) => o.InstanceType ?? (o.InstanceRequirements ? 'instance requirements' : ''),
          ),
        }
      : null,
    tags: Object.fromEntries((group.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    instances: (group.Instances ?? []).map((i) => ({
      id: i.InstanceId ?? '',
      type: i.InstanceType ?? '',
      zone: i.AvailabilityZone ?? '',
      lifecycleState: i.LifecycleState ?? '',
    })),
  };
}

/** The group, or null when there is none of that name. */
export async function describeAutoScalingGroup(
  autoScaling: AutoScalingClient,
  name: string,
): Promise<AutoScalingGroupInfo | null> {
  const { AutoScalingGroups = [] } = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  const group = AutoScalingGroups[0];
  return group ? groupInfo(group) : null;
}

/** Names of the groups carrying the tag. */
export async function autoScalingGroupsWithTag(
  autoScaling: AutoScalingClient,
  tag: { key: string; value: string },
): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await autoScaling.send(
      new DescribeAutoScalingGroupsCommand({
        Filters: [{ Name: `tag:${tag.key}`, Values: [tag.value] }],
        NextToken,
      }),
    );
    names.push(...(page.AutoScalingGroups ?? []).map((g) => g.AutoScalingGroupName ?? ''));
    NextToken = page.NextToken;
  } while (NextToken);
  return names.sort();
}

export async function lifecycleHooks(
  autoScaling: AutoScalingClient,
  groupName: string,
): Promise<LifecycleHook[]> {
  const { LifecycleHooks = [] } = await autoScaling.send(
    new DescribeLifecycleHooksCommand({ AutoScalingGroupName: groupName }),
  );
  return LifecycleHooks.map((h) => ({
    name: h.LifecycleHookName ?? '',
    transition: h.LifecycleTransition ?? '',
  }));
}

/** Starts a refresh towards a launch template version; returns the refresh's id. */
export async function startInstanceRefresh(
  autoScaling: AutoScalingClient,
  groupName: string,
  desired: { launchTemplateId: string; version: number },
  preferences: RefreshPreferences,
): Promise<string> {
  const { InstanceRefreshId } = await autoScaling.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: groupName,
      DesiredConfiguration: {
        LaunchTemplate: {
          LaunchTemplateId: desired.launchTemplateId,
          Version: String(desired.version),
        },
      },
      Preferences: preferences,
    }),
  );
  if (!InstanceRefreshId) throw new Error(`StartInstanceRefresh on ${groupName} returned no id`);
  return InstanceRefreshId;
}

/**
 * Cancels the group's refresh in progress; returns the id AWS cancels. AWS: "If an instance
 * refresh or rollback is not in progress, an ActiveInstanceRefreshNotFound error occurs", and
 * cancelling "does not roll back any replacements that have already been completed"
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CancelInstanceRefresh.html).
 */
export async function cancelInstanceRefresh(
  autoScaling: AutoScalingClient,
  groupName: string,
): Promise<string | null> {
  const { InstanceRefreshId } = await autoScaling.send(
    new CancelInstanceRefreshCommand({ AutoScalingGroupName: groupName }),
  );
  return InstanceRefreshId ?? null;
}

/** The group's refreshes, newest first; only those of `ids` when given. */
export async function describeInstanceRefreshes(
  autoScaling: AutoScalingClient,
  groupName: string,
  ids?: string[],
): Promise<InstanceRefreshInfo[]> {
  const { InstanceRefreshes = [] } = await autoScaling.send(
    new DescribeInstanceRefreshesCommand({
      AutoScalingGroupName: groupName,
      ...(ids ? { InstanceRefreshIds: ids } : {}),
    }),
  );
  return InstanceRefreshes.map((r) => ({
    id: r.InstanceRefreshId ?? '',
    status: r.Status ?? '',
    statusReason: r.StatusReason ?? null,
    percentageComplete: r.PercentageComplete ?? null,
  }));
}
