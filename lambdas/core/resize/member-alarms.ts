/**
 * The per-member resize alarms of node groups, and how to bring the alarms CloudWatch holds in
 * line with them. Pure.
 *
 * Tag-selected `ec2` instances share no CloudWatch dimension, so each member gets its own pair of
 * alarms: "up" (the alarmed metric at or above `scaleUpAt`) and "down" (at or below
 * `scaleDownAt`). An `asg` or `eks-managed` group's "members" are its Auto Scaling groups, whose
 * `AutoScalingGroupName` dimension covers every instance. The alarms carry no actions: an
 * EventBridge rule on `resizeAlarmPrefix` delivers their state changes to the resize
 * function, which maps a name back to its group with `parseResizeAlarmName`.
 *
 * An `ec2` group whose alarms are `group` (or `auto` and CloudWatch lists the metric) has one pair
 * instead, on the CloudWatch agent's rollup over `DrpilotGroup=<group id>` (./agent-config.ts),
 * named `<group>.<up|down>.group` (no instance id is "group"). When the mode changes, the pairs of
 * the other mode are no longer wanted and are deleted by the same reconciliation.
 *
 * Memory comes from the CloudWatch agent, and an alarm matches a metric's exact set of dimensions:
 * the agent must publish `mem_used_percent` with `InstanceId` alone (`append_dimensions`
 * `InstanceId`, `aggregation_dimensions` `[["InstanceId"]]`), and with `AutoScalingGroupName`
 * alone for the Auto Scaling kinds (`[["AutoScalingGroupName"]]`). Otherwise the alarms see no
 * data, which counts as not breaching: they never fire.
 */
import type { AlarmMode } from '../config/alarm-modes';
import type { DrpilotConfig, NodeGroupConfig } from '../config/schema';
import { parseResizeAlarmName, resizeAlarmName } from '../shared-names';
import type { ResizeMetric } from './instance-types';
import type { Direction } from './ladder';
import { groupDimensions, groupMetric } from './agent-config';

/** Where each alarmed dimension is published (the same metrics `nodeUtilisation` reads). */
export const MEMBER_METRICS: Readonly<
  Record<ResizeMetric, { namespace: string; metricName: string }>
> = {
  cpu: { namespace: 'AWS/EC2', metricName: 'CPUUtilization' },
  memory: { namespace: 'CWAgent', metricName: 'mem_used_percent' },
};

/**
 * How long a member must stay past its threshold. Five-minute periods because EC2 publishes
 * CPUUtilization every five minutes under basic monitoring: with one-minute periods four of five
 * would be missing, count as not breaching, and the alarm would never fire (with detailed
 * monitoring or the agent's one-minute data a period is the average of five points). Up: two of
 * the last three periods, so sustained load fires within 10–15 minutes although one dip does not
 * reset it, while a spike shorter than a period does not fire at all. Down: all of the last six,
 * half an hour quiet, because stepping down is the riskier move.
 */
export const MEMBER_ALARM_WINDOWS: Readonly<
  Record<Direction, { periodSeconds: number; evaluationPeriods: number; datapointsToAlarm: number }>
> = {
  up: { periodSeconds: 300, evaluationPeriods: 3, datapointsToAlarm: 2 },
  down: { periodSeconds: 300, evaluationPeriods: 6, datapointsToAlarm: 6 },
};

/** The tag every member alarm carries, naming its node group. */
export const GROUP_TAG_KEY = 'drpilot:group';

/** A stopped or new member publishes nothing: that is no reason to resize. */
const TREAT_MISSING_DATA = 'notBreaching';

export type AlarmMember = {
  /** `instance`: kind ec2; `asg`: the Auto Scaling group(s) of kinds asg and eks-managed. */
  kind: 'instance' | 'asg';
  /** The instance id, or the Auto Scaling group name. */
  id: string;
};

export interface AlarmDimension {
  name: string;
  value: string;
}

/** What drpilot sets on a member alarm and compares to find drift. */
export interface MetricAlarmSpec {
  name: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: readonly AlarmDimension[];
  statistic: string;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: string;
  treatMissingData: string;
}

