/**
 * A trigger is a claim, not a fact. An alarm event says an alarm changed state at some time; it
 * may arrive hours late (an SNS redelivery, an asynchronous retry, an EventBridge replay), come
 * from another account or region, or be forged by anyone allowed to invoke the function. Before
 * acting on one, drpilot checks where it came from, how old it is, and whether the alarm is in
 * that state *now* — re-read by the caller with DescribeAlarms. Pure: the callers observe.
 */
import {
  TriggerEventError,
  type AlarmState,
  type AlarmTrigger,
  type InstanceStateTrigger,
  type ParsedEvent,
} from './trigger-event';

/** Where a function runs: only alarms of its own region and account may start anything. */
export interface Deployment {
  region: string;
  /** From the function's own ARN; null outside Lambda (the CLI), where no account is known. */
  accountId: string | null;
}

/**
 * What started an action. `schedule` is the periodic re-plan, which observes the alarms itself;
 * `manual` is a person, whose request is not re-observed (the audit says so).
 */
export type TriggerOrigin =
  | { kind: 'manual' }
  | { kind: 'schedule' }
  | { kind: 'alarm'; alarmName: string; state: AlarmState; changedAt: string };

/** Clocks differ a little; an event stamped further ahead than this was not written by CloudWatch. */
export const FUTURE_TOLERANCE_SECONDS = 60;

export function originOf(trigger: ParsedEvent, scheduledActions: readonly string[]): TriggerOrigin {
  if (trigger.kind === 'alarm') {
    return {
      kind: 'alarm',
      alarmName: trigger.alarmName,
      state: trigger.state,
      changedAt: trigger.timestamp,
    };
  }
  return scheduledActions.includes(trigger.action) ? { kind: 'schedule' } : { kind: 'manual' };
}

/**
 * Throws a TriggerEventError when an alarm event names another region or account than the
 * deployment's, or when its ARN names another region. A function's alarms are its own
 * region's (EventBridge and CloudWatch alarm actions deliver within a region), so anything else
 * was sent by hand.
 */
export function assertFromDeployment(
  trigger: AlarmTrigger | InstanceStateTrigger,
  deployment: Deployment,
): void {
  const alarmArn = trigger.kind === 'alarm' ? trigger.alarmArn : undefined;
  const subject = trigger.kind === 'alarm' ? 'the alarm' : 'the instance';
  const issues: { path: string; message: string }[] = [];
  if (trigger.region !== deployment.region) {
    issues.push({
      path: 'region',
      message: `${subject} is in ${trigger.region}; this function serves ${deployment.region}`,
    });
  }
  const arn = alarmArn ? parseAlarmArn(alarmArn) : null;
  if (alarmArn && !arn) {
    issues.push({ path: 'alarmArn', message: 'is not a CloudWatch alarm ARN' });
  }
  if (arn) {
    if (arn.region !== trigger.region) {
      issues.push({
        path: 'alarmArn',
        message: `names region ${arn.region}, but the event says ${trigger.region}`,
      });
    }
  }
  const accounts = [trigger.accountId, arn?.accountId].filter((a): a is string => a !== undefined);
  if (deployment.accountId !== null) {
    for (const account of new Set(accounts)) {
      if (account !== deployment.accountId) {
        issues.push({
          path: 'account',
          message: `${subject} belongs to account ${clip(account)}, not to this deployment's ${deployment.accountId}`,
        });
      }
    }
  } else if (new Set(accounts).size > 1) {
    issues.push({
      path: 'account',
      message: 'the event and its alarm ARN name different accounts',
    });
  }
  if (issues.length > 0) {
    const what = trigger.kind === 'alarm' ? 'alarm event' : 'instance state change';
    throw new TriggerEventError(
      `${what} not from this deployment: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      trigger.source,
      issues,
    );
  }
}

export interface TriggerCheck {
  ok: boolean;
  detail: string;
}

export interface TriggerFacts {
  /** The alarm whose state the action depends on, and its state as read just now. */
  alarmName: string;
  currentState: AlarmState | 'MISSING';
  /** The state that asks for the action (ALARM for a failover or a resize, OK for a failback). */
  expectedState: AlarmState;
  now: Date;
  maxEventAgeSeconds: number;
}

/**
 * Whether the trigger still holds: a person's request always does; the periodic re-plan holds
 * while the alarm is in the expected state now; an alarm event also must be fresh — its state
 * change no older than maxEventAgeSeconds, and not from the future.
 */
export function judgeTrigger(origin: TriggerOrigin, facts: TriggerFacts): TriggerCheck {
  if (origin.kind === 'manual') {
    return {
      ok: true,
      detail: 'requested by a person: acted on as asked, no alarm state required',
    };
  }
  const now = `${facts.alarmName} is ${facts.currentState} now`;
  const holds = facts.currentState === facts.expectedState;
  if (origin.kind === 'schedule') {
    return holds
      ? { ok: true, detail: `re-plan: ${now}` }
      : { ok: false, detail: `re-plan: ${now}, not ${facts.expectedState}` };
  }
  const changedMs = Date.parse(origin.changedAt);
  const ageSeconds = Math.round((facts.now.getTime() - changedMs) / 1000);
  const event = `the event (${origin.alarmName} → ${origin.state} at ${origin.changedAt})`;
  if (Number.isNaN(changedMs)) return { ok: false, detail: `${event} carries no readable time` };
  if (ageSeconds < -FUTURE_TOLERANCE_SECONDS) {
    return {
      ok: false,
      detail: `${event} is stamped ${-ageSeconds} s in the future: refused as forged or replayed`,
    };
  }
  if (ageSeconds > facts.maxEventAgeSeconds) {
    return {
      ok: false,
      detail: `${event} is ${ageSeconds} s old (limit triggers.maxEventAgeSeconds = ${facts.maxEventAgeSeconds} s): refused as stale; a standing alarm is re-planned on schedule`,
    };
  }
  if (!holds) {
    return { ok: false, detail: `${event} no longer holds: ${now}` };
  }
  return { ok: true, detail: `${now}; ${event} is ${Math.max(0, ageSeconds)} s old` };
}

/** The account of a Lambda function's ARN (its context's invokedFunctionArn), or null. */
export function accountOfFunctionArn(arn: string | undefined): string | null {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : null;
}

function parseAlarmArn(arn: string): { region: string; accountId: string } | null {
  const match = /^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):([^:]+):alarm:.+$/.exec(arn);
  if (!match) return null;
  const [, region = '', accountId = ''] = match;
  return { region, accountId };
}

function clip(text: string): string {
  return text.length > 24 ? `${text.slice(0, 21)}...` : text;
}
