import { readFileSync } from 'node:fs';

const fixtures = new URL('../fixtures/events/', import.meta.url);
const load = (name: string) => JSON.parse(readFileSync(new URL(name, fixtures), 'utf8'));

export const ALARM_SHAPES = ['eventbridge', 'sns', 'alarm-action'] as const;
export type AlarmShape = (typeof ALARM_SHAPES)[number];

export interface AlarmEventSpec {
  alarmName: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  region: string;
  account: string;
  /** When the state changed. */
  at: Date;
}

/** CloudWatch's own format: 2019-10-02T17:04:40.989+0000. */
const cloudWatchTime = (at: Date) => at.toISOString().replace('Z', '+0000');

/**
 * A state change of `spec` as each delivery path carries it, built from the published payloads in
 * test/fixtures/events (SOURCES.md) with only the alarm's own fields replaced.
 */
export function alarmEventAs(shape: AlarmShape, spec: AlarmEventSpec): Record<string, any> {
  const arn = `arn:aws:cloudwatch:${spec.region}:${spec.account}:alarm:${spec.alarmName}`;
  const previous = spec.state === 'ALARM' ? 'OK' : 'ALARM';
  if (shape === 'eventbridge') {
    const event = load('eventbridge-single-metric.json');
    event.account = spec.account;
    event.region = spec.region;
    event.time = spec.at.toISOString().replace(/\.\d+Z$/, 'Z');
    event.resources = [arn];
    event.detail.alarmName = spec.alarmName;
    event.detail.state.value = spec.state;
    event.detail.state.timestamp = cloudWatchTime(spec.at);
    event.detail.previousState.value = previous;
    return event;
  }
  if (shape === 'sns') {
    const event = load('sns-alarm-single-metric.json');
    const record = event.Records[0];
    const message = JSON.parse(record.Sns.Message);
    Object.assign(message, {
      AlarmName: spec.alarmName,
      AlarmArn: arn,
      AWSAccountId: spec.account,
      NewStateValue: spec.state,
      OldStateValue: previous,
      StateChangeTime: cloudWatchTime(spec.at),
    });
    record.Sns.Message = JSON.stringify(message);
    record.Sns.TopicArn = `arn:aws:sns:${spec.region}:${spec.account}:acme-drpilot-alarms`;
    return event;
  }
  const event = load('alarm-action-single-metric.json');
  event.alarmArn = arn;
  event.accountId = spec.account;
  event.region = spec.region;
  event.time = cloudWatchTime(spec.at);
  event.alarmData.alarmName = spec.alarmName;
  event.alarmData.state.value = spec.state;
  event.alarmData.state.timestamp = cloudWatchTime(spec.at);
  event.alarmData.previousState.value = previous;
  return event;
}
