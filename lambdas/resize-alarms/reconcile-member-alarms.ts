import {
  autoScalingGroupsWithTag,
  describeAutoScalingGroup,
} from '../adapters/aws/auto-scaling-groups';
import { autoScalingClient } from '../adapters/aws/sdk-clients/auto-scaling';
import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { ec2Client } from '../adapters/aws/sdk-clients/ec2';
import { eksClient } from '../adapters/aws/sdk-clients/eks';
import { describeNodegroup } from '../adapters/aws/eks-nodegroups';
import { metricListed } from '../adapters/aws/listed-metrics';
import { deleteAlarms, listMetricAlarms, putMetricAlarm } from '../adapters/aws/metric-alarms';
import { instancesWithTag } from '../adapters/aws/tagged-instances';
import type { DrpilotConfig, NodeGroupConfig, Side } from '../core/config/schema';
import { groupDimensions, groupMetric } from '../core/resize/agent-config';
import {
  planMemberAlarms,
  type AlarmMember,
  type AlarmModeInEffect,
  type SkippedMember,
} from '../core/resize/member-alarms';
import { resizeAlarmPrefix } from '../core/shared-names';

/**
 * PutMetricAlarm is throttled per account and region (and shared with everyone else there):
 * a run makes at most this many, which even throttled and retried fit the function's timeout.
 * The next run continues where this one stopped.
 */
export const MAX_PUTS_PER_RUN = 50;

export interface MemberAlarmsOptions {
  /** The region this function runs in: only node groups whose cluster is there are reconciled. */
  region: string;
  /** Plan and report, change nothing. */
  dryRun: boolean;
  /** @default MAX_PUTS_PER_RUN */
  maxPuts?: number;
  onProgress?: (message: string) => void;
}

export interface GroupAlarmsReport {
  id: string;
  kind: NodeGroupConfig['kind'];
  /** The alarms it has: a pair per member or one pair on the agent's group metric (null: unread). */
  mode: AlarmModeInEffect | null;
  /** Instance ids (kind ec2) or Auto Scaling group names (kinds asg and eks-managed). */
  members: string[];
  put: string[];
  deleted: string[];
  unchanged: number;
  /** Puts left for the next run (over this run's budget). */
  deferred: string[];
  skipped: SkippedMember[];
  /** Why the members could not be read; the group's alarms were then left as they were. */
  error: string | null;
}

export interface MemberAlarmsReport {
  region: string;
  dryRun: boolean;
  groups: GroupAlarmsReport[];
  /** Alarms of node groups no longer configured in this region. */
  orphansDeleted: string[];
}

/**
 * A group's current members. Stopped instances stay members: a rollout stops every node it
 * resizes, and a stopped node publishes nothing, which its alarms treat as not breaching. An Auto
 * Scaling group or EKS node group that does not exist (any more) has none.
 */
async function membersOf(region: string, group: NodeGroupConfig): Promise<AlarmMember[]> {
  const { selector } = group;
  const asgs = (names: string[]) => names.map((id): AlarmMember => ({ kind: 'asg', id }));
  switch (group.kind) {
    case 'ec2': {
      if (!selector.tag) throw new Error('kind "ec2" needs selector.tag, which is not set');
      const instances = await instancesWithTag(ec2Client(region), selector.tag);
      return instances.map(({ id }) => ({ kind: 'instance', id }));
    }
    case 'asg': {
      const autoScaling = autoScalingClient(region);
      if (selector.autoScalingGroupName) {
        const found = await describeAutoScalingGroup(autoScaling, selector.autoScalingGroupName);
        return asgs(found ? [found.name] : []);
      }
      if (!selector.tag)
        throw new Error('kind "asg" needs selector.autoScalingGroupName or selector.tag');
      return asgs(await autoScalingGroupsWithTag(autoScaling, selector.tag));
    }
    case 'eks-managed': {
      if (!selector.eks) throw new Error('kind "eks-managed" needs selector.eks, which is not set');
      const { clusterName, nodegroupName } = selector.eks;
      const found = await describeNodegroup(eksClient(region), clusterName, nodegroupName);
      return asgs(found?.autoScalingGroups ?? []);
    }
  }
}

/**
 * A group's members and, for a kind ec2 group whose alarms are `auto`, whether the CloudWatch
 * agent publishes its group metric (the planner then alarms on it).
 */
