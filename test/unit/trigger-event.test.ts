import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseTriggerEvent,
  TriggerEventError,
  type ParsedEvent,
} from '../../lambdas/core/events/trigger-event';

const ALL_ACTIONS = ['failover', 'failback', 'resize', 'resync'] as const;
const options = { allowedActions: ALL_ACTIONS };

function fixture(name: string): unknown {
  const url = new URL(`../fixtures/events/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8'));
}

function parseError(
  raw: unknown,
  allowedActions: readonly string[] = ALL_ACTIONS,
): TriggerEventError {
  try {
    parseTriggerEvent(raw, { allowedActions });
  } catch (error) {
    expect(error).toBeInstanceOf(TriggerEventError);
    return error as TriggerEventError;
  }
  throw new Error('expected the event to be rejected');
}

const EXPECTED_SHAPES =
  'unrecognised event: expected an EventBridge "CloudWatch Alarm State Change" event, an SNS ' +
  'notification wrapping an alarm, a CloudWatch alarm action payload or a manual { action } payload; ';

describe('parseTriggerEvent: real alarm payloads', () => {
  const cases: [string, Partial<ParsedEvent>][] = [
    [
      'eventbridge-single-metric.json',
      {
        kind: 'alarm',
        source: 'eventbridge',
        alarmName: 'ServerCpuTooHigh',
        alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
        region: 'us-east-1',
        state: 'ALARM',
        previousState: 'OK',
        timestamp: '2019-10-02T17:04:40.989Z',
        accountId: '123456789012',
        eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      },
    ],
    [
      'eventbridge-metric-math.json',
      {
        source: 'eventbridge',
        alarmName: 'TotalNetworkTrafficTooHigh',
        region: 'us-east-1',
        state: 'ALARM',
        previousState: 'INSUFFICIENT_DATA',
        timestamp: '2019-10-02T17:20:48.554Z',
      },
    ],
    [
      'eventbridge-anomaly-detection.json',
      {
        source: 'eventbridge',
        alarmName: 'EC2 CPU Utilization Anomaly',
        alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:EC2 CPU Utilization Anomaly',
        state: 'ALARM',
        previousState: 'OK',
        timestamp: '2019-10-03T16:00:04.653Z',
      },
    ],
    [
      'eventbridge-composite-suppressor.json',
      {
        source: 'eventbridge',
        alarmName: 'ServiceAggregatedAlarm',
        region: 'us-east-1',
        state: 'ALARM',
        previousState: 'OK',
        timestamp: '2022-07-22T15:57:45.394Z',
        reason:
          'arn:aws:cloudwatch:us-east-1:123456789012:alarm:SuppressionDemo.EventBridge.FirstChild transitioned to ALARM at Friday 22 July, 2022 15:57:45 UTC',
      },
    ],
    [
      'alarm-action-single-metric.json',
      {
        kind: 'alarm',
        source: 'alarm-action',
        alarmName: 'lambda-demo-metric-alarm',
        alarmArn: 'arn:aws:cloudwatch:us-east-1:444455556666:alarm:lambda-demo-metric-alarm',
        region: 'us-east-1',
        state: 'ALARM',
        previousState: 'INSUFFICIENT_DATA',
        reason: 'test',
        timestamp: '2023-08-04T12:36:15.490Z',
        accountId: '444455556666',
      },
    ],
    [
      'alarm-action-metric-math.json',
      {
        source: 'alarm-action',
        alarmName: 'Test alert',
        region: 'eu-west-1',
        state: 'ALARM',
        previousState: 'OK',
        timestamp: '2024-02-17T11:53:08.431Z',
        // The payload's accountId, not the one inside alarmArn (they differ in this capture).
        accountId: '123456789012',
      },
    ],
    [
      'alarm-action-composite.json',
      {
        source: 'alarm-action',
        alarmName: 'CompositeDemo.Main',
        region: 'us-east-1',
        state: 'ALARM',
        previousState: 'ALARM',
        timestamp: '2023-08-04T12:56:46.138Z',
        accountId: '111122223333',
      },
    ],
    [
      'alarm-action-acme-primary-health.json',
      {
        source: 'alarm-action',
        alarmName: 'acme-primary-health',
        region: 'us-east-1',
        state: 'ALARM',
        accountId: '111122223333',
      },
    ],
    [
      'sns-alarm-single-metric.json',
      {
        kind: 'alarm',
        source: 'sns',
        alarmName: 'EXAMPLE',
        alarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:EXAMPLE',
        region: 'eu-west-1',
        state: 'ALARM',
        previousState: 'INSUFFICIENT_DATA',
        timestamp: '2015-06-03T17:43:27.123Z',
        accountId: '123456789012',
        eventId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
      },
    ],
    [
      'sns-alarm-multiple-metrics.json',
      {
        source: 'sns',
        alarmName: 'EXAMPLE',
        region: 'eu-west-1',
        state: 'ALARM',
        previousState: 'INSUFFICIENT_DATA',
        timestamp: '2015-06-03T17:43:27.123Z',
      },
    ],
    [
      'sns-alarm-insufficient-data-sydney.json',
      {
        source: 'sns',
        alarmName: 'test-lambda-parity',
        region: 'ap-southeast-2',
        state: 'INSUFFICIENT_DATA',
        previousState: 'ALARM',
        reason: 'Insufficient Data: 1 datapoint was unknown.',
        timestamp: '2021-10-21T10:20:50.932Z',
        accountId: '1234567890',
        eventId: '123456abcdef',
      },
    ],
  ];

  it.each(cases)('%s', (name, expected) => {
    expect(parseTriggerEvent(fixture(name), options)).toMatchObject(expected);
  });

  it('takes the region from the topic ARN when the notification has no AlarmArn (older format)', () => {
    const event = fixture('sns-alarm-insufficient-data-sydney.json') as {
      Records: [{ Sns: { Message: string } }];
    };
    const [record] = event.Records;
    const message = JSON.parse(record.Sns.Message) as Record<string, unknown>;
    delete message['AlarmArn'];
    record.Sns.Message = JSON.stringify(message);
    const parsed = parseTriggerEvent(event, options);
    expect(parsed).toMatchObject({ kind: 'alarm', region: 'ap-southeast-2' });
    expect(parsed).not.toHaveProperty('alarmArn');
  });
});

describe('parseTriggerEvent: manual payloads', () => {
  it('defaults dryRun and force to false', () => {
    expect(parseTriggerEvent({ action: 'failover', reason: 'drill' }, options)).toEqual({
      kind: 'manual',
      action: 'failover',
      reason: 'drill',
      dryRun: false,
      force: false,
    });
  });

  it('carries the CLI fields of resize and resync', () => {
    expect(
      parseTriggerEvent(
        { action: 'resize', groupId: 'primary-workers', to: 'm6i.2xlarge', dryRun: true },
        options,
      ),
    ).toEqual({
      kind: 'manual',
      action: 'resize',
      groupId: 'primary-workers',
      to: 'm6i.2xlarge',
      dryRun: true,
      force: false,
    });
    expect(
      parseTriggerEvent({ action: 'resize', groupId: 'g', step: 'down' }, options),
    ).toMatchObject({
      step: 'down',
    });
    expect(
      parseTriggerEvent({ action: 'resync', backup: 'daily-20240101' }, options),
    ).toMatchObject({
      action: 'resync',
      backup: 'daily-20240101',
    });
    expect(
      parseTriggerEvent({ action: 'failback', force: true, ignoreIngressTlsSpec: true }, options),
    ).toMatchObject({ action: 'failback', force: true, ignoreIngressTlsSpec: true });
  });

  it('refuses an action the function does not carry out', () => {
    const error = parseError({ action: 'resize', groupId: 'g' }, ['failover', 'failback']);
    expect(error.message).toBe(
      'invalid manual payload: action: "resize" is not an action this function carries out; expected one of [failover, failback]',
    );
    expect(error.shape).toBe('manual');
    expect(error.issues).toEqual([{ path: 'action', message: expect.stringContaining('resize') }]);
  });

  it('refuses an invalid instance type', () => {
    expect(parseError({ action: 'resize', groupId: 'g', to: 'huge' }).message).toBe(
      'invalid manual payload: to: expected an instance type such as m6i.xlarge',
    );
  });
});

describe('parseTriggerEvent: malformed corpus', () => {
  const cases: [string, string][] = [
    ['empty-object.json', `${EXPECTED_SHAPES}got an empty object`],
    ['null.json', `${EXPECTED_SHAPES}got null`],
    ['array.json', `${EXPECTED_SHAPES}got an array of 0 item(s)`],
    ['string.json', `${EXPECTED_SHAPES}got a string "failover"`],
    [
      's3-put.json',
      `${EXPECTED_SHAPES}got a Records batch whose first record comes from "aws:s3", not from "aws:sns"`,
    ],
    [
      'eventbridge-alarm-configuration-change.json',
      'unsupported EventBridge event: expected source "aws.cloudwatch" and detail-type "CloudWatch Alarm State Change"; got source "aws.cloudwatch" and detail-type "CloudWatch Alarm Configuration Change"',
    ],
    [
      'eventbridge-ec2-state-change.json',
      'unsupported EventBridge event: expected source "aws.cloudwatch" and detail-type "CloudWatch Alarm State Change"; got source "aws.ec2" and detail-type "EC2 Instance State-change Notification"',
    ],
    [
      'eventbridge-wrong-types.json',
      'invalid EventBridge alarm event: region: Invalid input: expected string, received number; detail.state.value: Invalid option: expected one of "OK"|"ALARM"|"INSUFFICIENT_DATA"',
    ],
    [
      'sns-plain-text-message.json',
      'invalid SNS notification: Records[0].Sns.Message: is not JSON, so it does not wrap a CloudWatch alarm notification',
    ],
    [
      'sns-message-not-an-alarm.json',
      'invalid SNS notification: Records[0].Sns.Message: is JSON but not a CloudWatch alarm notification (no AlarmName or NewStateValue); got an object with keys [id, detail-type, source, account, time, region, resources, detail]',
    ],
    [
      'sns-alarm-missing-new-state.json',
      'invalid SNS notification (alarm message): Records[0].Sns.Message.NewStateValue: Invalid option: expected one of "OK"|"ALARM"|"INSUFFICIENT_DATA"',
    ],
    [
      'sns-two-records.json',
      'invalid SNS notification: Records: expected exactly 1 record (SNS delivers one message per invocation), got 2',
    ],
    [
      'alarm-action-missing-state.json',
      'invalid CloudWatch alarm action payload: alarmData.state: Invalid input: expected object, received undefined',
    ],
    [
      'alarm-action-docs-spaced-timestamps.json',
      'invalid CloudWatch alarm action payload: alarmData.state.timestamp: expected a timestamp such as 2019-10-02T17:04:40.989+0000, got "2023-08-04T12: 36: 15.490+0000"',
    ],
    [
      'manual-unknown-action.json',
      'invalid manual payload: action: "reboot" is not an action this function carries out; expected one of [failover, failback, resize, resync]',
    ],
    ['manual-extra-keys.json', 'invalid manual payload: region: unknown field; yes: unknown field'],
    [
      'manual-wrong-types.json',
      'invalid manual payload: reason: Invalid input: expected string, received number; dryRun: Invalid input: expected boolean, received string; force: Invalid input: expected boolean, received number',
    ],
    [
      'manual-resize-to-and-step.json',
      'invalid manual payload: to: give either "to" or "step", not both',
    ],
    [
      'manual-resize-without-group.json',
      'invalid manual payload: groupId: required for action "resize"',
    ],
    [
      'manual-failover-with-resize-fields.json',
      'invalid manual payload: groupId: only applies to action "resize"; backup: only applies to actions "resync" and "verify-restore"',
    ],
  ];

  it.each(cases)('%s', (name, message) => {
    expect(parseError(fixture(`malformed/${name}`)).message).toBe(message);
  });

  it('keeps attacker-sized keys out of the message', () => {
    const message = parseError({ ['k'.repeat(10_000)]: 1 }).message;
    expect(message.length).toBeLessThan(400);
  });
});

describe('parseTriggerEvent: property', () => {
  it('never throws anything but a TriggerEventError, whatever JSON it is given', () => {
    const shapes = fc.oneof(
      fc.jsonValue(),
      fc.record({ Records: fc.array(fc.jsonValue(), { maxLength: 2 }) }),
      fc.record({ 'detail-type': fc.string(), source: fc.string(), detail: fc.jsonValue() }),
      fc.record({ source: fc.constant('aws.cloudwatch'), alarmData: fc.jsonValue() }),
      fc.record({ action: fc.jsonValue(), dryRun: fc.jsonValue() }, { requiredKeys: ['action'] }),
    );
    fc.assert(
      fc.property(shapes, (raw) => {
        try {
          parseTriggerEvent(raw, options);
        } catch (error) {
          if (!(error instanceof TriggerEventError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
