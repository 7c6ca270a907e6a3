import { describe, expect, it } from 'vitest';

import type { Side } from '../../lambdas/core/config/schema';
import { actionForTrigger, reconcileAction } from '../../lambdas/core/dns/alarm-to-action';
import type { ReconcileInput } from '../../lambdas/core/dns/alarm-to-action';
import type {
  AlarmState,
  AlarmTrigger,
  ManualTrigger,
} from '../../lambdas/core/events/trigger-event';

const config = (autoFailback: boolean) => ({
  clusters: {
    primary: {
      region: 'eu-west-1' as const,
      endpoint: 'primary.example.com',
      healthAlarm: 'acme-primary-health',
    },
    dr: {
      region: 'eu-central-1' as const,
      endpoint: 'dr.example.com',
      healthAlarm: 'acme-dr-health',
    },
  },
  dns: { autoFailback },
});

function alarm(alarmName: string, state: AlarmState, reason?: string): AlarmTrigger {
  return {
    kind: 'alarm',
    source: 'eventbridge',
    alarmName,
    region: 'us-east-1',
    state,
    timestamp: '2026-11-21T12:00:00.000Z',
    ...(reason ? { reason } : {}),
  };
}

const STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
const ALARMS = ['acme-primary-health', 'acme-dr-health', 'acme-something-else'] as const;

function expected(alarmName: string, state: AlarmState, autoFailback: boolean) {
  if (alarmName === 'acme-primary-health') {
    if (state === 'ALARM') return { action: 'failover' };
    if (state === 'OK' && autoFailback) return { action: 'failback' };
    return { notify: state === 'OK' };
  }
  if (alarmName === 'acme-dr-health') return { notify: state === 'ALARM' };
  return { notify: false };
}

describe('actionForTrigger: every alarm × state × autoFailback', () => {
  const cases = ALARMS.flatMap((name) =>
    STATES.flatMap((state) => [true, false].map((auto) => [name, state, auto] as const)),
  );
  it.each(cases)('%s → %s (autoFailback %s)', (name, state, auto) => {
    const outcome = actionForTrigger(alarm(name, state), config(auto));
    const want = expected(name, state, auto);
    if ('action' in want) {
      expect(outcome).toMatchObject({ action: want.action });
      expect('reason' in outcome && outcome.reason.length > 0).toBe(true);
    } else {
      expect(outcome).toMatchObject({ notify: want.notify });
      expect('ignore' in outcome && outcome.ignore.length > 0).toBe(true);
    }
  });

  it('words the decisions', () => {
    expect(
      actionForTrigger(alarm('acme-primary-health', 'ALARM', 'Threshold Crossed'), config(false)),
    ).toEqual({
      action: 'failover',
      reason: 'primary health alarm acme-primary-health went to ALARM: Threshold Crossed',
    });
    expect(actionForTrigger(alarm('acme-primary-health', 'OK'), config(false))).toEqual({
      ignore:
        'primary health alarm acme-primary-health went to OK; dns.autoFailback is off, so a person decides: run drpilot failback when ready',
      notify: true,
    });
    expect(actionForTrigger(alarm('acme-primary-health', 'OK'), config(true))).toEqual({
      action: 'failback',
      reason: 'primary health alarm acme-primary-health went to OK and dns.autoFailback is on',
    });
    expect(actionForTrigger(alarm('acme-dr-health', 'ALARM'), config(false))).toEqual({
      ignore:
        'dr health alarm acme-dr-health went to ALARM: dr cannot take a failover, and if dr is serving, the service is down',
      notify: true,
    });
    expect(actionForTrigger(alarm('acme-something-else', 'ALARM'), config(true))).toEqual({
      ignore:
        "alarm acme-something-else is neither cluster's health alarm (acme-primary-health, acme-dr-health)",
      notify: false,
    });
  });
});

describe('actionForTrigger: manual payloads', () => {
  const manual = (action: string, reason?: string): ManualTrigger => ({
    kind: 'manual',
    action,
    dryRun: false,
    force: false,
    ...(reason ? { reason } : {}),
  });

  it.each(['failover', 'failback', 'verify', 'reconcile'])('%s passes through', (action) => {
    expect(actionForTrigger(manual(action, 'drill'), config(false))).toEqual({
      action,
      reason: 'drill',
    });
    expect(actionForTrigger(manual(action), config(true))).toEqual({
      action,
      reason: `manual ${action}`,
    });
  });

  it.each(['resize', 'status'])('ignores %s, which is not a DNS action', (action) => {
    expect(actionForTrigger(manual(action), config(false))).toEqual({
      ignore: `manual action ${action} is not a DNS action`,
      notify: false,
    });
  });
});

describe('reconcileAction: every alarm state × active side × autoFailback', () => {
  const STANDING = ['OK', 'ALARM', 'INSUFFICIENT_DATA', 'MISSING'] as const;
  const SIDES_OR_NONE: (Side | null)[] = ['primary', 'dr', null];
  const cases: ReconcileInput[] = STANDING.flatMap((primaryAlarm) =>
    STANDING.flatMap((drAlarm) =>
      SIDES_OR_NONE.flatMap((activeSide) =>
        [true, false].map((autoFailback) => ({ primaryAlarm, drAlarm, activeSide, autoFailback })),
      ),
    ),
  );

  function oracle(input: ReconcileInput): { action: string } | { notify: boolean } {
    if (input.activeSide === 'primary' && input.primaryAlarm === 'ALARM')
      return { action: 'failover' };
    if (input.activeSide === 'dr' && input.primaryAlarm === 'OK' && input.autoFailback) {
      return { action: 'failback' };
    }
    if (input.activeSide === null) return { notify: true };
    if (input.activeSide === 'dr' && input.drAlarm === 'ALARM') return { notify: true };
    return { notify: false };
  }

  it('has 96 cases', () => expect(cases).toHaveLength(96));

  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_label, input) => {
    expect(reconcileAction(input)).toMatchObject(oracle(input));
  });

  it('re-plans a refused failover while the primary stays in ALARM', () => {
    expect(
      reconcileAction({
        primaryAlarm: 'ALARM',
        drAlarm: 'OK',
        activeSide: 'primary',
        autoFailback: false,
      }),
    ).toEqual({
      action: 'failover',
      reason: 'the primary health alarm is still ALARM and the record still points at primary',
    });
  });
});