async function readGroup(
  region: string,
  group: NodeGroupConfig,
): Promise<{ members: AlarmMember[]; groupMetricListed?: boolean }> {
  const [members, groupMetricListed] = await Promise.all([
    membersOf(region, group),
    group.kind === 'ec2' && group.alarms === 'auto'
      ? metricListed(cloudWatchClient(region), {
          ...groupMetric(group.metric),
          dimensions: groupDimensions(group.id),
        })
      : undefined,
  ]);
  return groupMetricListed === undefined ? { members } : { members, groupMetricListed };
}

const describeError = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Keeps one up/down alarm pair per member of every node group in `region`, or one per group whose
 * alarms are on the agent's group metric: reads the members (and whether that metric is listed)
 * and the alarms under the resize prefix, plans, deletes what is gone and puts what is missing or
 * drifted (at most `maxPuts`). A group whose members cannot be read is reported with its error
 * and its alarms are left alone; the others go ahead.
 */
export async function reconcileMemberAlarms(
  config: DrpilotConfig,
  options: MemberAlarmsOptions,
): Promise<MemberAlarmsReport> {
  const { region } = options;
  const progress = options.onProgress ?? (() => undefined);
  const cloudwatch = cloudWatchClient(region);
  const groups = config.nodeGroups.filter(
    (group) => config.clusters[group.cluster as Side].region === region,
  );
  const [reads, existing] = await Promise.all([
    Promise.allSettled(groups.map((group) => readGroup(region, group))),
    listMetricAlarms(cloudwatch, resizeAlarmPrefix(config)),
  ]);
  const plan = planMemberAlarms({
    config,
    groups: groups.map((group, i) => {
      const read = reads[i];
      return read?.status === 'fulfilled' ? { group, ...read.value } : { group, members: null };
    }),
    existing,
    maxPuts: options.maxPuts ?? MAX_PUTS_PER_RUN,
  });

  if (!options.dryRun) {
    const deletions = [...plan.orphans, ...plan.groups.flatMap((group) => group.delete)];
    if (deletions.length > 0) {
      progress(`deleting ${deletions.length} alarm(s): ${deletions.join(', ')}`);
      await deleteAlarms(cloudwatch, deletions);
    }
    for (const put of plan.groups.flatMap((group) => group.put)) {
      progress(
        put.reason === 'missing'
          ? `creating ${put.spec.name}`
          : `correcting ${put.spec.name} (${put.changed.join(', ')})`,
      );
      await putMetricAlarm(cloudwatch, put.spec, put.tags);
    }
  }

  return {
    region,
    dryRun: options.dryRun,
    groups: plan.groups.map((planned, i) => {
      const read = reads[i];
      return {
        id: planned.id,
        kind: (groups[i] as NodeGroupConfig).kind,
        mode: planned.mode,
        members: read?.status === 'fulfilled' ? read.value.members.map((member) => member.id) : [],
        put: planned.put.map((put) => put.spec.name),
        deleted: planned.delete,
        unchanged: planned.unchanged.length,
        deferred: planned.deferred.map((put) => put.spec.name),
        skipped: planned.skipped,
        error: read?.status === 'rejected' ? describeError(read.reason) : null,
      };
    }),
    orphansDeleted: plan.orphans,
  };
}

export class MemberAlarmsFailedError extends Error {
  override readonly name = 'MemberAlarmsFailedError';
}

/** Throws when a group's members could not be read, so the run is retried and then lands in the failure queue. */
export function assertEveryGroupRead(report: MemberAlarmsReport): void {
  const failed = report.groups.filter((g) => g.error !== null);
  if (failed.length > 0) {
    throw new MemberAlarmsFailedError(
      `could not read the members of ${failed.map((g) => `${g.id} (${g.error})`).join('; ')}`,
    );
  }
}

/** The report as one log line: counts per group, not every alarm name. */
export const reportSummary = (report: MemberAlarmsReport) => ({
  dryRun: report.dryRun,
  groups: report.groups.map((g) => ({
    id: g.id,
    mode: g.mode,
    members: g.members.length,
    put: g.put.length,
    deleted: g.deleted.length,
    unchanged: g.unchanged,
    deferred: g.deferred.length,
    skipped: g.skipped.length,
    error: g.error,
  })),
  orphansDeleted: report.orphansDeleted.length,
});