/** An alarm as CloudWatch holds it. */
export interface ExistingMetricAlarm extends MetricAlarmSpec {
  /** Its alarm, OK and insufficient-data actions together; drpilot's alarms have none. */
  actions: readonly string[];
}

export type AlarmGroup = Pick<NodeGroupConfig, 'id' | 'metric' | 'scaleUpAt' | 'scaleDownAt'> & {
  /** As configured; absent means the default, `auto`. */
  alarms?: AlarmMode;
};

/** Which alarms a group has: a pair per member, or one pair on the agent's group metric. */
export type AlarmModeInEffect = 'members' | 'group';

/** The member part of a group alarm's name; instance ids start with "i-". */
export const GROUP_ALARM_MEMBER = 'group';

/**
 * Group alarms take the Maximum over all members' datapoints in a period: "up" fires when the
 * hottest member is past `scaleUpAt` (as that member's own alarm would), and "down" only when even
 * the hottest member is below `scaleDownAt` (every member quiet). An Average would hide one hot
 * member among idle ones. The planner reads every node's own p95 before it moves anything, so an
 * alarm on one member's spike ends as a no-op plan, never as a blind resize.
 */
export const GROUP_ALARM_STATISTIC = 'Maximum';

export interface WantedAlarm {
  direction: Direction;
  spec: MetricAlarmSpec;
  tags: Record<string, string>;
}

export type SpecField = keyof MetricAlarmSpec | 'actions';

export interface AlarmPut extends WantedAlarm {
  /** `missing`: no such alarm yet; `drifted`: it exists with other `changed` fields. */
  reason: 'missing' | 'drifted';
  changed: SpecField[];
}

export interface SkippedMember {
  memberId: string;
  reason: string;
}

export interface GroupAlarmsPlan {
  id: string;
  /** Null when the members could not be read (the alarms are left as they are). */
  mode: AlarmModeInEffect | null;
  put: AlarmPut[];
  /** Puts beyond this run's budget: the next run makes them. */
  deferred: AlarmPut[];
  /** Alarms of members that are gone. */
  delete: string[];
  unchanged: string[];
  skipped: SkippedMember[];
}

export interface MemberAlarmsPlan {
  groups: GroupAlarmsPlan[];
  /** Alarms of groups that are not (or no longer) configured in this region. */
  orphans: string[];
}

export interface MemberAlarmsInput {
  config: Pick<DrpilotConfig, 'name'>;
  /**
   * Every node group of the region. `members: null` means they could not be read: the group's
   * alarms are left as they are.
   */
  groups: readonly {
    group: AlarmGroup;
    members: readonly AlarmMember[] | null;
    /**
     * Whether ListMetrics lists the group's agent metric (data in the past three hours); read
     * only for kind ec2 groups whose alarms are `auto`, absent otherwise.
     */
    groupMetricListed?: boolean;
  }[];
  /** Every alarm whose name starts with `resizeAlarmPrefix(config)`, in this region. */
  existing: readonly ExistingMetricAlarm[];
  /** At most this many puts (PutMetricAlarm is throttled per account and region). */
  maxPuts: number;
}

const DIRECTIONS: readonly Direction[] = ['up', 'down'];

/**
 * `members` and `group` are what they say; `auto` is `group` once the agent's metric is listed, so
 * a deployment without the agent keeps its per-member alarms and one with it gets the one pair.
 */
export function alarmModeInEffect(
  group: Pick<AlarmGroup, 'alarms'>,
  groupMetricListed = false,
): AlarmModeInEffect {
  switch (group.alarms ?? 'auto') {
    case 'members':
      return 'members';
    case 'group':
      return 'group';
    case 'auto':
      return groupMetricListed ? 'group' : 'members';
  }
}

