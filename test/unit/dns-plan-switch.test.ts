import { describe, expect, it } from 'vitest';

import type { Side } from '../../lambdas/core/config/schema';
import { CHECK_NAMES, planSwitch } from '../../lambdas/core/dns/plan-switch';
import type {
  CheckName,
  PlanSwitchInput,
  SwitchAction,
  SwitchDecision,
} from '../../lambdas/core/dns/plan-switch';

const NOW = '2026-11-21T12:00:00.000Z';
const NOW_MS = Date.parse(NOW);
const LAST_FAILOVER = '2026-11-21T11:20:00.000Z';

const clusters = {
  primary: {
    region: 'eu-west-1',
    endpoint: 'primary.example.com',
    healthAlarm: 'acme-primary-health',
  },
  dr: { region: 'eu-central-1', endpoint: 'dr.example.com', healthAlarm: 'acme-dr-health' },
} as PlanSwitchInput['clusters'];

const OWNED = {
  name: 'cname-main.example.com',
  value: '"heritage=external-dns,external-dns/owner=default"',
};

function input(overrides: Partial<PlanSwitchInput> = {}): PlanSwitchInput {
  return {
    action: 'failover',
    origin: { kind: 'manual' },
    recordName: 'main.example.com',
    servedName: 'main.example.com',
    record: { target: 'primary.example.com', ttl: 30 },
    clusters,
    healthAlarms: { primary: 'ALARM', dr: 'OK' },
    tls: { ok: true, detail: 'certificate valid until 2027-01-01, SANs cover main.example.com' },
    targetBackup: { name: 'daily-20261121113000', completionTimestamp: '2026-11-21T11:30:00Z' },
    lastFailoverAt: LAST_FAILOVER,
    externalDnsOwnership: [],
    cooldown: null,
    now: NOW,
    policy: {
      checks: { targetHealthy: true, tlsSan: true, maxBackupAgeSeconds: 3600 },
      force: false,
      maxEventAgeSeconds: 600,
    },
    ...overrides,
  };
}

// ------------------------------------------------------------------ the table

const HEALTH = ['ok', 'alarm', 'insufficient', 'missing'] as const;
const TLS = ['ok', 'fail', 'off'] as const;
const BACKUP = ['fresh', 'stale', 'none', 'before-failover'] as const;
const COOLDOWN = ['active', 'none'] as const;
const EXTERNAL_DNS = ['owned', 'not'] as const;
const FORCE = [true, false] as const;
const ACTION = ['failover', 'failback'] as const;
const RECORD = ['on-primary', 'on-dr', 'foreign', 'missing'] as const;

interface Scenario {
  health: (typeof HEALTH)[number];
  tls: (typeof TLS)[number];
  backup: (typeof BACKUP)[number];
  cooldown: (typeof COOLDOWN)[number];
  externalDns: (typeof EXTERNAL_DNS)[number];
  force: boolean;
  action: SwitchAction;
  record: (typeof RECORD)[number];
}

function* scenarios(): Generator<Scenario> {
  for (const health of HEALTH)
    for (const tls of TLS)
      for (const backup of BACKUP)
        for (const cooldown of COOLDOWN)
          for (const externalDns of EXTERNAL_DNS)
            for (const force of FORCE)
              for (const action of ACTION)
                for (const record of RECORD)
                  yield { health, tls, backup, cooldown, externalDns, force, action, record };
}

