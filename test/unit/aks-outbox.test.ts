import { describe, expect, it } from 'vitest';
import {
  authProbeDelaySeconds,
  chainWithNew,
  judgeAnswer,
  nextAuthHold,
  planFlush,
  retryDelaySeconds,
  type PendingEvent,
} from '../../lambdas/core/aks/outbox';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function pending(type: string, seq: number, nextAttemptAtMs: number, createdAt = T0): PendingEvent {
  return {
    type,
    seq,
    id: `${type}-${seq}`,
    body: '{}',
    createdAt: new Date(createdAt).toISOString(),
    attempts: 1,
    nextAttemptAtMs,
    lastAnswer: null,
  };
}

describe('what an answer of the AKS side means', () => {
  it.each([
    [202, 'delivered'],
    [200, 'delivered'],
    [409, 'delivered'],
    [401, 'unauthorized'],
    [400, 'rejected'],
    [413, 'rejected'],
    [null, 'retry'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [302, 'retry'],
  ] as const)('%s → %s', (status, verdict) => {
    expect(judgeAnswer(status)).toBe(verdict);
  });
});

describe('backoff', () => {
  it('retries after 1, 2, 4, 8 minutes, then every 15', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(retryDelaySeconds)).toEqual([
      60, 120, 240, 480, 900, 900, 900,
    ]);
  });

  it('probes after a 401 at 5, 10, 20, 40 minutes, then hourly', () => {
    expect([1, 2, 3, 4, 5, 99].map(authProbeDelaySeconds)).toEqual([
      300, 600, 1200, 2400, 3600, 3600,
    ]);
    const first = nextAuthHold(null, {
      status: 401,
      at: new Date(T0).toISOString(),
      latencyMs: 3,
      detail: 'x',
    });
    const second = nextAuthHold(first, {
      status: 401,
      at: new Date(T0 + 300_000).toISOString(),
      latencyMs: 3,
      detail: 'y',
    });
    expect(first).toEqual({
      since: new Date(T0).toISOString(),
      failures: 1,
      nextProbeAtMs: T0 + 300_000,
      detail: 'x',
    });
    expect(second).toMatchObject({ since: first.since, failures: 2, nextProbeAtMs: T0 + 900_000 });
  });
});

describe('what a scheduled run sends', () => {
  it('sends each type oldest first, only chains whose oldest event is due', () => {
    const plan = planFlush(
      [
        pending('tunnel.state', 9, T0 - 1),
        pending('dns.failover', 4, T0),
        pending('dns.failover', 3, T0 - 5),
        pending('resolver.ips', 2, T0 + 60_000),
        pending('resolver.ips', 3, T0 - 1),
      ],
      null,
      T0,
    );
    expect(plan.kind).toBe('send');
    if (plan.kind !== 'send') return;
    expect(plan.chains.map((c) => c.map((e) => `${e.type}#${e.seq}`))).toEqual([
      ['dns.failover#3', 'dns.failover#4'],
      ['tunnel.state#9'],
    ]);
  });

  it('waits when nothing is due or nothing is pending', () => {
    expect(planFlush([pending('ping', 1, T0 + 1)], null, T0)).toMatchObject({ kind: 'wait' });
    expect(planFlush([], null, T0)).toEqual({ kind: 'wait', reason: 'nothing pending' });
  });

  it('under a 401 hold sends nothing before the probe is due, then one probe: the oldest event', () => {
    const events = [
      pending('tunnel.state', 5, T0 - 1, T0 - 10_000),
      pending('dns.failover', 1, T0 - 1, T0 - 20_000),
      pending('dns.failover', 2, T0 - 1, T0 - 5_000),
    ];
    const hold = {
      since: new Date(T0).toISOString(),
      failures: 1,
      nextProbeAtMs: T0 + 300_000,
      detail: '401',
    };
    expect(planFlush(events, hold, T0 + 299_999)).toMatchObject({ kind: 'wait' });
    const probe = planFlush(events, hold, T0 + 300_000);
    expect(probe).toMatchObject({ kind: 'probe', event: { type: 'dns.failover', seq: 1 } });
  });
});

describe('what a sender sends with a new event', () => {
  it('first the older events of its type that failed, oldest first; never one still in flight', () => {
    const failed = (type: string, seq: number) => ({ ...pending(type, seq, T0), attempts: 2 });
    const inFlight = (type: string, seq: number) => ({ ...pending(type, seq, T0), attempts: 0 });
    const fresh = inFlight('dns.failover', 7);
    const chain = chainWithNew(
      [
        fresh,
        failed('dns.failover', 5),
        inFlight('dns.failover', 6),
        failed('dns.failover', 2),
        failed('tunnel.state', 1),
        failed('dns.failover', 9),
      ],
      fresh,
    );
    expect(chain.map((e) => e.seq)).toEqual([2, 5, 7]);
  });
});
