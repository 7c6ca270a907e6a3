/**
 * Which resize alarms a node group has, told from the alarms CloudWatch holds under
 * `resizeAlarmPrefix` — observed, not re-decided: `alarmModeInEffect` says what the reconciler
 * wants, this says what it made. Pure.
 *
 * The reconciler names a group alarm `<prefix><group>.<up|down>.group` and a member alarm
 * `<prefix><group>.<up|down>.<instance id or Auto Scaling group name>` (./member-alarms.ts), so the
 * names alone tell the mode.
 */
import type { AlarmMode } from '../config/alarm-modes';
import type { NodeGroupConfig } from '../config/schema';
import { PRICES } from '../cost/prices';
import type { AlarmState } from '../events/trigger-event';
import { parseResizeAlarmName } from '../shared-names';
import { GROUP_DIMENSION } from './agent-config';
import { GROUP_ALARM_MEMBER } from './member-alarms';

/** An alarm under the resize prefix, as DescribeAlarms lists it. */
export interface ObservedAlarm {
  name: string;
  state: AlarmState;
}

export interface NodeGroupAlarms {
  /** `nodeGroups[].alarms` of a kind ec2 group (`auto` when unset); null for asg and eks-managed. */
  configured: AlarmMode | null;
  /** `group`: its group pair exists; `members`: only per-member pairs; `none`: no alarm at all. */
  inEffect: 'group' | 'members' | 'none';
  /** Every alarm of the group under the prefix (both modes while a switch is under way). */
  alarmCount: number;
  /**
   * In effect `group` only: INSUFFICIENT_DATA when either group alarm has no data (the agent does
   * not publish the rollup), else ALARM when either is in alarm, else OK.
   */
  state?: AlarmState;
}

/**
 * Above this many per-member pairs on an `auto` group, status says what the agent would save.
 * Only a hint: below it the saving is a few dollars a month.
 */
export const AGENT_HINT_MIN_PAIRS = 10;

/** An up/down pair: two standard-resolution alarm metrics at the dated list price. */
const ALARM_PAIR_MONTHLY_USD = 2 * PRICES.cloudwatch.standardAlarmMetric;

function groupPairState(states: readonly AlarmState[]): AlarmState {
  if (states.includes('INSUFFICIENT_DATA')) return 'INSUFFICIENT_DATA';
  return states.includes('ALARM') ? 'ALARM' : 'OK';
}

/**
 * The group's alarms as observed and what status should say about them. `observed` may hold
 * every alarm of the prefix: only those whose name parses to this group count.
 */
export function observeGroupAlarms(
  config: { name: string },
  group: Pick<NodeGroupConfig, 'id' | 'kind'> & { alarms?: AlarmMode },
  observed: readonly ObservedAlarm[],
): { alarms: NodeGroupAlarms; warnings: string[] } {
  const configured = group.kind === 'ec2' ? (group.alarms ?? 'auto') : null;
  const mine = observed.flatMap((alarm) => {
    const parsed = parseResizeAlarmName(config, alarm.name);
    return parsed?.groupId === group.id ? [{ ...parsed, state: alarm.state }] : [];
  });
  // An Auto Scaling group may be named "group"; only kind ec2 has group alarms.
  const groupAlarms =
    group.kind === 'ec2' ? mine.filter((a) => a.memberId === GROUP_ALARM_MEMBER) : [];
  const memberPairs = new Set(mine.filter((a) => !groupAlarms.includes(a)).map((a) => a.memberId))
    .size;
  const inEffect = groupAlarms.length > 0 ? 'group' : mine.length > 0 ? 'members' : 'none';
  const alarms: NodeGroupAlarms = { configured, inEffect, alarmCount: mine.length };
  if (inEffect === 'group') alarms.state = groupPairState(groupAlarms.map((a) => a.state));

  const warnings: string[] = [];
  const agentConfig = `run drpilot agent-config ${group.id} on its members`;
  if (configured === 'group' && inEffect !== 'group') {
    warnings.push(
      `node group ${group.id} (alarms "group") has no group alarms in CloudWatch: the group will not resize by itself until the resize-alarms function puts them`,
    );
  } else if (configured === 'group' && alarms.state === 'INSUFFICIENT_DATA') {
    warnings.push(
      `node group ${group.id}: no agent data for ${GROUP_DIMENSION}=${group.id}: the group will not resize by itself; ${agentConfig}`,
    );
  } else if (configured === 'auto' && alarms.state === 'INSUFFICIENT_DATA') {
    // auto made the pair because ListMetrics listed the metric (data in the past three hours).
    warnings.push(
      `node group ${group.id}: no agent data for ${GROUP_DIMENSION}=${group.id} (the agent stopped publishing?): the group does not resize until it publishes again, or until alarms "auto" goes back to a pair per member once ListMetrics no longer lists the metric (three hours without data)`,
    );
  }
  if (configured === 'auto' && inEffect === 'members' && memberPairs > AGENT_HINT_MIN_PAIRS) {
    const perMonth = (pairs: number) => `$${(pairs * ALARM_PAIR_MONTHLY_USD).toFixed(2)}`;
    warnings.push(
      `node group ${group.id} has ${memberPairs} resize alarm pairs, one per member (${perMonth(memberPairs)} a month): the CloudWatch agent fragment would replace them with one pair (${perMonth(1)}); ${agentConfig}`,
    );
  }
  return { alarms, warnings };
}