/** The one up/down pair of a group in mode `group`, on the agent's rollup over its members. */
export function wantedGroupAlarms(
  config: Pick<DrpilotConfig, 'name'>,
  group: AlarmGroup,
): { alarms: WantedAlarm[]; skipped: SkippedMember[] } {
  const { namespace, metricName } = groupMetric(group.metric);
  const names = DIRECTIONS.map((direction) =>
    resizeAlarmName(config, group.id, direction, GROUP_ALARM_MEMBER),
  );
  // The config's name and a node group id are short enough that this never happens; said anyway.
  if (names.includes(null)) {
    return {
      alarms: [],
      skipped: [
        {
          memberId: GROUP_ALARM_MEMBER,
          reason: "its alarm names would exceed CloudWatch's 255 characters",
        },
      ],
    };
  }
  const alarms = DIRECTIONS.map((direction, i): WantedAlarm => {
    const window = MEMBER_ALARM_WINDOWS[direction];
    const up = direction === 'up';
    const threshold = up ? group.scaleUpAt : group.scaleDownAt;
    return {
      direction,
      spec: {
        name: names[i] as string,
        description:
          `drpilot ${config.name}: ${metricName} of the hottest member of node group ${group.id} ` +
          `${up ? '≥' : '≤'} ${threshold}% (maximum over the members, published by the CloudWatch ` +
          `agent with ${groupDimensions(group.id)[0]?.name}=${group.id}) in ${window.datapointsToAlarm} ` +
          `of the last ${window.evaluationPeriods} ${window.periodSeconds / 60}-minute periods: ` +
          `the group steps ${direction}. Kept by drpilot's resize-alarms function, which reverts edits.`,
        namespace,
        metricName,
        dimensions: groupDimensions(group.id),
        statistic: GROUP_ALARM_STATISTIC,
        ...window,
        threshold,
        comparisonOperator: up ? 'GreaterThanOrEqualToThreshold' : 'LessThanOrEqualToThreshold',
        treatMissingData: TREAT_MISSING_DATA,
      },
      tags: { [GROUP_TAG_KEY]: group.id },
    };
  });
  return { alarms, skipped: [] };
}

/** The alarms one group should have for its current members. */
export function wantedMemberAlarms(
  config: Pick<DrpilotConfig, 'name'>,
  group: AlarmGroup,
  members: readonly AlarmMember[],
): { alarms: WantedAlarm[]; skipped: SkippedMember[] } {
  const alarms = new Map<string, WantedAlarm>();
  const skipped: SkippedMember[] = [];
  const { namespace, metricName } = MEMBER_METRICS[group.metric];
  for (const member of [...members].sort((a, b) => a.id.localeCompare(b.id))) {
    const names = DIRECTIONS.map((direction) =>
      resizeAlarmName(config, group.id, direction, member.id),
    );
    if (names.includes(null)) {
      skipped.push({
        memberId: member.id,
        reason: "its alarm names would exceed CloudWatch's 255 characters",
      });
      continue;
    }
    const what =
      member.kind === 'instance' ? `instance ${member.id}` : `Auto Scaling group ${member.id}`;
    DIRECTIONS.forEach((direction, i) => {
      const name = names[i] as string;
      const window = MEMBER_ALARM_WINDOWS[direction];
      const up = direction === 'up';
      const threshold = up ? group.scaleUpAt : group.scaleDownAt;
      alarms.set(name, {
        direction,
        spec: {
          name,
          description:
            `drpilot ${config.name}: ${metricName} of ${what} ${up ? '≥' : '≤'} ${threshold}% ` +
            `(average) in ${window.datapointsToAlarm} of the last ${window.evaluationPeriods} ` +
            `${window.periodSeconds / 60}-minute periods: node group ${group.id} steps ${direction}. ` +
            `Kept by drpilot's resize-alarms function, which reverts edits.`,
          namespace,
          metricName,
          dimensions: [
            {
              name: member.kind === 'instance' ? 'InstanceId' : 'AutoScalingGroupName',
              value: member.id,
            },
          ],
          statistic: 'Average',
          ...window,
          threshold,
          comparisonOperator: up ? 'GreaterThanOrEqualToThreshold' : 'LessThanOrEqualToThreshold',
          treatMissingData: TREAT_MISSING_DATA,
        },
        tags: { [GROUP_TAG_KEY]: group.id },
      });
    });
  }
  return { alarms: [...alarms.values()], skipped };
}

const dimensionsKey = (dimensions: readonly AlarmDimension[]) =>
  dimensions
    .map((d) => `${d.name}=${d.value}`)
    .sort()
    .join('\n');