function inputFor(s: Scenario): PlanSwitchInput {
  const target: Side = s.action === 'failover' ? 'dr' : 'primary';
  const other: Side = target === 'dr' ? 'primary' : 'dr';
  const state = {
    ok: 'OK',
    alarm: 'ALARM',
    insufficient: 'INSUFFICIENT_DATA',
    missing: 'MISSING',
  } as const;
  const healthAlarms = {
    [target]: state[s.health],
    [other]: 'OK',
  } as PlanSwitchInput['healthAlarms'];
  const completion = {
    fresh: '2026-11-21T11:30:00.000Z', // 30 min old, after the failover at 11:20
    stale: '2026-11-21T09:00:00.000Z', // 3 h old
    'before-failover': '2026-11-21T11:10:00.000Z', // 50 min old, before the failover
  } as const;
  const record = {
    'on-primary': { target: 'primary.example.com.', ttl: 60 },
    'on-dr': { target: 'DR.example.com', ttl: 60 },
    foreign: { target: 'maintenance.example.net', ttl: 300 },
    missing: null,
  }[s.record];
  return input({
    action: s.action,
    record,
    healthAlarms,
    tls:
      s.tls === 'off'
        ? null
        : { ok: s.tls === 'ok', detail: s.tls === 'ok' ? 'valid' : 'SANs do not cover it' },
    targetBackup:
      s.backup === 'none'
        ? null
        : { name: `backup-${s.backup}`, completionTimestamp: completion[s.backup] },
    cooldown:
      s.cooldown === 'active'
        ? { untilMs: NOW_MS + 300_000, reason: 'switched to dr at 11:55' }
        : null,
    externalDnsOwnership: s.externalDns === 'owned' ? [OWNED] : [],
    policy: {
      checks: { targetHealthy: true, tlsSan: s.tls !== 'off', maxBackupAgeSeconds: 3600 },
      force: s.force,
      maxEventAgeSeconds: 600,
    },
  });
}

/** The rules, restated independently of the planner's structure. */
function oracle(s: Scenario): {
  kind: SwitchDecision['kind'];
  failed: CheckName[];
  forcedSkips: CheckName[];
  disabled: CheckName[];
} {
  const target = s.action === 'failover' ? 'dr' : 'primary';
  const failed = new Set<CheckName>();
  if (s.health !== 'ok') failed.add('target-healthy');
  if (s.tls === 'fail') failed.add('tls-san');
  if (s.backup === 'stale' || s.backup === 'none') failed.add('backup-fresh');
  if (s.backup === 'before-failover' && s.action === 'failback') failed.add('backup-fresh');
  if (s.cooldown === 'active') failed.add('cooldown');
  if (s.externalDns === 'owned') failed.add('external-dns');
  if (s.record === 'foreign' || s.record === 'missing') failed.add('record-shape');
  const neverForced = s.externalDns === 'owned' || s.record === 'foreign';
  const ordered = CHECK_NAMES.filter((name) => failed.has(name));
  const forceable = ordered.filter(
    (name) => name !== 'external-dns' && !(name === 'record-shape' && s.record === 'foreign'),
  );
  const disabled: CheckName[] = s.tls === 'off' ? ['tls-san'] : [];
  const forcedSkips = s.force ? forceable : [];
  const unskipped = ordered.filter((name) => !forcedSkips.includes(name));
  let kind: SwitchDecision['kind'];
  if (s.record === `on-${target}`) kind = 'noop';
  else if (neverForced || unskipped.length > 0) kind = 'refuse';
  else kind = 'switch';
  return { kind, failed: unskipped, forcedSkips, disabled };
}

const ALL = [...scenarios()];

