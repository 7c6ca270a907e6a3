import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ASSUMED_DECISION_SECONDS,
  designedRto,
  rtoFloorReason,
  RTO_TARGET_SECONDS,
} from '../../lambdas/core/dns/designed-rto';

const seconds = (rto: ReturnType<typeof designedRto>) =>
  Object.fromEntries(rto.terms.map((t) => [t.stage, t.seconds]));

describe('designedRto: what the deployed settings give, term by term', () => {
  it('defaults (30 s checks, TTL 30): 90 detect + 60 alarm + 5 decide + 60 propagate + 30 caches = 245 s, over 120', () => {
    const rto = designedRto({ healthCheckIntervalSeconds: 30, ttl: 30 });
    expect(seconds(rto)).toEqual({ detect: 90, alarm: 60, decide: 5, propagate: 60, caches: 30 });
    expect(rto).toMatchObject({ totalSeconds: 245, targetSeconds: 120, met: false });
    expect(rto.levers).toEqual([
      expect.stringMatching(/^dns.healthCheckIntervalSeconds 10: 60 s sooner/),
    ]);
    expect(rto.terms.find((t) => t.stage === 'decide')?.detail).toContain('(assumed)');
  });

  it('a measured decision replaces the assumed one and says how it was measured', () => {
    const rto = designedRto(
      { healthCheckIntervalSeconds: 10, ttl: 60 },
      { seconds: 1.4, basis: 'measured: median of 30 emulated failovers' },
    );
    expect(seconds(rto)).toEqual({ detect: 30, alarm: 60, decide: 1.4, propagate: 60, caches: 60 });
    expect(rto.totalSeconds).toBe(211);
    expect(rto.terms.find((t) => t.stage === 'decide')?.detail).toContain('median of 30');
    expect(rto.levers).toEqual([expect.stringMatching(/^dns.ttl 30: 30 s sooner/)]);
  });

  it('at the fastest settings no lever is left, and the MISS names the floor', () => {
    const rto = designedRto({ healthCheckIntervalSeconds: 10, ttl: 5 });
    expect(rto.totalSeconds).toBe(30 + 60 + ASSUMED_DECISION_SECONDS + 60 + 5);
    expect(rto.levers).toEqual([]);
    expect(rtoFloorReason(rto)).toMatch(
      /alone take 120 s, whatever the settings; every setting is already at its fastest/,
    );
  });

  it('is within the target only when the terms add up to at most 120 s; each lever buys what it says', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(10 as const, 30 as const),
        fc.integer({ min: 5, max: 300 }),
        fc.double({ min: 0, max: 60, noNaN: true }),
        (interval, ttl, decide) => {
          const rto = designedRto(
            { healthCheckIntervalSeconds: interval, ttl },
            { seconds: decide, basis: 'test' },
          );
          const sum = rto.terms.reduce((total, t) => total + t.seconds, 0);
          expect(rto.totalSeconds).toBe(Math.round(sum));
          expect(rto.met).toBe(rto.totalSeconds <= RTO_TARGET_SECONDS);
          expect(rtoFloorReason(rto) === null).toBe(rto.met);
          const faster = designedRto(
            { healthCheckIntervalSeconds: 10, ttl: Math.min(ttl, 30) },
            { seconds: decide, basis: 'test' },
          );
          const bought = rto.levers
            .map((lever) => Number(/: (\d+) s sooner/.exec(lever)?.[1]))
            .reduce((total, n) => total + n, 0);
          expect(Math.round(sum - bought)).toBe(faster.totalSeconds);
        },
      ),
    );
  });
});