const COMPARED: readonly (keyof MetricAlarmSpec)[] = [
  'description',
  'namespace',
  'metricName',
  'statistic',
  'periodSeconds',
  'evaluationPeriods',
  'datapointsToAlarm',
  'threshold',
  'comparisonOperator',
  'treatMissingData',
];

/** The fields in which an existing alarm differs from the wanted one (tags are not read back). */
function driftedFields(wanted: MetricAlarmSpec, existing: ExistingMetricAlarm): SpecField[] {
  const changed: SpecField[] = COMPARED.filter((field) => wanted[field] !== existing[field]);
  if (dimensionsKey(wanted.dimensions) !== dimensionsKey(existing.dimensions))
    changed.push('dimensions');
  if (existing.actions.length > 0) changed.push('actions');
  return changed;
}

/**
 * What to put and delete so the region's member alarms are exactly the wanted ones. Missing
 * alarms are put before drifted ones and "up" before "down" (a member without an up alarm can
 * be overloaded unnoticed), up to `maxPuts`; the rest is deferred. Deletions are cheap (100 per
 * call) and never deferred. Alarms under the prefix whose names do not parse are not drpilot's
 * and are left alone.
 */
export function planMemberAlarms(input: MemberAlarmsInput): MemberAlarmsPlan {
  const { config } = input;
  const byGroup = new Map<string, ExistingMetricAlarm[]>();
  for (const alarm of input.existing) {
    const groupId = parseResizeAlarmName(config, alarm.name)?.groupId;
    if (groupId !== undefined) byGroup.set(groupId, [...(byGroup.get(groupId) ?? []), alarm]);
  }

  const configured = new Set(input.groups.map(({ group }) => group.id));
  const orphans = [...byGroup.entries()]
    .filter(([groupId]) => !configured.has(groupId))
    .flatMap(([, alarms]) => alarms.map((alarm) => alarm.name))
    .sort();

  const candidates: { groupIndex: number; put: AlarmPut }[] = [];
  const groups: GroupAlarmsPlan[] = input.groups.map((read, groupIndex) => {
    const { group, members } = read;
    const existing = byGroup.get(group.id) ?? [];
    const plan: GroupAlarmsPlan = {
      id: group.id,
      mode: null,
      put: [],
      deferred: [],
      delete: [],
      unchanged: [],
      skipped: [],
    };
    if (members === null) {
      plan.unchanged = existing.map((alarm) => alarm.name).sort();
      return plan;
    }
    plan.mode = alarmModeInEffect(group, read.groupMetricListed);
    const wanted =
      plan.mode === 'group'
        ? wantedGroupAlarms(config, group)
        : wantedMemberAlarms(config, group, members);
    plan.skipped = wanted.skipped;
    const existingByName = new Map(existing.map((alarm) => [alarm.name, alarm]));
    for (const alarm of wanted.alarms) {
      const current = existingByName.get(alarm.spec.name);
      const changed = current ? driftedFields(alarm.spec, current) : [];
      if (current && changed.length === 0) plan.unchanged.push(alarm.spec.name);
      else
        candidates.push({
          groupIndex,
          put: { ...alarm, reason: current ? 'drifted' : 'missing', changed },
        });
    }
    const wantedNames = new Set(wanted.alarms.map((alarm) => alarm.spec.name));
    plan.delete = existing
      .map((alarm) => alarm.name)
      .filter((name) => !wantedNames.has(name))
      .sort();
    return plan;
  });

  const priority = ({ put }: { put: AlarmPut }) =>
    (put.reason === 'missing' ? 0 : 2) + (put.direction === 'up' ? 0 : 1);
  candidates
    .map((candidate, order) => ({ candidate, order, rank: priority(candidate) }))
    .sort((a, b) => a.rank - b.rank || a.order - b.order)
    .forEach(({ candidate }, index) => {
      const plan = groups[candidate.groupIndex] as GroupAlarmsPlan;
      (index < input.maxPuts ? plan.put : plan.deferred).push(candidate.put);
    });
  return { groups, orphans };
}