describe('planSwitch over every combination of check outcomes', () => {
  it('covers 4 × 3 × 4 × 2 × 2 × 2 × 2 × 4 combinations', () => {
    expect(ALL).toHaveLength(3072);
  });

  it('reaches every outcome: noop, refuse, switch, forced switch, forced creation', () => {
    const decisions = ALL.map((s) => planSwitch(inputFor(s)));
    const kinds = new Set(decisions.map((d) => d.kind));
    expect([...kinds].sort()).toEqual(['noop', 'refuse', 'switch']);
    expect(decisions.some((d) => d.kind === 'switch' && d.forced)).toBe(true);
    expect(decisions.some((d) => d.kind === 'switch' && !d.forced)).toBe(true);
    expect(decisions.some((d) => d.kind === 'switch' && d.from === null)).toBe(true);
  });

  it.each(ALL.map((s) => [JSON.stringify(s), s] as const))('%s', (_label, s) => {
    const decision = planSwitch(inputFor(s));
    const want = oracle(s);
    expect(decision.kind).toBe(want.kind);
    expect(decision.checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);
    for (const check of decision.checks) {
      expect(check.detail.length).toBeGreaterThan(0);
      if (want.disabled.includes(check.name)) {
        expect(check).toMatchObject({ ok: true, skipped: true });
      } else if (want.forcedSkips.includes(check.name)) {
        expect(check.ok).toBe(false);
        expect(check.skipped).toBe(true);
        expect(check.detail).toMatch(/^skipped by --force: /);
      } else if (want.failed.includes(check.name)) {
        expect(check.ok).toBe(false);
        expect(check.skipped).toBeUndefined();
      } else {
        expect(check).toMatchObject({ ok: true });
        expect(check.skipped).toBeUndefined();
      }
    }
    if (decision.kind === 'refuse') {
      const named = [...decision.reason.matchAll(/(?:: |; )([a-z-]+) \(/g)].map((m) => m[1]);
      expect(named).toEqual(want.failed);
      expect(decision.reason).toMatch(
        s.action === 'failover'
          ? /^refusing to fail over main\.example\.com to dr: /
          : /^refusing to fail back main\.example\.com to primary: /,
      );
    }
    if (decision.kind === 'switch') {
      expect(decision.to).toBe(s.action === 'failover' ? 'dr' : 'primary');
      expect(decision.forced).toBe(want.forcedSkips.length > 0);
      expect(decision.from).toBe(
        s.record === 'missing' ? null : s.record === 'on-primary' ? 'primary' : 'dr',
      );
      expect(decision.toTarget).toBe(
        s.action === 'failover' ? 'dr.example.com' : 'primary.example.com',
      );
    }
  });
});

// ------------------------------------------------------------------ named cases

describe('planSwitch: named cases', () => {
  it('switches primary → dr when every check passes, keeping the record exactly as read', () => {
    const decision = planSwitch(input({ record: { target: 'Primary.Example.com.', ttl: 60 } }));
    expect(decision).toEqual({
      kind: 'switch',
      from: 'primary',
      to: 'dr',
      fromTarget: 'Primary.Example.com.',
      fromTtl: 60,
      toTarget: 'dr.example.com',
      forced: false,
      checks: [
        { name: 'target-healthy', ok: true, detail: 'dr health alarm acme-dr-health is OK' },
        {
          name: 'tls-san',
          ok: true,
          detail:
            'dr endpoint dr.example.com with SNI main.example.com: certificate valid until 2027-01-01, SANs cover main.example.com',
        },
        {
          name: 'backup-fresh',
          ok: true,
          detail:
            'newest restorable backup on dr, daily-20261121113000, completed at 2026-11-21T11:30:00Z, is 1800 s old (limit 3600 s)',
        },
        { name: 'cooldown', ok: true, detail: 'no cooldown in force' },
        {
          name: 'external-dns',
          ok: true,
          detail: 'no external-dns ownership TXT record for main.example.com',
        },
        {
          name: 'record-shape',
          ok: true,
          detail: 'main.example.com is a CNAME to Primary.Example.com. (primary), TTL 60',
        },
        {
          name: 'trigger',
          ok: true,
          detail: 'requested by a person: acted on as asked, no alarm state required',
        },
      ],
    });
  });

  it('is a noop when the record already points at the target, whatever the checks say', () => {
    const decision = planSwitch(
      input({
        record: { target: 'dr.example.com', ttl: 30 },
        healthAlarms: { primary: 'ALARM', dr: 'ALARM' },
        externalDnsOwnership: [OWNED],
      }),
    );
    expect(decision.kind).toBe('noop');
    if (decision.kind !== 'noop') return;
    expect(decision.reason).toBe(
      'main.example.com already points at dr (dr.example.com): nothing to do',
    );
  });

  it('refuses naming every failed check with its detail', () => {
    const decision = planSwitch(
      input({
        healthAlarms: { primary: 'ALARM', dr: 'INSUFFICIENT_DATA' },
        targetBackup: null,
        cooldown: { untilMs: NOW_MS + 61_500, reason: 'switched to primary at 11:50' },
      }),
    );
    expect(decision).toMatchObject({
      kind: 'refuse',
      reason:
        'refusing to fail over main.example.com to dr: ' +
        'target-healthy (dr health alarm acme-dr-health is INSUFFICIENT_DATA: its health is not established); ' +
        "backup-fresh (no restorable backup in the dr side's bucket); " +
        'cooldown (no switch until 2026-11-21T12:01:01.500Z (62 s left): switched to primary at 11:50)',
    });
  });

  it.each([
    ['ALARM', 'dr health alarm acme-dr-health is ALARM: the endpoint fails its health check'],
    ['MISSING', 'dr health alarm acme-dr-health does not exist'],
  ] as const)('target alarm %s fails target-healthy', (state, detail) => {
    const decision = planSwitch(input({ healthAlarms: { primary: 'OK', dr: state } }));
    expect(decision.checks[0]).toEqual({ name: 'target-healthy', ok: false, detail });
  });

  it('reports disabled checks as skipped and ok', () => {
    const decision = planSwitch(
      input({
        tls: null,
        healthAlarms: { primary: 'ALARM', dr: 'ALARM' },
        policy: {
          checks: { targetHealthy: false, tlsSan: false, maxBackupAgeSeconds: 3600 },
          force: false,
          maxEventAgeSeconds: 600,
        },
      }),
    );
    expect(decision.kind).toBe('switch');
    expect(decision.checks.slice(0, 2)).toEqual([
      {
        name: 'target-healthy',
        ok: true,
        skipped: true,
        detail: 'disabled (dns.checks.targetHealthy is false)',
      },
      { name: 'tls-san', ok: true, skipped: true, detail: 'disabled (dns.checks.tlsSan is false)' },
    ]);
  });

  it('fails tls-san when the check is on but nothing was probed', () => {
    const decision = planSwitch(input({ tls: null }));
    expect(decision.checks[1]).toEqual({
      name: 'tls-san',
      ok: false,
      detail:
        'not probed: dr endpoint dr.example.com was not asked for a certificate for main.example.com',
    });
  });

  it('probes the main name in a drill while moving the drill record', () => {
    const decision = planSwitch(
      input({ recordName: 'drill.example.com', tls: { ok: false, detail: 'expired' } }),
    );
    expect(decision).toMatchObject({
      kind: 'refuse',
      reason:
        'refusing to fail over drill.example.com to dr: tls-san (dr endpoint dr.example.com with SNI main.example.com: expired)',
    });
  });

  it('fails a stale backup with its age and the limit', () => {
    const decision = planSwitch(
      input({ targetBackup: { name: 'b1', completionTimestamp: '2026-11-21T10:59:59Z' } }),
    );
    expect(decision.checks[2]).toEqual({
      name: 'backup-fresh',
      ok: false,
      detail:
        'newest restorable backup on dr, b1, completed at 2026-11-21T10:59:59Z, is 3601 s old (limit 3600 s)',
    });
  });

  it('accepts a backup exactly maxBackupAgeSeconds old', () => {
    const decision = planSwitch(
      input({ targetBackup: { name: 'b1', completionTimestamp: '2026-11-21T11:00:00Z' } }),
    );
    expect(decision.checks[2]?.ok).toBe(true);
  });

  describe('failback', () => {
    const failback = (overrides: Partial<PlanSwitchInput>) =>
      input({
        action: 'failback',
        record: { target: 'dr.example.com', ttl: 30 },
        healthAlarms: { primary: 'OK', dr: 'OK' },
        tls: { ok: true, detail: 'valid' },
        ...overrides,
      });

    it('needs a backup completed after the failover', () => {
      const decision = planSwitch(
        failback({ targetBackup: { name: 'b0', completionTimestamp: '2026-11-21T11:20:00Z' } }),
      );
      expect(decision.kind).toBe('refuse');
      expect(decision.checks[2]).toEqual({
        name: 'backup-fresh',
        ok: false,
        detail:
          'newest restorable backup on primary, b0, completed at 2026-11-21T11:20:00Z, is 2400 s old (limit 3600 s), ' +
          'but not after the failover at 2026-11-21T11:20:00.000Z: the data written in dr since would be lost',
      });
    });

    it('switches dr → primary with a backup taken in dr after the failover', () => {
      const decision = planSwitch(failback({}));
      expect(decision).toMatchObject({ kind: 'switch', from: 'dr', to: 'primary' });
      expect(decision.checks[2]?.detail).toBe(
        'newest restorable backup on primary, daily-20261121113000, completed at 2026-11-21T11:30:00Z, ' +
          'is 1800 s old (limit 3600 s), after the failover at 2026-11-21T11:20:00.000Z',
      );
    });

    it('refuses when the time of the failover is unknown', () => {
      const decision = planSwitch(failback({ lastFailoverAt: null }));
      expect(decision.kind).toBe('refuse');
      expect(decision.checks[2]?.detail).toMatch(
        /when the record moved to dr is unknown, so it cannot be shown to hold the data written in dr$/,
      );
    });
  });

  describe('--force', () => {
    const forced = (overrides: Partial<PlanSwitchInput>) =>
      input({ ...overrides, policy: { ...input().policy, force: true } });

    it('skips health, TLS, backup and cooldown, keeping each finding', () => {
      const decision = planSwitch(
        forced({
          healthAlarms: { primary: 'ALARM', dr: 'ALARM' },
          tls: { ok: false, detail: 'untrusted certificate' },
          targetBackup: null,
          cooldown: { untilMs: NOW_MS + 1000, reason: 'just switched' },
        }),
      );
      expect(decision).toMatchObject({ kind: 'switch', forced: true });
      expect(decision.checks.slice(0, 4)).toEqual([
        {
          name: 'target-healthy',
          ok: false,
          skipped: true,
          detail:
            'skipped by --force: dr health alarm acme-dr-health is ALARM: the endpoint fails its health check',
        },
        {
          name: 'tls-san',
          ok: false,
          skipped: true,
          detail:
            'skipped by --force: dr endpoint dr.example.com with SNI main.example.com: untrusted certificate',
        },
        {
          name: 'backup-fresh',
          ok: false,
          skipped: true,
          detail: "skipped by --force: no restorable backup in the dr side's bucket",
        },
        {
          name: 'cooldown',
          ok: false,
          skipped: true,
          detail:
            'skipped by --force: no switch until 2026-11-21T12:00:01.000Z (1 s left): just switched',
        },
      ]);
    });

    it('is not "forced" when nothing failed', () => {
      expect(planSwitch(forced({}))).toMatchObject({ kind: 'switch', forced: false });
    });

    it('never overrides external-dns ownership', () => {
      const decision = planSwitch(forced({ externalDnsOwnership: [OWNED] }));
      expect(decision).toEqual(
        expect.objectContaining({
          kind: 'refuse',
          reason:
            'refusing to fail over main.example.com to dr: external-dns (external-dns claims main.example.com ' +
            '(TXT cname-main.example.com "heritage=external-dns,external-dns/owner=default"); it would rewrite the record, ' +
            'so --force does not override this: stop external-dns publishing the name, then remove the TXT record)',
        }),
      );
    });

    it('never overwrites a record pointing elsewhere', () => {
      const decision = planSwitch(
        forced({ record: { target: 'maintenance.example.net', ttl: 300 } }),
      );
      expect(decision).toMatchObject({
        kind: 'refuse',
        reason:
          'refusing to fail over main.example.com to dr: record-shape (main.example.com points at maintenance.example.net, ' +
          'which is neither primary (primary.example.com) nor dr (dr.example.com): drpilot does not overwrite a record ' +
          'it does not recognise, even with --force)',
      });
    });

    it('creates a missing record (from: null)', () => {
      const decision = planSwitch(forced({ record: null }));
      expect(decision).toMatchObject({
        kind: 'switch',
        from: null,
        fromTarget: null,
        fromTtl: null,
        toTarget: 'dr.example.com',
        forced: true,
      });
      expect(decision.checks[5]).toEqual({
        name: 'record-shape',
        ok: false,
        skipped: true,
        detail:
          "skipped by --force: main.example.com has no CNAME record: create it pointing at the serving side's endpoint first " +
          '(--force creates it pointing at dr.example.com)',
      });
    });
  });

  it('refuses a missing record without --force', () => {
    expect(planSwitch(input({ record: null }))).toMatchObject({
      kind: 'refuse',
      reason:
        "refusing to fail over main.example.com to dr: record-shape (main.example.com has no CNAME record: create it pointing at the serving side's endpoint first " +
        '(--force creates it pointing at dr.example.com))',
    });
  });

  it('reports an ended cooldown as ok', () => {
    const decision = planSwitch(input({ cooldown: { untilMs: NOW_MS, reason: 'r' } }));
    expect(decision.checks[3]).toEqual({
      name: 'cooldown',
      ok: true,
      detail: 'cooldown ended at 2026-11-21T12:00:00.000Z',
    });
  });

  it('throws on an unreadable now', () => {
    expect(() => planSwitch(input({ now: 'yesterday' }))).toThrow(RangeError);
  });
});

describe('planSwitch: the trigger is re-observed, never trusted', () => {
  const alarmOrigin = (secondsAgo: number, state: 'ALARM' | 'OK' = 'ALARM') =>
    ({
      kind: 'alarm',
      alarmName: 'acme-primary-health',
      state,
      changedAt: new Date(Date.parse(NOW) - secondsAgo * 1000).toISOString(),
    }) as const;
  const trigger = (decision: ReturnType<typeof planSwitch>) =>
    decision.checks.find((c) => c.name === 'trigger');

  it('switches on a fresh ALARM event while the primary alarm is ALARM now', () => {
    const decision = planSwitch(input({ origin: alarmOrigin(42) }));
    expect(decision.kind).toBe('switch');
    expect(trigger(decision)).toEqual({
      name: 'trigger',
      ok: true,
      detail: expect.stringMatching(
        /^primary health alarm acme-primary-health is ALARM now; the event .* is 42 s old$/,
      ),
    });
  });

  it.each([
    [
      'stamped 1970',
      '1970-01-01T00:00:00.000Z',
      /is \d+ s old \(limit triggers\.maxEventAgeSeconds = 600 s\): refused as stale/,
    ],
    [
      'stamped 9999',
      '9999-12-31T23:59:59.000Z',
      /is stamped \d+ s in the future: refused as forged or replayed/,
    ],
    ['11 minutes late', new Date(Date.parse(NOW) - 660_000).toISOString(), /is 660 s old/],
  ])('refuses an alarm event %s, whatever else holds', (_what, changedAt, detail) => {
    const decision = planSwitch(
      input({
        origin: { ...alarmOrigin(0), changedAt },
        policy: { ...input().policy, force: true },
      }),
    );
    expect(decision.kind).toBe('refuse');
    expect(trigger(decision)).toEqual({
      name: 'trigger',
      ok: false,
      detail: expect.stringMatching(detail),
    });
  });

  it('refuses a fresh ALARM event once the primary alarm reads OK again (TLS check off)', () => {
    const decision = planSwitch(
      input({
        origin: alarmOrigin(5),
        tls: null,
        healthAlarms: { primary: 'OK', dr: 'OK' },
        policy: { ...input().policy, checks: { ...input().policy.checks, tlsSan: false } },
      }),
    );
    expect(decision.kind).toBe('refuse');
    expect((decision as { reason: string }).reason).toMatch(
      /trigger \(the event \(acme-primary-health → ALARM at .*\) no longer holds: primary health alarm acme-primary-health is OK now\)/,
    );
  });

  it('accepts an event up to a minute ahead (clock skew) and no further', () => {
    expect(planSwitch(input({ origin: alarmOrigin(-60) })).kind).toBe('switch');
    expect(planSwitch(input({ origin: alarmOrigin(-61) })).kind).toBe('refuse');
  });

  it('an automatic failback needs the primary alarm OK now; the re-plan needs the state it acts on', () => {
    const failback = input({
      action: 'failback',
      record: { target: 'dr.example.com', ttl: 30 },
      targetBackup: { name: 'after', completionTimestamp: '2026-11-21T11:59:00Z' },
    });
    expect(
      planSwitch({
        ...failback,
        origin: alarmOrigin(10, 'OK'),
        healthAlarms: { primary: 'OK', dr: 'OK' },
      }).kind,
    ).toBe('switch');
    expect(
      trigger(
        planSwitch({
          ...failback,
          origin: alarmOrigin(10, 'OK'),
          healthAlarms: { primary: 'ALARM', dr: 'OK' },
        }),
      ),
    ).toMatchObject({ ok: false });
    expect(planSwitch(input({ origin: { kind: 'schedule' } })).kind).toBe('switch');
    expect(
      trigger(
        planSwitch(
          input({
            origin: { kind: 'schedule' },
            healthAlarms: { primary: 'INSUFFICIENT_DATA', dr: 'OK' },
          }),
        ),
      ),
    ).toEqual({
      name: 'trigger',
      ok: false,
      detail:
        're-plan: primary health alarm acme-primary-health is INSUFFICIENT_DATA now, not ALARM',
    });
  });

  it('a person’s request needs no alarm: a manual failover with the primary OK still switches', () => {
    const decision = planSwitch(input({ healthAlarms: { primary: 'OK', dr: 'OK' } }));
    expect(decision.kind).toBe('switch');
  });
});
