import en from 'zod/v4/locales/en.js';
import * as z from 'zod/mini';
import {
  ALARM_NAME_MAX_LENGTH,
  INSTANCE_TYPE,
  INSTANCE_TYPE_MAX_LENGTH,
  KUBERNETES_OBJECT_NAME,
  KUBERNETES_OBJECT_NAME_MAX_LENGTH,
  NODE_GROUP_ID,
  REASON_MAX_LENGTH,
} from '../config/patterns';
import { formatPath } from '../field-path';

/**
 * Turns whatever invoked a drpilot function into one internal event.
 *
 * Accepted shapes (the public contract, "Lambda events" in DESIGN.md):
 * - an EventBridge "CloudWatch Alarm State Change" event (source "aws.cloudwatch");
 * - an SNS notification wrapping a CloudWatch alarm: exactly one record, because SNS hands a
 *   Lambda subscriber one message per invocation; a batch of several is refused rather than
 *   silently acting on one of them;
 * - the payload of a CloudWatch alarm's direct Lambda action ({ source, alarmData, ... });
 * - a manual payload { action, reason?, dryRun?, force?, ...CLI fields }.
 * Anything else throws a TriggerEventError, and nothing but a TriggerEventError is ever thrown.
 */

export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

export type TriggerShape =
  'eventbridge' | 'sns' | 'alarm-action' | 'manual' | 'rollout-state' | 'unknown';

export interface AlarmTrigger {
  kind: 'alarm';
  source: 'eventbridge' | 'sns' | 'alarm-action';
  alarmName: string;
  alarmArn?: string;
  region: string;
  state: AlarmState;
  previousState?: AlarmState;
  reason?: string;
  /** When the alarm changed state, ISO 8601 in UTC. */
  timestamp: string;
  accountId?: string;
  /** EventBridge event id or SNS MessageId: what a retry of the same delivery shares. */
  eventId?: string;
}

export interface ManualTrigger<A extends string = string> {
  kind: 'manual';
  action: A;
  reason?: string;
  dryRun: boolean;
  force: boolean;
  /** resize: the node group to resize. */
  groupId?: string;
  /** resize: the instance type to move to (exclusive with step). */
  to?: string;
  /** resize: one rung up or down the ladder (exclusive with to). */
  step?: 'up' | 'down';
  /** resync: copy only this Velero backup; verify-restore: restore this one. */
  backup?: string;
  /** failover/failback: proceed although an Ingress lists the main name in spec.tls. */
  ignoreIngressTlsSpec?: boolean;
  /**
   * failover/failback: flip dns.drillRecordName instead of the main record (a drill); verify:
   * check the drill record instead of the main one.
   */
  drill?: boolean;
}

/** An EC2 instance's state change (EventBridge), for the functions that follow group membership. */
export interface InstanceStateTrigger {
  kind: 'instance-state';
  source: 'eventbridge';
  instanceId: string;
  state: string;
  region: string;
  accountId?: string;
  timestamp: string;
}

export type ParsedEvent<A extends string = string> = AlarmTrigger | ManualTrigger<A>;

export interface TriggerEventIssue {
  path: string;
  message: string;
}

export class TriggerEventError extends Error {
  override readonly name = 'TriggerEventError';
  constructor(
    message: string,
    readonly shape: TriggerShape,
    readonly issues: readonly TriggerEventIssue[] = [],
  ) {
    super(message);
  }
}

export interface ParseTriggerOptions<A extends string> {
  /** The manual actions this function carries out, e.g. ['failover', 'failback']. */
  allowedActions: readonly A[];
  /**
   * What else invokes the function: CloudWatch alarms in their three shapes (the default), or EC2
   * instance state changes (the member-alarm reconciler, which follows group membership).
   */
  events?: 'alarms' | 'instance-state-changes';
}

