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

/**
 * The environment the CDK app gives the functions, and the functions read (none holds a secret).
 * The config is not a runtime variable: it is inlined into each bundle at build time (esbuild
 * `define` of `process.env.<CONFIG_ENV>`); local runs and tests set the variable instead.
 */
export const CONFIG_ENV = 'DRPILOT_CONFIG_JSON';
/** The notification topic's ARN. */
export const NOTIFICATION_TOPIC_ENV = 'DRPILOT_NOTIFICATION_TOPIC_ARN';
/** The resize function's rollout state machine. */
export const RESIZE_STATE_MACHINE_ENV = 'DRPILOT_RESIZE_STATE_MACHINE_ARN';

/** The `action` of the payloads schedules and rules send; the handlers accept exactly these. */
export const SCHEDULED_ACTIONS = {
  /** DNS, every minute: re-plan a refused automatic failover while the primary stays down. */
  dnsReconcile: 'reconcile',
  /** Resize, every 5 minutes: plan again the groups whose member alarms stay in ALARM. */
  resizeReplan: 'reconcile',
  /** Member alarms, every 5 minutes: keep one alarm pair per member. */
  resizeAlarms: 'reconcile-alarms',
  /** Re-sync, every 5 minutes and when Velero writes a velero-backup.json. */
  resync: 'resync',
  /** Restore drill, on backups.restoreDrill.schedule (default weekly): restore, verify, clean up. */
  restoreDrill: 'verify-restore',
  /** Restore drill function, hourly: publish the verified RPO, aged to now (restores nothing). */
  restorePublish: 'publish-verified-rpo',
} as const;

/** A schedule's or rule's payload: the manual payload shape, with why. */
export const scheduledPayload = <A extends string>(action: A, reason: string) =>
  ({ action, reason }) as const;

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

/** A cluster region's alarm topic, `<name>-drpilot-<side>-alarms`, found by its region. */
export function regionAlarmTopicName(config: DrpilotConfig, region: string): string {
  const side = config.clusters.primary.region === region ? 'primary' : 'dr';
  return `${config.name}-drpilot-${side}-alarms`;
}

/**
 * The tag a resize rollout puts on an `ec2` member just before it stops it, and removes once the
 * node is back in service: the evidence that a stopped member was left down by drpilot
 * (resize/node-steps.ts resumeStep). A member stopped without it was stopped by someone else (a
 * person, an instance scheduler) and is left alone. The resize role may write this key only.
 */
export const STOPPED_BY_ROLLOUT_TAG = 'drpilot:stopped-by-rollout';

/**
 * The tag a resize rollout puts on an `ec2` member just before it cordons it, only when the node
 * was schedulable, and removes once the node is uncordoned: the evidence that a cordoned member
 * was left so by drpilot (resize/node-steps.ts resumeStep). A node someone else cordoned never
 * carries it, so its cordon is kept. The resize role may write this key too.
 */
export const CORDONED_BY_ROLLOUT_TAG = 'drpilot:cordoned-by-rollout';

/** Every tag key a rollout writes on an instance: the resize role may write these keys only. */
export const ROLLOUT_MARK_TAGS = [STOPPED_BY_ROLLOUT_TAG, CORDONED_BY_ROLLOUT_TAG] as const;

/** The lease and cooldown scope of one node group's rollouts. */
export const resizeScope = (groupId: string) => `resize#${groupId}`;
