import { describe, expect, it } from 'vitest';
import type { AlarmTrigger } from '../../lambdas/core/events/trigger-event';
import {
  accountOfFunctionArn,
  assertFromDeployment,
  judgeTrigger,
  originOf,
} from '../../lambdas/core/events/trigger-trust';

const alarm = (overrides: Partial<AlarmTrigger> = {}): AlarmTrigger => ({
  kind: 'alarm',
  source: 'eventbridge',
  alarmName: 'acme-primary-health',
  alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:acme-primary-health',
  region: 'us-east-1',
  state: 'ALARM',
  timestamp: '2026-12-02T10:00:00.000Z',
  accountId: '123456789012',
  ...overrides,
});
const here = { region: 'us-east-1', accountId: '123456789012' };

describe('assertFromDeployment', () => {
  it('accepts an alarm of the deployment’s region and account', () => {
    expect(() => assertFromDeployment(alarm(), here)).not.toThrow();
  });

  it.each([
    [
      'another region',
      { region: 'eu-west-1', alarmArn: undefined },
      /^alarm event not from this deployment: region: the alarm is in eu-west-1; this function serves us-east-1$/,
    ],
    [
      'an ARN of another region',
      { alarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x' },
      /alarmArn: names region eu-west-1, but the event says us-east-1/,
    ],
    [
      'another account in the event',
      { accountId: '999999999999' },
      /account: the alarm belongs to account 999999999999, not to this deployment's 123456789012/,
    ],
    [
      'another account in the ARN only',
      { accountId: undefined, alarmArn: 'arn:aws:cloudwatch:us-east-1:999999999999:alarm:x' },
      /account 999999999999/,
    ],
    [
      'an ARN that is not an alarm ARN',
      { alarmArn: 'arn:aws:sns:us-east-1:123456789012:topic' },
      /alarmArn: is not a CloudWatch alarm ARN/,
    ],
    [
      'a 1 MB account, shown cut short',
      { accountId: 'x'.repeat(1_000_000) },
      /account x{21}\.\.\., not/,
    ],
  ])('rejects %s', (_what, overrides, message) => {
    expect(() => assertFromDeployment(alarm(overrides), here)).toThrow(message);
  });

  it('outside Lambda (no account known) still rejects an event whose ARN and body disagree', () => {
    const noAccount = { region: 'us-east-1', accountId: null };
    expect(() => assertFromDeployment(alarm(), noAccount)).not.toThrow();
    expect(() => assertFromDeployment(alarm({ accountId: '111111111111' }), noAccount)).toThrow(
      /the event and its alarm ARN name different accounts/,
    );
  });

  it('reads the account from a function ARN, and nothing from anything else', () => {
    expect(accountOfFunctionArn('arn:aws:lambda:us-east-1:123456789012:function:f')).toBe(
      '123456789012',
    );
    expect(accountOfFunctionArn(undefined)).toBeNull();
    expect(accountOfFunctionArn('arn:aws:lambda:us-east-1:EXAMPLE:function:f')).toBeNull();
  });
});

describe('judgeTrigger', () => {
  const now = new Date('2026-12-02T10:05:00.000Z');
  const facts = {
    alarmName: 'primary health alarm acme-primary-health',
    currentState: 'ALARM' as const,
    expectedState: 'ALARM' as const,
    now,
    maxEventAgeSeconds: 600,
  };
  const event = originOf(alarm(), []);

  it('believes a fresh event whose alarm still says so', () => {
    expect(judgeTrigger(event, facts)).toEqual({
      ok: true,
      detail:
        'primary health alarm acme-primary-health is ALARM now; the event (acme-primary-health → ALARM at 2026-12-02T10:00:00.000Z) is 300 s old',
    });
  });

  it.each([
    [
      'older than the limit',
      { maxEventAgeSeconds: 299 },
      /is 300 s old \(limit triggers\.maxEventAgeSeconds = 299 s\): refused as stale/,
    ],
    [
      'stamped ahead by more than a minute',
      { now: new Date('2026-12-02T09:58:59.000Z') },
      /stamped 61 s in the future/,
    ],
    [
      'whose alarm reads OK now',
      { currentState: 'OK' as const },
      /no longer holds: primary health alarm acme-primary-health is OK now$/,
    ],
    ['whose alarm is gone', { currentState: 'MISSING' as const }, /is MISSING now$/],
  ])('refuses an event %s', (_what, change, detail) => {
    const judged = judgeTrigger(event, { ...facts, ...change });
    expect(judged.ok).toBe(false);
    expect(judged.detail).toMatch(detail);
  });

  it('a person needs no alarm; the re-plan needs the state now, however old the alarm', () => {
    expect(judgeTrigger({ kind: 'manual' }, { ...facts, currentState: 'OK' }).ok).toBe(true);
    expect(judgeTrigger({ kind: 'schedule' }, facts).ok).toBe(true);
    expect(judgeTrigger({ kind: 'schedule' }, { ...facts, currentState: 'OK' })).toEqual({
      ok: false,
      detail: 're-plan: primary health alarm acme-primary-health is OK now, not ALARM',
    });
  });

  it('tells a scheduled action from a person’s', () => {
    const manual = { kind: 'manual', action: 'reconcile', dryRun: false, force: false } as const;
    expect(originOf(manual, ['reconcile'])).toEqual({ kind: 'schedule' });
    expect(originOf({ ...manual, action: 'failover' }, ['reconcile'])).toEqual({ kind: 'manual' });
  });
});