const EXPECTED = {
  alarms:
    'expected an EventBridge "CloudWatch Alarm State Change" event, an SNS notification wrapping ' +
    'an alarm, a CloudWatch alarm action payload or a manual { action } payload',
  'instance-state-changes':
    'expected an EventBridge "EC2 Instance State-change Notification" (source "aws.ec2") or a ' +
    'manual { action } payload',
} as const;
const ALARM_SOURCE = 'aws.cloudwatch';
const ALARM_DETAIL_TYPE = 'CloudWatch Alarm State Change';
const EC2_SOURCE = 'aws.ec2';
const EC2_STATE_CHANGE = 'EC2 Instance State-change Notification';
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** The longest ARN IAM documents (2048); ids and account numbers are far shorter. */
const ARN_MAX_LENGTH = 2048;
const ID_MAX_LENGTH = 128;
/** CloudWatch's StateReason is at most 1023 characters; anything longer is cut, not trusted. */
const STATE_REASON_MAX_LENGTH = 1023;
// CloudWatch writes "2019-10-02T17:04:40.989+0000"; EventBridge's envelope "2019-10-02T17:04:40Z".
const CLOUDWATCH_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})$/;

export function parseTriggerEvent<A extends string>(
  raw: unknown,
  options: ParseTriggerOptions<A> & { events?: 'alarms' },
): ParsedEvent<A>;
export function parseTriggerEvent<A extends string>(
  raw: unknown,
  options: ParseTriggerOptions<A> & { events: 'instance-state-changes' },
): InstanceStateTrigger | ManualTrigger<A>;
export function parseTriggerEvent<A extends string>(
  raw: unknown,
  options: ParseTriggerOptions<A>,
): ParsedEvent<A> | InstanceStateTrigger {
  try {
    return options.events === 'instance-state-changes'
      ? dispatchInstanceState(raw, options.allowedActions)
      : dispatch(raw, options);
  } catch (error) {
    if (error instanceof TriggerEventError) throw error;
    // A bug here must still surface as "rejected, touched nothing", never as a crash of another kind.
    throw new TriggerEventError(`could not parse the event: ${String(error)}`, 'unknown');
  }
}

function dispatch<A extends string>(raw: unknown, options: ParseTriggerOptions<A>): ParsedEvent<A> {
  if (!isPlainObject(raw)) throw unrecognised(`got ${describeValue(raw)}`);
  if ('Records' in raw) return parseSnsEvent(raw);
  if ('detail-type' in raw || 'detail' in raw) return parseEventBridgeEvent(raw);
  if ('alarmData' in raw) return parseAlarmActionPayload(raw);
  if ('action' in raw) return parseManualPayload(raw, options.allowedActions);
  throw unrecognised(`got ${describeReceived(raw)}`);
}

function dispatchInstanceState<A extends string>(
  raw: unknown,
  allowedActions: readonly A[],
): InstanceStateTrigger | ManualTrigger<A> {
  const expected = EXPECTED['instance-state-changes'];
  if (!isPlainObject(raw)) throw unrecognised(`got ${describeValue(raw)}`, expected);
  if ('detail-type' in raw || 'source' in raw || 'detail' in raw) return parseInstanceState(raw);
  if ('action' in raw) return parseManualPayload(raw, allowedActions);
  throw unrecognised(`got ${describeReceived(raw)}`, expected);
}

// ---------------------------------------------------------------- EC2 instance state

const instanceStateSchema = z.object({
  account: z.optional(z.string().check(z.maxLength(ID_MAX_LENGTH))),
  time: z.string().check(z.maxLength(64)),
  region: z.string().check(z.regex(REGION, { error: 'expected an AWS region such as eu-west-1' })),
  detail: z.object({
    'instance-id': z
      .string()
      .check(z.regex(/^i-[0-9a-f]{8,17}$/, { error: 'expected an instance id' })),
    state: z.string().check(z.minLength(1), z.maxLength(32)),
  }),
});

function parseInstanceState(raw: Record<string, unknown>): InstanceStateTrigger {
  if (raw['source'] !== EC2_SOURCE || raw['detail-type'] !== EC2_STATE_CHANGE) {
    throw new TriggerEventError(
      `unsupported EventBridge event: expected source "${EC2_SOURCE}" and detail-type ` +
        `"${EC2_STATE_CHANGE}"; got source ${quote(raw['source'])} and detail-type ${quote(raw['detail-type'])}`,
      'eventbridge',
    );
  }
  const event = validate(instanceStateSchema, raw, `"${EC2_STATE_CHANGE}"`, 'eventbridge', []);
  return withoutUndefined({
    kind: 'instance-state',
    source: 'eventbridge',
    instanceId: event.detail['instance-id'],
    state: event.detail.state,
    region: event.region,
    accountId: event.account,
    timestamp: toIsoTimestamp(event.time, ['time'], `"${EC2_STATE_CHANGE}"`, 'eventbridge'),
  });
}

