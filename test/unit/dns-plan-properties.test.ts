import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { SIDES } from '../../lambdas/core/config/schema';
import { normalizeDnsName } from '../../lambdas/core/dns/dns-names';
import { CHECK_NAMES, planSwitch, targetSideOf } from '../../lambdas/core/dns/plan-switch';
import type { CheckName, PlanSwitchInput } from '../../lambdas/core/dns/plan-switch';

const NOW_MS = Date.parse('2026-11-21T12:00:00.000Z');

const clusters = {
  primary: {
    region: 'eu-west-1',
    endpoint: 'primary.example.com',
    healthAlarm: 'acme-primary-health',
  },
  dr: { region: 'eu-central-1', endpoint: 'dr.example.com', healthAlarm: 'acme-dr-health' },
} as PlanSwitchInput['clusters'];

const alarm = fc.constantFrom('OK', 'ALARM', 'INSUFFICIENT_DATA', 'MISSING' as const);
const isoAround = fc
  .integer({ min: -3 * 86400, max: 600 })
  .map((offset) => new Date(NOW_MS + offset * 1000).toISOString());

const target = fc.oneof(
  fc.constantFrom(
    'primary.example.com',
    'Primary.Example.COM.',
    'dr.example.com',
    'DR.example.com.',
    'elsewhere.example.net',
    'primary.example.com.evil.net',
  ),
  fc.domain(),
);

const origin = fc.oneof(
  fc.constant({ kind: 'manual' } as const),
  fc.constant({ kind: 'schedule' } as const),
  fc.record({
    kind: fc.constant('alarm' as const),
    alarmName: fc.constant('acme-primary-health'),
    state: fc.constantFrom('OK', 'ALARM' as const),
    changedAt: fc
      .integer({ min: -3600, max: 3600 })
      .map((offset) => new Date(NOW_MS + offset * 1000).toISOString()),
  }),
);

const planInput: fc.Arbitrary<PlanSwitchInput> = fc.record({
  action: fc.constantFrom('failover', 'failback' as const),
  origin,
  recordName: fc.constantFrom('main.example.com', 'drill.example.com'),
  servedName: fc.constant('main.example.com'),
  record: fc.option(fc.record({ target, ttl: fc.integer({ min: 5, max: 300 }) })),
  clusters: fc.constant(clusters),
  healthAlarms: fc.record({ primary: alarm, dr: alarm }),
  tls: fc.option(fc.record({ ok: fc.boolean(), detail: fc.string({ maxLength: 20 }) })),
  targetBackup: fc.option(
    fc.record({ name: fc.stringMatching(/^[a-z0-9-]{1,20}$/), completionTimestamp: isoAround }),
  ),
  lastFailoverAt: fc.option(isoAround),
  externalDnsOwnership: fc.array(
    fc.record({
      name: fc.constantFrom('main.example.com', 'cname-main.example.com', 'a-main.example.com'),
      value: fc.constant('"heritage=external-dns,external-dns/owner=default"'),
    }),
    { maxLength: 2 },
  ),
  cooldown: fc.option(
    fc.record({
      untilMs: fc.integer({ min: NOW_MS - 3_600_000, max: NOW_MS + 3_600_000 }),
      reason: fc.string({ maxLength: 10 }),
    }),
  ),
  now: fc.constant(new Date(NOW_MS).toISOString()),
  policy: fc.record({
    checks: fc.record({
      targetHealthy: fc.boolean(),
      tlsSan: fc.boolean(),
      maxBackupAgeSeconds: fc.integer({ min: 1, max: 2 * 86400 }),
    }),
    force: fc.boolean(),
    maxEventAgeSeconds: fc.integer({ min: 60, max: 86400 }),
  }),
});

const pointsAtTarget = (input: PlanSwitchInput): boolean =>
  input.record !== null &&
  normalizeDnsName(input.record.target) ===
    normalizeDnsName(input.clusters[targetSideOf(input.action)].endpoint);

const NEVER_FORCED: readonly CheckName[] = ['external-dns', 'trigger'];

describe('planSwitch properties', () => {
  it('never switches past a failed check unless forced, and force never skips external-dns', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const decision = planSwitch(input);
        if (decision.kind !== 'switch') return;
        for (const check of decision.checks) {
          if (check.ok) continue;
          expect(check.skipped).toBe(true);
          expect(input.policy.force).toBe(true);
          expect(NEVER_FORCED).not.toContain(check.name);
        }
        expect(decision.forced).toBe(decision.checks.some((c) => !c.ok));
      }),
      { numRuns: 2000 },
    );
  });

  it('an alarm or the re-plan switches only while the primary alarm is in the state that asks for it, and an alarm event only while fresh — forced or not', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        if (input.origin.kind === 'manual' || planSwitch(input).kind !== 'switch') return;
        const asks = input.action === 'failover' ? 'ALARM' : 'OK';
        expect(input.healthAlarms.primary).toBe(asks);
        if (input.origin.kind === 'alarm') {
          const age = (NOW_MS - Date.parse(input.origin.changedAt)) / 1000;
          expect(age).toBeLessThanOrEqual(input.policy.maxEventAgeSeconds);
          expect(age).toBeGreaterThanOrEqual(-60);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never switches while external-dns owns the name', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        if (input.externalDnsOwnership.length === 0) return;
        expect(planSwitch(input).kind).not.toBe('switch');
      }),
      { numRuns: 1000 },
    );
  });

  it('is a noop exactly when the record already points at the target', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        expect(planSwitch(input).kind === 'noop').toBe(pointsAtTarget(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('switches only from the other side (or a missing record, forced) to the action’s side', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const decision = planSwitch(input);
        if (decision.kind !== 'switch') return;
        const to = targetSideOf(input.action);
        expect(decision.to).toBe(to);
        expect(decision.toTarget).toBe(clusters[to].endpoint);
        if (input.record === null) {
          expect(decision.from).toBeNull();
          expect(input.policy.force).toBe(true);
        } else {
          expect(decision.from).toBe(SIDES.find((side) => side !== to));
          expect(decision.fromTarget).toBe(input.record.target);
          expect(decision.fromTtl).toBe(input.record.ttl);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('lists every check once, in the fixed order, and a refusal names each failed one', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const decision = planSwitch(input);
        expect(decision.checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);
        if (decision.kind !== 'refuse') return;
        const failed = decision.checks.filter((c) => !c.ok && !c.skipped);
        expect(failed.length).toBeGreaterThan(0);
        for (const check of failed)
          expect(decision.reason).toContain(`${check.name} (${check.detail})`);
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic: equal inputs give equal decisions', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        expect(planSwitch(structuredClone(input))).toEqual(planSwitch(input));
      }),
      { numRuns: 500 },
    );
  });
});
