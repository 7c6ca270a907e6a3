import { ALARM_NAME_MAX_LENGTH, NODE_GROUP_ID } from './config/patterns';
import type { DrpilotConfig } from './config/schema';
import type { Direction } from './resize/ladder';

/** Names the CDK app gives resources that functions and the CLI find at run time. */
export function functionName(config: DrpilotConfig, job: string): string {
  return `${config.name}-drpilot-${job}`;
}

export function notificationTopicName(config: DrpilotConfig): string {
  return `${config.name}-drpilot-notifications`;
}

/** The environment variable the CDK app sets to the notification topic's ARN (not a secret). */
export const NOTIFICATION_TOPIC_ENV = 'DRPILOT_NOTIFICATION_TOPIC_ARN';

/**
 * Prefix of every per-member resize alarm drpilot keeps, `<name>-drpilot-resize.`. The rule that
 * delivers their state changes to the resize function matches it, and the `.` keeps it clear of
 * names like `<name>-drpilot-resize-…` (the resize function's own resources).
 */
export function resizeAlarmPrefix(config: Pick<DrpilotConfig, 'name'>): string {
  return `${config.name}-drpilot-resize.`;
}

/** Prefix of one node group's resize alarms; no group's prefix is a prefix of another's. */
export function resizeGroupAlarmPrefix(
  config: Pick<DrpilotConfig, 'name'>,
  groupId: string,
): string {
  return `${resizeAlarmPrefix(config)}${groupId}.`;
}

/**
 * `<name>-drpilot-resize.<groupId>.<up|down>.<memberId>`, where the member is an instance id or
 * an Auto Scaling group name; null when that would exceed CloudWatch's 255 characters (only a
 * long Auto Scaling group name can: all but the member takes at most 109).
 */
export function resizeAlarmName(
  config: Pick<DrpilotConfig, 'name'>,
  groupId: string,
  direction: Direction,
  memberId: string,
): string | null {
  const name = `${resizeGroupAlarmPrefix(config, groupId)}${direction}.${memberId}`;
  return name.length <= ALARM_NAME_MAX_LENGTH ? name : null;
}

export interface ResizeAlarmName {
  groupId: string;
  direction: Direction;
  /** The instance id, or the Auto Scaling group name for kinds asg and eks-managed. */
  memberId: string;
}

/**
 * The parts of a name {@link resizeAlarmName} made, or null for any other name. The group is
 * not looked up in the config: an alarm can outlive its group, which callers must check.
 */
export function parseResizeAlarmName(
  config: Pick<DrpilotConfig, 'name'>,
  alarmName: string,
): ResizeAlarmName | null {
  const prefix = resizeAlarmPrefix(config);
  if (!alarmName.startsWith(prefix) || alarmName.length > ALARM_NAME_MAX_LENGTH) return null;
  const [groupId = '', direction = '', ...member] = alarmName.slice(prefix.length).split('.');
  const memberId = member.join('.');
  if (!NODE_GROUP_ID.test(groupId) || (direction !== 'up' && direction !== 'down') || !memberId)
    return null;
  return { groupId, direction, memberId };
}
