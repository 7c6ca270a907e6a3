import { describe, expect, it } from 'vitest';
import {
  jobsNamed,
  parseDuration,
  pausedAuditFields,
  pausedRefusal,
  pauseInForce,
  pauseWindow,
  type Pause,
} from '../../lambdas/core/pause/pause-rules';

const NOW = Date.parse('2026-12-02T08:00:00Z');
const pause: Pause = {
  job: 'dns',
  by: 'alice',
  reason: 'planned maintenance',
  since: '2026-12-02T08:00:00.000Z',
  until: '2026-12-02T10:00:00.000Z',
};

describe('pause rules', () => {
  it.each([
    ['30m', 30 * 60_000],
    ['2h', 2 * 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 90 * 60_000],
    ['1d2h', 26 * 3_600_000],
  ])('reads the duration %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '0m', '30', 'm', '2 h', '1.5h', '30s', '-1h', '1w', '30m1h'])(
    'refuses the duration %j',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );

  it('names jobs: one, all, or none for an unknown name', () => {
    expect(jobsNamed('resync')).toEqual(['resync']);
    expect(jobsNamed('all')).toEqual(['dns', 'resync', 'resize']);
    expect(jobsNamed('restore')).toBeNull();
  });

  it('ends a pause from --for or --until, and refuses neither, both, the past and more than 7 days', () => {
    expect(pauseWindow({ for: '2h', nowMs: NOW })).toEqual({ ok: true, untilMs: NOW + 7_200_000 });
    expect(pauseWindow({ until: '2026-12-02T18:00Z', nowMs: NOW })).toEqual({
      ok: true,
      untilMs: Date.parse('2026-12-02T18:00:00Z'),
    });
    const refused = (input: { until?: string; for?: string }) => {
      const window = pauseWindow({ ...input, nowMs: NOW });
      return window.ok ? null : window.message;
    };
    expect(refused({})).toMatch(/exactly one of --until TIME or --for DURATION/);
    expect(refused({ for: '1h', until: '2026-12-02T18:00Z' })).toMatch(/exactly one/);
    expect(refused({ until: '2026-12-02T08:00Z' })).toBe(
      '--until 2026-12-02T08:00:00.000Z is in the past (now 2026-12-02T08:00:00.000Z)',
    );
    expect(refused({ until: 'tonight' })).toMatch(/--until "tonight" is not a time/);
    expect(refused({ for: '8d' })).toMatch(/at most 7 days/);
    expect(refused({ for: '7d' })).toBeNull();
  });

  it('holds until its time and not a millisecond longer', () => {
    const until = Date.parse(pause.until);
    expect(pauseInForce(pause, until - 1)).toBe(pause);
    expect(pauseInForce(pause, until)).toBeNull();
    expect(pauseInForce(null, NOW)).toBeNull();
  });

  it('refuses with who, why, until and what it would have done', () => {
    expect(pausedRefusal(pause, 'failover main.example.com')).toBe(
      'paused by alice until 2026-12-02T10:00:00.000Z: planned maintenance (would have: failover main.example.com; drpilot resume dns lifts it)',
    );
    expect(pausedAuditFields(pause, 'failover')).toEqual({
      outcome: 'refused',
      paused: {
        by: 'alice',
        reason: 'planned maintenance',
        since: pause.since,
        until: pause.until,
      },
      wouldHave: 'failover',
      reason: expect.stringMatching(/^paused by alice/),
    });
  });
});
