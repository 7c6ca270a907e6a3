/**
 * The DNS function's front door: every event shape it may be sent. Malformed events are rejected
 * with a clear error and alarms that ask for nothing are ignored with a reason — in both cases
 * before any Route 53 request. The primary's ALARM, manual payloads and the every-minute
 * reconcile act through the same runSwitch.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudWatchClient, route53Client } from '../../lambdas/adapters/aws/clients';
import { TriggerEventError } from '../../lambdas/core/events/trigger-event';
import { issueWrongSanCertificate } from '../../cli/embedded/tls/drill-certificates';
import { createDnsHandler } from '../../lambdas/dns/handler';
import { alarmEvent, countCommands, useDnsEstate, type DnsEstate } from '../support/dns-estate';
import { useMoto } from '../support/moto';

useMoto();
const seed = useDnsEstate();

const fixtures = new URL('../fixtures/events/', import.meta.url);
const load = (path: string) => JSON.parse(readFileSync(new URL(path, fixtures), 'utf8'));
const context = { awsRequestId: 'test-request' } as never;
const noSleep = async () => undefined;

function handlerFor(estate: DnsEstate) {
  process.env.DRPILOT_CONFIG_JSON = JSON.stringify(estate.config);
  return createDnsHandler({ resolver: estate.resolver, sleep: noSleep, insyncPollMs: 1 }) as (
    event: unknown,
    context: never,
  ) => Promise<Record<string, any>>;
}

async function setAlarm(name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA') {
  await cloudWatchClient('us-east-1').send(
    new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: 'test' }),
  );
}

afterEach(() => {
  delete process.env.DRPILOT_CONFIG_JSON;
});

describe('DNS handler: malformed and uninteresting events touch nothing', () => {
  it('rejects every malformed event and unknown manual action with a clear error, and ignores alarms that ask for nothing — without a single Route 53 request', async () => {
    const estate = await seed({ resync: false });
    const handler = handlerFor(estate);
    const route53 = countCommands(route53Client());
    const eventBridge = load('eventbridge-single-metric.json');

    const malformed = readdirSync(new URL('malformed/', fixtures)).sort();
    expect(malformed.length).toBeGreaterThanOrEqual(20);
    for (const file of malformed) {
      const error = await handler(load(`malformed/${file}`), context).then(
        (result) => {
          throw new Error(`${file} was accepted: ${JSON.stringify(result)}`);
        },
        (e: unknown) => e,
      );
      expect(error, file).toBeInstanceOf(TriggerEventError);
      expect((error as Error).message, file).toMatch(
        /^(invalid .+: .+|unrecognised event: expected .+; got .+|unsupported EventBridge event: .+)$/,
      );
    }

    const rejected: [string, unknown, RegExp][] = [
      [
        'unknown manual action',
        { action: 'explode', reason: 'test' },
        /^invalid manual payload: action: "explode" is not an action this function carries out; expected one of \[failover, failback, verify, reconcile\]$/,
      ],
      [
        'another job’s manual action',
        { action: 'resync' },
        /"resync" is not an action this function carries out/,
      ],
      [
        'drill on reconcile',
        { action: 'reconcile', drill: true },
        /drill: only applies to actions/,
      ],
      [
        'status, which the status function answers',
        { action: 'status' },
        /"status" is not an action this function carries out/,
      ],
      [
        'an alarm of another region (SNS, Sydney)',
        load('sns-alarm-insufficient-data-sydney.json'),
        /^alarm event not from this deployment: region: the alarm is in ap-southeast-2; this function serves us-east-1/,
      ],
      [
        'force as a string',
        { action: 'failover', force: 'yes' },
        /invalid manual payload: force: /,
      ],
    ];
    for (const [what, event, message] of rejected) {
      await expect(handler(event, context), what).rejects.toThrow(message);
    }

    const ignored: [string, unknown, RegExp][] = [
      [
        'dr health alarm → ALARM (EventBridge)',
        alarmEvent(eventBridge, 'acme-dr-health', 'ALARM'),
        /^dr health alarm acme-dr-health went to ALARM: .*dr cannot take a failover/,
      ],
      [
        'dr health alarm → OK',
        alarmEvent(eventBridge, 'acme-dr-health', 'OK', 'ALARM'),
        /^dr health alarm acme-dr-health went to OK/,
      ],
      [
        'dr health alarm → INSUFFICIENT_DATA',
        alarmEvent(eventBridge, 'acme-dr-health', 'INSUFFICIENT_DATA'),
        /INSUFFICIENT_DATA: neither a failure nor a recovery/,
      ],
      [
        'primary health alarm → INSUFFICIENT_DATA',
        alarmEvent(eventBridge, 'acme-primary-health', 'INSUFFICIENT_DATA'),
        /^primary health alarm acme-primary-health went to INSUFFICIENT_DATA/,
      ],
      [
        'primary health alarm → OK, autoFailback off',
        alarmEvent(eventBridge, 'acme-primary-health', 'OK', 'ALARM'),
        /went to OK; dns\.autoFailback is off, so a person decides/,
      ],
      [
        'an unrelated alarm (EventBridge, as published)',
        eventBridge,
        /^alarm ServerCpuTooHigh is neither cluster's health alarm \(acme-primary-health, acme-dr-health\)$/,
      ],
      [
        'an unrelated composite alarm action',
        load('alarm-action-composite.json'),
        /is neither cluster's health alarm/,
      ],
    ];
    for (const [what, event, reason] of ignored) {
      const result = await handler(event, context);
      expect(result, what).toEqual({ outcome: 'ignored', reason: expect.stringMatching(reason) });
    }

    expect(route53.sent).toEqual({});
    expect(await estate.store().recentAudit('dns')).toEqual([]);
  });

  it('without DRPILOT_CONFIG_JSON a valid alarm is a clear error, before any Route 53 request', async () => {
    const estate = await seed({ resync: false });
    const handler = handlerFor(estate);
    delete process.env.DRPILOT_CONFIG_JSON;
    const route53 = countCommands(route53Client());
    await expect(
      handler(
        alarmEvent(load('eventbridge-single-metric.json'), 'acme-primary-health', 'ALARM'),
        context,
      ),
    ).rejects.toThrow(/^DRPILOT_CONFIG_JSON is not set/);
    expect(route53.total()).toBe(0);
  });
});

describe('DNS handler: alarms, manual payloads and reconcile act through runSwitch', () => {
  it('the primary health alarm → ALARM fails over only while fresh and still ALARM; the audit names the alarm as the trigger', async () => {
    const estate = await seed();
    const handler = handlerFor(estate);
    const asPublished = load('alarm-action-acme-primary-health.json');
    const fresh = structuredClone(asPublished);
    fresh.alarmData.state.timestamp = new Date(Date.now() - 5_000).toISOString();
    const inAccount = {
      awsRequestId: 'test',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:acme-drpilot-dns',
    } as never;

    // As published (2023): stale. Fresh, but the alarm reads OK now: the event no longer holds.
    const stale = await handler(asPublished, inAccount);
    expect(stale).toMatchObject({ outcome: 'refused', changeId: null });
    expect(stale.reason).toMatch(/trigger \(the event .* is \d+ s old .*refused as stale/);
    const notNow = await handler(fresh, inAccount);
    expect(notNow.reason).toMatch(
      /no longer holds: primary health alarm acme-primary-health is OK now/,
    );
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });

    await setAlarm('acme-primary-health', 'ALARM');
    const result = await handler(fresh, inAccount);
    expect(result).toMatchObject({ action: 'failover', outcome: 'switched', from: 'primary' });
    expect(result.checks.find((c: { name: string }) => c.name === 'trigger')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(
        /^primary health alarm acme-primary-health is ALARM now; the event/,
      ),
    });
    expect(await estate.record()).toEqual({ target: 'dr.example.com', ttl: 30 });
    const [audited, ...earlier] = await estate.store().recentAudit('dns');
    expect(audited).toMatchObject({
      trigger: 'alarm acme-primary-health INSUFFICIENT_DATA→ALARM (alarm-action)',
      origin: 'alarm',
      reasonGiven: 'primary health alarm acme-primary-health went to ALARM: test',
      outcome: 'switched',
    });
    expect(earlier.map((e) => e.outcome)).toEqual(['refused', 'refused']);
  });

  it('an alarm from another account is rejected before anything is read', async () => {
    const estate = await seed();
    const handler = handlerFor(estate);
    const fresh = load('alarm-action-acme-primary-health.json');
    fresh.alarmData.state.timestamp = new Date().toISOString();
    const otherAccount = {
      awsRequestId: 'test',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:999999999999:function:acme-drpilot-dns',
    } as never;
    await expect(handler(fresh, otherAccount)).rejects.toThrow(
      /^alarm event not from this deployment: account: the alarm belongs to account 111122223333, not to this deployment's 999999999999$/,
    );
    expect(await estate.store().recentAudit('dns')).toEqual([]);
  });

  it('manual payloads: dry run, drill failover, failover with a reason', async () => {
    const estate = await seed();
    const handler = handlerFor(estate);

    const dry = await handler({ action: 'failover', dryRun: true }, context);
    expect(dry).toMatchObject({ outcome: 'dry-run', from: 'primary', to: 'dr' });

    const drill = await handler({ action: 'failover', drill: true, reason: 'game day' }, context);
    expect(drill).toMatchObject({ outcome: 'switched', recordName: 'drill.example.com' });
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });

    const failover = await handler(
      { action: 'failover', reason: 'maintenance in eu-west-1' },
      context,
    );
    expect(failover).toMatchObject({ outcome: 'switched', recordName: 'main.example.com' });
    const [audited] = await estate.store().recentAudit('dns');
    expect(audited).toMatchObject({
      trigger: 'manual failover',
      reasonGiven: 'maintenance in eu-west-1',
    });

    // A manual failback right after: refused (cooldown, and no backup after the failover).
    const failback = await handler({ action: 'failback' }, context);
    expect(failback.outcome).toBe('refused');
    expect(failback.reason).toMatch(/cooldown/);
  });

  it('verify: the switched record and the TLS of the side it points at, read-only', async () => {
    const estate = await seed();
    const handler = handlerFor(estate);
    const before = await handler({ action: 'verify', drill: true }, context);
    expect(before).toMatchObject({
      outcome: 'verified',
      verifiedSide: 'primary',
      recordName: 'drill.example.com',
      checks: { dns: { ok: true }, tls: { ok: true } },
    });
    await handler({ action: 'failover', drill: true, reason: 'game day' }, context);
    const route53 = countCommands(route53Client());
    const after = await handler({ action: 'verify', drill: true }, context);
    expect(after).toMatchObject({
      outcome: 'verified',
      verifiedSide: 'dr',
      target: 'dr.example.com',
    });
    expect(after.reason).toBe(
      'drill.example.com points at dr (dr.example.com), whose certificate covers main.example.com',
    );
    // It only read the record: no change was sent.
    expect(route53.sent).toEqual({ ListResourceRecordSets: 1 });
  });

  it('verify fails, naming why, when the side the record points at presents a certificate without the main name', async () => {
    const estate = await seed({
      certificates: { primary: (ca) => issueWrongSanCertificate(ca, ['primary.example.com']) },
    });
    const answer = await handlerFor(estate)({ action: 'verify' }, context);
    expect(answer).toMatchObject({
      outcome: 'failed',
      verifiedSide: null,
      activeSide: 'primary',
      recordName: 'main.example.com',
      checks: { dns: { ok: true }, tls: { ok: false } },
    });
    expect(answer.reason).toContain('main.example.com');
  });

  it('reconcile: nothing while primary is healthy; a failover once the primary alarm stands in ALARM', async () => {
    const estate = await seed();
    const handler = handlerFor(estate);
    expect(await handler({ action: 'reconcile' }, context)).toEqual({
      outcome: 'ignored',
      reason: 'primary is serving and its health alarm is OK',
    });
    await setAlarm('acme-primary-health', 'ALARM');
    // The dr side is down too: the re-plan refuses, and the record stays.
    await setAlarm('acme-dr-health', 'ALARM');
    const refused = await handler({ action: 'reconcile' }, context);
    expect(refused).toMatchObject({ outcome: 'refused', action: 'failover' });
    expect(refused.reason).toMatch(/target-healthy \(dr health alarm acme-dr-health is ALARM/);
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
    // dr recovers: the next minute's re-plan fails over.
    await setAlarm('acme-dr-health', 'OK');
    const switched = await handler({ action: 'reconcile' }, context);
    expect(switched).toMatchObject({ outcome: 'switched', action: 'failover', to: 'dr' });
    expect(await estate.record()).toEqual({ target: 'dr.example.com', ttl: 30 });
    expect(await handler({ action: 'reconcile' }, context)).toEqual({
      outcome: 'ignored',
      reason: 'dr is serving; the primary health alarm is ALARM',
    });
  });
});
