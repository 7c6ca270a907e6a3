/**
 * What the pager (lambdas/pager/handler.ts) publishes for an event EventBridge delivered to it:
 * a one-line subject and a body a person can act on. Two event types reach it (lib/pager.ts):
 * - "CloudWatch Alarm State Change" (source aws.cloudwatch) of the alarms drpilot registered,
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html;
 * - "Step Functions Execution Status Change" (source aws.states) of an execution that ended
 *   FAILED, TIMED_OUT or ABORTED,
 *   https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html.
 * Anything else is a PageEventError naming the field: the rules match nothing else, so another
 * event means a wiring mistake, which must fail loudly (into the failure queue) rather than page
 * with a half-empty message.
 */

/** SNS Publish: the subject is at most 100 characters, no line breaks or control characters. */
export const SNS_SUBJECT_MAX_LENGTH = 100;

export interface Page {
  subject: string;
  message: string;
}

export class PageEventError extends Error {
  override readonly name = 'PageEventError';
}

const ALARM_DETAIL_TYPE = 'CloudWatch Alarm State Change';
const EXECUTION_DETAIL_TYPE = 'Step Functions Execution Status Change';

/** The page for `event`; `deployment` is the config's `name` (e.g. "acme"). */
export function pageFor(event: unknown, deployment: string): Page {
  const envelope = objectAt(event, 'event');
  const detailType = stringAt(envelope, 'detail-type');
  if (detailType === ALARM_DETAIL_TYPE && envelope['source'] === 'aws.cloudwatch') {
    return alarmPage(envelope, deployment);
  }
  if (detailType === EXECUTION_DETAIL_TYPE && envelope['source'] === 'aws.states') {
    return executionPage(envelope, deployment);
  }
  throw new PageEventError(
    `detail-type: expected "${ALARM_DETAIL_TYPE}" (source aws.cloudwatch) or "${EXECUTION_DETAIL_TYPE}" (source aws.states), got ${JSON.stringify(detailType)} from ${JSON.stringify(envelope['source'])}`,
  );
}

function alarmPage(event: Record<string, unknown>, deployment: string): Page {
  const region = stringAt(event, 'region');
  const detail = objectAt(event['detail'], 'detail');
  const alarmName = stringAt(detail, 'alarmName', 'detail.');
  const state = objectAt(detail['state'], 'detail.state');
  const value = stringAt(state, 'value', 'detail.state.');
  const previous =
    typeof detail['previousState'] === 'object' && detail['previousState'] !== null
      ? (detail['previousState'] as Record<string, unknown>)['value']
      : undefined;
  const description = optionalStringAt(detail['configuration'], 'description');
  const lines = [
    `Alarm: ${alarmName}`,
    `State: ${value}${typeof previous === 'string' ? ` (was ${previous})` : ''}`,
    `Reason: ${optionalStringAt(state, 'reason') ?? '(none given)'}`,
    ...(description ? [`Description: ${description}`] : []),
    `Region: ${region}`,
    `Changed at: ${optionalStringAt(state, 'timestamp') ?? stringAt(event, 'time')}`,
    `Console: https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`,
  ];
  return {
    subject: subjectOf(`drpilot ${deployment}: ${value} ${alarmName} (${region})`),
    message: lines.join('\n'),
  };
}

function executionPage(event: Record<string, unknown>, deployment: string): Page {
  const region = stringAt(event, 'region');
  const detail = objectAt(event['detail'], 'detail');
  const status = stringAt(detail, 'status', 'detail.');
  const executionArn = stringAt(detail, 'executionArn', 'detail.');
  const stateMachineArn = stringAt(detail, 'stateMachineArn', 'detail.');
  const stateMachine = stateMachineArn.split(':').at(-1) ?? stateMachineArn;
  const lines = [
    `Execution: ${stringAt(detail, 'name', 'detail.')}`,
    `Status: ${status}`,
    `State machine: ${stateMachineArn}`,
    `Region: ${region}`,
    `Started at: ${dateOf(detail['startDate'])}`,
    `Stopped at: ${dateOf(detail['stopDate'])}`,
    `Reported at: ${stringAt(event, 'time')}`,
    `Console: https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`,
  ];
  return {
    subject: subjectOf(`drpilot ${deployment}: execution ${status} ${stateMachine} (${region})`),
    message: lines.join('\n'),
  };
}

/** One line, at most SNS_SUBJECT_MAX_LENGTH characters (an ellipsis marks a cut). */
function subjectOf(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return line.length <= SNS_SUBJECT_MAX_LENGTH
    ? line
    : `${line.slice(0, SNS_SUBJECT_MAX_LENGTH - 1)}…`;
}

/** Step Functions event dates are epoch milliseconds (null while running). */
function dateOf(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value)
    ? new Date(value).toISOString()
    : '(not given)';
}

function objectAt(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PageEventError(`${path}: expected an object`);
  }
  return value as Record<string, unknown>;
}

function stringAt(object: Record<string, unknown>, key: string, prefix = ''): string {
  const value = object[key];
  if (typeof value !== 'string' || value === '') {
    throw new PageEventError(`${prefix}${key}: expected a non-empty string`);
  }
  return value;
}

function optionalStringAt(object: unknown, key: string): string | undefined {
  if (typeof object !== 'object' || object === null) return undefined;
  const value = (object as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