// ---------------------------------------------------------------- EventBridge

const alarmName = z.string().check(
  z.minLength(1, { error: 'expected an alarm name', abort: true }),
  z.maxLength(ALARM_NAME_MAX_LENGTH, {
    error: `expected at most ${ALARM_NAME_MAX_LENGTH} characters (CloudWatch's limit)`,
  }),
);
const boundedId = z
  .string()
  .check(z.maxLength(ID_MAX_LENGTH, { error: `expected at most ${ID_MAX_LENGTH} characters` }));
const arn = z
  .string()
  .check(z.maxLength(ARN_MAX_LENGTH, { error: `expected at most ${ARN_MAX_LENGTH} characters` }));
const timeText = z.string().check(z.maxLength(64, { error: 'expected a timestamp' }));
const region = z
  .string()
  .check(z.regex(REGION, { error: 'expected an AWS region such as eu-west-1' }));

const stateSchema = z.object({
  value: z.enum(ALARM_STATES),
  reason: z.optional(z.string()),
  timestamp: z.optional(timeText),
});

const eventBridgeSchema = z.object({
  id: z.optional(boundedId),
  account: z.optional(boundedId),
  time: timeText,
  region,
  resources: z.optional(z.array(arn).check(z.maxLength(100))),
  detail: z.object({
    alarmName,
    state: stateSchema,
    previousState: z.optional(stateSchema),
  }),
});

function parseEventBridgeEvent(raw: Record<string, unknown>): AlarmTrigger {
  const source = raw['source'];
  const detailType = raw['detail-type'];
  if (source !== ALARM_SOURCE || detailType !== ALARM_DETAIL_TYPE) {
    throw new TriggerEventError(
      `unsupported EventBridge event: expected source "${ALARM_SOURCE}" and detail-type ` +
        `"${ALARM_DETAIL_TYPE}"; got source ${quote(source)} and detail-type ${quote(detailType)}`,
      'eventbridge',
    );
  }
  const event = validate(eventBridgeSchema, raw, 'EventBridge alarm event', 'eventbridge', []);
  const { detail } = event;
  const timestampPath =
    detail.state.timestamp === undefined ? ['time'] : ['detail', 'state', 'timestamp'];
  return withoutUndefined({
    kind: 'alarm',
    source: 'eventbridge',
    alarmName: detail.alarmName,
    alarmArn: event.resources?.find((arn) => arn.startsWith('arn:') && arn.includes(':alarm:')),
    region: event.region,
    state: detail.state.value,
    previousState: detail.previousState?.value,
    reason: clip(detail.state.reason),
    timestamp: toIsoTimestamp(
      detail.state.timestamp ?? event.time,
      timestampPath,
      'EventBridge alarm event',
      'eventbridge',
    ),
    accountId: event.account,
    eventId: event.id,
  });
}

// ---------------------------------------------------------------- alarm action

const alarmActionSchema = z.object({
  source: z.literal(ALARM_SOURCE),
  alarmArn: z.optional(arn),
  accountId: z.optional(boundedId),
  time: z.optional(timeText),
  region,
  alarmData: z.object({
    alarmName,
    state: stateSchema,
    previousState: z.optional(stateSchema),
  }),
});

function parseAlarmActionPayload(raw: Record<string, unknown>): AlarmTrigger {
  const shape = 'CloudWatch alarm action payload';
  const payload = validate(alarmActionSchema, raw, shape, 'alarm-action', []);
  const { alarmData } = payload;
  const stamp = alarmData.state.timestamp ?? payload.time;
  const stampPath =
    alarmData.state.timestamp === undefined ? ['time'] : ['alarmData', 'state', 'timestamp'];
  if (stamp === undefined) {
    throw broken(shape, 'alarm-action', [
      { path: 'alarmData.state.timestamp', message: 'missing: the time of the state change' },
    ]);
  }
  return withoutUndefined({
    kind: 'alarm',
    source: 'alarm-action',
    alarmName: alarmData.alarmName,
    alarmArn: payload.alarmArn,
    region: payload.region,
    state: alarmData.state.value,
    previousState: alarmData.previousState?.value,
    reason: clip(alarmData.state.reason),
    timestamp: toIsoTimestamp(stamp, stampPath, shape, 'alarm-action'),
    accountId: payload.accountId,
  });
}

