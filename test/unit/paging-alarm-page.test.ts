/**
 * The pager's pages (lambdas/core/paging/alarm-page.ts), from published events: the CloudWatch
 * alarm state changes of "Alarm events and EventBridge"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html)
 * and the Step Functions execution status changes of "CloudWatch Events for Step Functions
 * execution status changes" (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html);
 * test/fixtures/events/SOURCES.md says which file is which.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  pageFor,
  PageEventError,
  SNS_SUBJECT_MAX_LENGTH,
} from '../../lambdas/core/paging/alarm-page';

const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8'));

describe('pageFor: CloudWatch alarm state changes', () => {
  it('names the alarm, the new and previous state, the reason, the region and the time', () => {
    const page = pageFor(fixture('eventbridge-single-metric.json'), 'acme');
    expect(page.subject).toBe('drpilot acme: ALARM ServerCpuTooHigh (us-east-1)');
    expect(page.message.split('\n')).toEqual([
      'Alarm: ServerCpuTooHigh',
      'State: ALARM (was OK)',
      'Reason: Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
      'Description: Goes into alarm when server CPU utilization is too high!',
      'Region: us-east-1',
      'Changed at: 2019-10-02T17:04:40.989+0000',
      'Console: https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/ServerCpuTooHigh',
    ]);
  });

  it('says where a metric-math alarm came from, and links an alarm whose name has spaces', () => {
    const math = pageFor(fixture('eventbridge-metric-math.json'), 'acme');
    expect(math.subject).toBe('drpilot acme: ALARM TotalNetworkTrafficTooHigh (us-east-1)');
    expect(math.message).toContain('State: ALARM (was INSUFFICIENT_DATA)');
    const anomaly = pageFor(fixture('eventbridge-anomaly-detection.json'), 'acme');
    expect(anomaly.message).toContain('#alarmsV2:alarm/EC2%20CPU%20Utilization%20Anomaly');
  });

  it('keeps the subject within the SNS limit, on one line, however long the alarm name', () => {
    const event = fixture('eventbridge-single-metric.json');
    event.detail.alarmName = `acme-${'x'.repeat(250)}\nsecond line`;
    const page = pageFor(event, 'acme');
    expect(page.subject).toHaveLength(SNS_SUBJECT_MAX_LENGTH);
    expect(page.subject).toMatch(/^drpilot acme: ALARM acme-x+…$/);
    expect(page.message).toContain('alarm/acme-xxx');
  });

  it('refuses an alarm event without a state, naming the field', () => {
    const event = fixture('eventbridge-single-metric.json');
    delete event.detail.state;
    expect(() => pageFor(event, 'acme')).toThrow(
      new PageEventError('detail.state: expected an object'),
    );
  });
});

describe('pageFor: Step Functions execution status changes', () => {
  it.each([
    ['eventbridge-sfn-execution-failed.json', 'FAILED', '2019-02-26T23:52:26.847Z'],
    ['eventbridge-sfn-execution-timed-out.json', 'TIMED_OUT', '2019-02-26T23:48:46.156Z'],
    ['eventbridge-sfn-execution-aborted.json', 'ABORTED', '2019-02-26T23:50:14.968Z'],
  ])('%s: names the execution, its status, the state machine and when', (file, status, start) => {
    const page = pageFor(fixture(file), 'acme');
    expect(page.subject).toBe(`drpilot acme: execution ${status} state-machine (us-east-1)`);
    const lines = page.message.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'Execution: execution-name',
      `Status: ${status}`,
      'State machine: arn:aws:states:us-east-1:012345678912:stateMachine:state-machine',
      'Region: us-east-1',
      `Started at: ${start}`,
    ]);
    expect(lines).toContain('Reported at: 2019-02-26T19:42:21Z');
    expect(lines.at(-1)).toBe(
      'Console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn%3Aaws%3Astates%3Aus-east-1%3A012345678912%3Aexecution%3Astate-machine-name%3Aexecution-name',
    );
  });
});

describe('pageFor: anything else', () => {
  it.each([
    ['eventbridge-ec2-state-change.json', /^detail-type: expected "CloudWatch Alarm State Change"/],
    ['eventbridge-alarm-configuration-change.json', /got "CloudWatch Alarm Configuration Change"/],
  ])('refuses %s', (file, message) => {
    expect(() => pageFor(fixture(`malformed/${file}`), 'acme')).toThrow(message);
  });

  it('refuses what is not an event', () => {
    expect(() => pageFor(null, 'acme')).toThrow(new PageEventError('event: expected an object'));
    expect(() => pageFor({}, 'acme')).toThrow(
      new PageEventError('detail-type: expected a non-empty string'),
    );
  });
});
