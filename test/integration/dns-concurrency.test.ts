/**
 * Duplicate and concurrent triggers make exactly one change: an alarm's state change reaches the
 * function through EventBridge, SNS and the alarm's own action, and each may be delivered more
 * than once. The lease (a conditional write in the state table) lets one run act.
 */
import { readFileSync } from 'node:fs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it } from 'vitest';
import { setHealthAlarm } from '../../cli/embedded/seed-alarms';
import { route53Client, snsClient } from '../../lambdas/adapters/aws/clients';
import { stateKeys } from '../../lambdas/core/state-keys';
import { createDnsHandler } from '../../lambdas/dns/handler';
import { alarmEvent, countCommands, useDnsEstate } from '../support/dns-estate';
import { useMoto } from '../support/moto';

useMoto();
const seed = useDnsEstate();

const fixtures = new URL('../fixtures/events/', import.meta.url);
const load = (path: string) => JSON.parse(readFileSync(new URL(path, fixtures), 'utf8'));
const context = (i: number) => ({ awsRequestId: `request-${i}` }) as never;
const noSleep = async () => undefined;

/** The SNS-wrapped alarm fixture, rewritten for one alarm and state. */
function snsAlarmEvent(alarmName: string, state: string): Record<string, any> {
  const event = load('sns-alarm-single-metric.json');
  const message = JSON.parse(event.Records[0].Sns.Message);
  message.AlarmName = alarmName;
  message.AlarmArn = `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`;
  message.NewStateValue = state;
  message.OldStateValue = 'OK';
  message.StateChangeTime = new Date().toISOString().replace('Z', '+0000');
  event.Records[0].Sns.Message = JSON.stringify(message);
  return event;
}

/** The alarm-action fixture, stamped now and in the estate's account. */
function alarmActionNow(): Record<string, any> {
  const event = load('alarm-action-acme-primary-health.json');
  event.alarmData.state.timestamp = new Date().toISOString().replace('Z', '+0000');
  return event;
}

function countPublishes(): { count: number } {
  const counter = { count: 0 };
  snsClient('us-east-1').middlewareStack.add(
    (next, ctx) => async (args) => {
      if (ctx.commandName === PublishCommand.name) counter.count++;
      return next(args);
    },
    { step: 'initialize', name: 'countPublishes' },
  );
  return counter;
}

afterEach(() => {
  delete process.env.DRPILOT_CONFIG_JSON;
});

describe('DNS handler under duplicate and concurrent alarm events', () => {
  it('20 concurrent identical EventBridge ALARM events for the primary alarm → exactly one change', async () => {
    const estate = await seed();
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(estate.config);
    await setHealthAlarm(estate.config, 'primary', 'ALARM', 'test: primary down');
    const handler = createDnsHandler({
      resolver: estate.resolver,
      sleep: noSleep,
      insyncPollMs: 1,
    });
    const event = alarmEvent(
      load('eventbridge-single-metric.json'),
      'acme-primary-health',
      'ALARM',
    );
    const requests = countCommands(route53Client());
    const publishes = countPublishes();

    const results = (await Promise.all(
      Array.from({ length: 20 }, (_, i) => handler(structuredClone(event), context(i))),
    )) as Record<string, any>[];

    expect(requests.succeeded.ChangeResourceRecordSets).toBe(1);
    expect(requests.sent.ChangeResourceRecordSets).toBe(1);
    const outcomes = results.map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'switched')).toHaveLength(1);
    const others = results.filter((r) => r.outcome !== 'switched');
    expect(others).toHaveLength(19);
    for (const other of others) {
      expect(['refused', 'noop']).toContain(other.outcome);
      expect(other.changeId).toBeNull();
      if (other.outcome === 'refused')
        expect(other.reason).toMatch(
          /^another change of main\.example\.com is in progress \(alarm acme-primary-health OK→ALARM \(eventbridge\)#/,
        );
      else expect(other.reason).toMatch(/already points at dr/);
    }
    const switched = results.find((r) => r.outcome === 'switched')!;
    expect(switched).toMatchObject({ action: 'failover', from: 'primary', to: 'dr' });
    expect(switched.reason).toMatch(/main\.example\.com now points at dr\.example\.com/);
    expect(await estate.record()).toEqual({ target: 'dr.example.com', ttl: 30 });

    // Every decision is audited; only those that are not lease duplicates are notified.
    const store = estate.store();
    const trail = await store.recentAudit('dns', 50);
    expect(trail).toHaveLength(20);
    expect(trail.filter((e) => e.outcome === 'switched')).toHaveLength(1);
    expect(
      trail.every((e) => e.trigger === 'alarm acme-primary-health OK→ALARM (eventbridge)'),
    ).toBe(true);
    const leaseRefusals = others.filter((r) => r.outcome === 'refused').length;
    expect(publishes.count).toBe(20 - leaseRefusals);
    expect(await store.readLease(stateKeys.dnsRecord('main.example.com'))).toBeNull();
  });

  it('the same ALARM delivered through EventBridge, SNS and the alarm action, concurrently and again later → one change', async () => {
    const estate = await seed();
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(estate.config);
    await setHealthAlarm(estate.config, 'primary', 'ALARM', 'test: primary down');
    const handler = createDnsHandler({
      resolver: estate.resolver,
      sleep: noSleep,
      insyncPollMs: 1,
    });
    const requests = countCommands(route53Client());
    const events = [
      alarmEvent(load('eventbridge-single-metric.json'), 'acme-primary-health', 'ALARM'),
      snsAlarmEvent('acme-primary-health', 'ALARM'),
      alarmActionNow(),
    ];
    const first = (await Promise.all(
      [...events, ...events].map((event, i) => handler(event, context(i))),
    )) as Record<string, any>[];
    expect(first.filter((r) => r.outcome === 'switched')).toHaveLength(1);
    expect(first.every((r) => ['switched', 'refused', 'noop'].includes(r.outcome))).toBe(true);

    // A late redelivery, after the run finished: nothing to do.
    const late = (await handler(events[1], context(99))) as Record<string, any>;
    expect(late).toMatchObject({ outcome: 'noop' });
    expect(requests.succeeded.ChangeResourceRecordSets).toBe(1);
    expect(await estate.record()).toEqual({ target: 'dr.example.com', ttl: 30 });
  });
});