// ---------------------------------------------------------------- SNS

const snsRecordSchema = z.object({
  EventSource: z.literal('aws:sns'),
  EventSubscriptionArn: z.optional(arn),
  Sns: z.object({
    MessageId: z.optional(boundedId),
    TopicArn: z.optional(arn),
    // SNS messages are at most 256 KiB.
    Message: z
      .string()
      .check(z.maxLength(262_144, { error: 'expected at most 256 KiB (the SNS limit)' })),
  }),
});

const snsAlarmMessageSchema = z.object({
  AlarmName: alarmName,
  AlarmArn: z.optional(arn),
  AWSAccountId: z.nullish(boundedId),
  NewStateValue: z.enum(ALARM_STATES),
  OldStateValue: z.nullish(z.enum(ALARM_STATES)),
  NewStateReason: z.nullish(z.string()),
  StateChangeTime: timeText,
});

function parseSnsEvent(raw: Record<string, unknown>): AlarmTrigger {
  const shape = 'SNS notification';
  const records = raw['Records'];
  if (!Array.isArray(records)) {
    throw broken(shape, 'sns', [
      { path: 'Records', message: `expected an array, got ${describeValue(records)}` },
    ]);
  }
  if (records.length === 0) {
    throw broken(shape, 'sns', [{ path: 'Records', message: 'expected exactly 1 record, got 0' }]);
  }
  const first: unknown = records[0];
  const eventSource = isPlainObject(first)
    ? (first['EventSource'] ?? first['eventSource'])
    : undefined;
  if (eventSource !== 'aws:sns') {
    throw unrecognised(
      `got a Records batch whose first record comes from ${quote(eventSource)}, not from "aws:sns"`,
    );
  }
  if (records.length !== 1) {
    throw broken(shape, 'sns', [
      {
        path: 'Records',
        message: `expected exactly 1 record (SNS delivers one message per invocation), got ${records.length}`,
      },
    ]);
  }
  const record = validate(snsRecordSchema, first, shape, 'sns', ['Records', 0]);
  const messagePath = ['Records', 0, 'Sns', 'Message'] as const;
  let message: unknown;
  try {
    message = JSON.parse(record.Sns.Message);
  } catch {
    throw broken(shape, 'sns', [
      {
        path: formatPath(messagePath, '(root)'),
        message: 'is not JSON, so it does not wrap a CloudWatch alarm notification',
      },
    ]);
  }
  if (!isPlainObject(message) || !('AlarmName' in message || 'NewStateValue' in message)) {
    throw broken(shape, 'sns', [
      {
        path: formatPath(messagePath, '(root)'),
        message: `is JSON but not a CloudWatch alarm notification (no AlarmName or NewStateValue); got ${
          isPlainObject(message)
            ? `an object with keys [${listKeys(Object.keys(message))}]`
            : describeValue(message)
        }`,
      },
    ]);
  }
  const alarm = validate(snsAlarmMessageSchema, message, `${shape} (alarm message)`, 'sns', [
    ...messagePath,
  ]);
  // Real notifications name the region in prose ("EU (Ireland)"), and old ones carry no
  // AlarmArn, so the region comes from an ARN: the alarm's, else the topic's (same region).
  const region =
    regionOfArn(alarm.AlarmArn) ??
    regionOfArn(record.Sns.TopicArn) ??
    regionOfArn(record.EventSubscriptionArn);
  if (region === undefined) {
    throw broken(shape, 'sns', [
      {
        path: formatPath([...messagePath, 'AlarmArn'], '(root)'),
        message: 'cannot tell the alarm region: neither AlarmArn nor the topic ARN names one',
      },
    ]);
  }
  return withoutUndefined({
    kind: 'alarm',
    source: 'sns',
    alarmName: alarm.AlarmName,
    alarmArn: alarm.AlarmArn,
    region,
    state: alarm.NewStateValue,
    previousState: alarm.OldStateValue ?? undefined,
    reason: clip(alarm.NewStateReason ?? undefined),
    timestamp: toIsoTimestamp(
      alarm.StateChangeTime,
      [...messagePath, 'StateChangeTime'],
      shape,
      'sns',
    ),
    accountId: alarm.AWSAccountId ?? undefined,
    eventId: record.Sns.MessageId,
  });
}

function regionOfArn(arn: string | undefined): string | undefined {
  const region = arn?.split(':')[3];
  return region !== undefined && REGION.test(region) ? region : undefined;
}

// ---------------------------------------------------------------- manual

const nonEmpty = (what: string, max: number, ...more: z.core.$ZodCheck<string>[]) =>
  z
    .string()
    .check(
      z.minLength(1, { error: `expected ${what}, got an empty string`, abort: true }),
      z.maxLength(max, { error: `expected at most ${max} characters`, abort: true }),
      ...more,
    );

const manualSchema = z.strictObject({
  action: nonEmpty('an action', 64),
  reason: z.optional(nonEmpty('a reason', REASON_MAX_LENGTH)),
  dryRun: z.optional(z.boolean()),
  force: z.optional(z.boolean()),
  groupId: z.optional(
    nonEmpty(
      'a node group id',
      63,
      z.regex(NODE_GROUP_ID, {
        error: 'expected a node group id (lower-case letters, digits and -)',
      }),
    ),
  ),
  to: z.optional(
    nonEmpty(
      'an instance type',
      INSTANCE_TYPE_MAX_LENGTH,
      z.regex(INSTANCE_TYPE, { error: 'expected an instance type such as m6i.xlarge' }),
    ),
  ),
  step: z.optional(z.enum(['up', 'down'])),
  backup: z.optional(
    nonEmpty(
      'a Velero backup name',
      KUBERNETES_OBJECT_NAME_MAX_LENGTH,
      z.regex(KUBERNETES_OBJECT_NAME, {
        error:
          "expected a Velero backup name: a Kubernetes object name of lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
      }),
    ),
  ),
  ignoreIngressTlsSpec: z.optional(z.boolean()),
  drill: z.optional(z.boolean()),
});

const RESIZE_ONLY = ['groupId', 'to', 'step'] as const;
const BACKUP_ONLY = ['backup'] as const;
const SWITCH_ONLY = ['drill'] as const;

function parseManualPayload<A extends string>(
  raw: Record<string, unknown>,
  allowedActions: readonly A[],
): ManualTrigger<A> {
  const shape = 'manual payload';
  const payload = validate(manualSchema, raw, shape, 'manual', []);
  if (!(allowedActions as readonly string[]).includes(payload.action)) {
    throw broken(shape, 'manual', [
      {
        path: 'action',
        message:
          `${quote(payload.action)} is not an action this function carries out; ` +
          `expected one of [${allowedActions.join(', ')}]`,
      },
    ]);
  }
  const issues = crossFieldIssues(payload);
  if (issues.length > 0) throw broken(shape, 'manual', issues);
  return withoutUndefined({
    kind: 'manual',
    action: payload.action as A,
    reason: payload.reason,
    dryRun: payload.dryRun ?? false,
    force: payload.force ?? false,
    groupId: payload.groupId,
    to: payload.to,
    step: payload.step,
    backup: payload.backup,
    ignoreIngressTlsSpec: payload.ignoreIngressTlsSpec,
    drill: payload.drill,
  });
}

function crossFieldIssues(payload: z.infer<typeof manualSchema>): TriggerEventIssue[] {
  const issues: TriggerEventIssue[] = [];
  const misplaced = (fields: readonly (keyof typeof payload)[], owner: string) => {
    for (const field of fields) {
      if (payload[field] !== undefined && payload.action !== owner) {
        issues.push({ path: field, message: `only applies to action "${owner}"` });
      }
    }
  };
  misplaced(RESIZE_ONLY, 'resize');
  if (
    payload.backup !== undefined &&
    payload.action !== 'resync' &&
    payload.action !== 'verify-restore'
  ) {
    issues.push({
      path: BACKUP_ONLY[0],
      message: 'only applies to actions "resync" and "verify-restore"',
    });
  }
  if (
    payload.drill !== undefined &&
    payload.action !== 'failover' &&
    payload.action !== 'failback' &&
    payload.action !== 'verify'
  ) {
    issues.push({
      path: SWITCH_ONLY[0],
      message: 'only applies to actions "failover", "failback" and "verify"',
    });
  }
  if (payload.action === 'resize') {
    if (payload.groupId === undefined) {
      issues.push({ path: 'groupId', message: 'required for action "resize"' });
    }
    if (payload.to !== undefined && payload.step !== undefined) {
      issues.push({ path: 'to', message: 'give either "to" or "step", not both' });
    }
  }
  return issues;
}

// ---------------------------------------------------------------- helpers

/**
 * zod/mini (tree-shakable, so a Lambda bundle carries only the checks used here) loads no locale;
 * the English one gives the same messages as full zod for the checks that carry none of their own.
 */
const englishMessages = en().localeError;

function validate<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  shape: string,
  shapeKind: TriggerShape,
  basePath: readonly PropertyKey[],
): z.infer<S> {
  const result = schema.safeParse(value, { error: englishMessages });
  if (result.success) return result.data;
  throw broken(
    shape,
    shapeKind,
    result.error.issues.flatMap((issue) => toIssues(issue, basePath)),
  );
}

function toIssues(issue: z.core.$ZodIssue, basePath: readonly PropertyKey[]): TriggerEventIssue[] {
  const path = [...basePath, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...path, truncate(key)], '(root)'),
      message: 'unknown field',
    }));
  }
  return [{ path: formatPath(path, '(root)'), message: issue.message }];
}

function toIsoTimestamp(
  value: string,
  path: readonly PropertyKey[],
  shape: string,
  shapeKind: TriggerShape,
): string {
  const match = CLOUDWATCH_TIME.exec(value);
  const millis = match ? Date.parse(`${match[1]}${normaliseOffset(match[2] ?? 'Z')}`) : NaN;
  if (Number.isNaN(millis)) {
    throw broken(shape, shapeKind, [
      {
        path: formatPath(path, '(root)'),
        message: `expected a timestamp such as 2019-10-02T17:04:40.989+0000, got ${quote(value)}`,
      },
    ]);
  }
  return new Date(millis).toISOString();
}

function normaliseOffset(offset: string): string {
  return offset === 'Z' || offset.includes(':')
    ? offset
    : `${offset.slice(0, 3)}:${offset.slice(3)}`;
}

function broken(
  shape: string,
  shapeKind: TriggerShape,
  issues: readonly TriggerEventIssue[],
): TriggerEventError {
  const detail = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  return new TriggerEventError(`invalid ${shape}: ${detail}`, shapeKind, issues);
}

function unrecognised(got: string, expected: string = EXPECTED.alarms): TriggerEventError {
  return new TriggerEventError(`unrecognised event: ${expected}; ${got}`, 'unknown');
}

/** One line for logs and the audit trail: what started an action. */
export function describeTrigger(trigger: ParsedEvent): string {
  return trigger.kind === 'alarm'
    ? `alarm ${trigger.alarmName} ${trigger.previousState ?? '?'}→${trigger.state} (${trigger.source})`
    : `manual ${trigger.action}`;
}

/** What a rejected value was, for a message: its type, and its keys or text cut short. */
export function describeReceived(value: unknown): string {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty object' : `an object with keys [${listKeys(keys)}]`;
  }
  return describeValue(value);
}

function clip(text: string | undefined): string | undefined {
  return text === undefined || text.length <= STATE_REASON_MAX_LENGTH
    ? text
    : `${text.slice(0, STATE_REASON_MAX_LENGTH - 1)}…`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} item(s)`;
  if (typeof value === 'string') return `a string ${quote(value)}`;
  return `a value of type ${typeof value}`;
}

// Keys and values come from whoever invoked the function: cap what reaches a message or a log.
function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, 10).map(truncate).join(', ');
  return keys.length > 10 ? `${shown}, … ${keys.length - 10} more` : shown;
}

/** A value for a message: a string quoted and cut short, anything else described. */
export function quote(value: unknown): string {
  if (value === undefined) return '(missing)';
  return typeof value === 'string' ? JSON.stringify(truncate(value)) : describeValue(value);
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
