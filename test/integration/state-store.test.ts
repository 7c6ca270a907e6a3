import { beforeEach, describe, expect, it } from 'vitest';
import { createStateTable } from '../../cli/embedded/state-table';
import { dynamoDbClient, dynamoDbDocumentClient } from '../../lambdas/adapters/aws/clients';
import { LeaseNotHeldError, StateStore } from '../../lambdas/adapters/aws/state-store';
import { useMoto } from '../support/moto';

// Threads switching every microsecond make a non-atomic conditional write in the emulator lose
// this file's concurrency tests (seen with two lease winners before moto-server.ts serialised them).
useMoto({ threadSwitchSeconds: 1e-6 });

const TABLE = 'acme-drpilot-state';

/** A store whose clock the test moves. */
function storeAt(clock: { now: number }) {
  return new StateStore(dynamoDbDocumentClient('us-east-1'), TABLE, () => clock.now);
}

describe('StateStore against moto DynamoDB', () => {
  const clock = { now: Date.parse('2026-11-21T12:00:00Z') };

  beforeEach(async () => {
    clock.now = Date.parse('2026-11-21T12:00:00Z');
    await createStateTable(dynamoDbClient('us-east-1'), TABLE);
  });

  it('gives exactly one winner among 20 concurrent acquisitions of one lease, round after round', async () => {
    const store = storeAt(clock);
    for (let round = 0; round < 30; round++) {
      const name = `dns-${round}`;
      const attempts = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.acquireLease(name, `caller-${i}`, 60)),
      );
      const winners = attempts.filter((a) => a.acquired);
      expect(winners, `round ${round}`).toHaveLength(1);
      const winner = winners[0]!;
      if (!winner.acquired) throw new Error('unreachable');
      for (const loser of attempts.filter((a) => !a.acquired)) {
        expect(loser).toEqual({
          acquired: false,
          heldBy: winner.lease.holder,
          expiresAtMs: winner.lease.expiresAtMs,
        });
      }
      expect((await store.readLease(name))?.holder).toBe(winner.lease.holder);
    }
  });

  it('lets a new holder take over an expired lease, and the old holder can no longer release it', async () => {
    const store = storeAt(clock);
    const first = await store.acquireLease('resize#primary-workers', 'slow-worker', 30);
    expect(first.acquired).toBe(true);

    clock.now += 10_000;
    expect((await store.acquireLease('resize#primary-workers', 'eager', 30)).acquired).toBe(false);

    clock.now += 25_000; // past the 30 s lease
    const second = await store.acquireLease('resize#primary-workers', 'successor', 30);
    expect(second.acquired).toBe(true);

    if (!first.acquired || !second.acquired) throw new Error('unreachable');
    await expect(store.releaseLease(first.lease)).rejects.toBeInstanceOf(LeaseNotHeldError);
    await expect(store.renewLease(first.lease, 30)).rejects.toBeInstanceOf(LeaseNotHeldError);
    expect((await store.readLease('resize#primary-workers'))?.holder).toBe('successor');
  });

  it('refuses a release by someone who does not hold the lease', async () => {
    const store = storeAt(clock);
    const held = await store.acquireLease('dns', 'owner', 60);
    if (!held.acquired) throw new Error('expected the lease');
    const impostor = { ...held.lease, holder: 'impostor', token: 'not-the-token' };
    await expect(store.releaseLease(impostor)).rejects.toThrow(
      'lease "dns" is not held by impostor (expired or taken over)',
    );
    expect((await store.readLease('dns'))?.holder).toBe('owner');

    await store.releaseLease(held.lease);
    expect(await store.readLease('dns')).toBeNull();
    expect((await store.acquireLease('dns', 'next', 60)).acquired).toBe(true);
  });

  it('renews a held lease and keeps others out until the new expiry', async () => {
    const store = storeAt(clock);
    const held = await store.acquireLease('dns', 'owner', 30);
    if (!held.acquired) throw new Error('expected the lease');
    clock.now += 20_000;
    const renewed = await store.renewLease(held.lease, 30);
    expect(renewed.expiresAtMs).toBe(clock.now + 30_000);
    clock.now += 20_000; // 40 s after acquiring: past the original expiry, within the renewed one
    expect((await store.acquireLease('dns', 'other', 30)).acquired).toBe(false);
  });

  it('withLease: acquires, runs the work under the lease, releases it and returns the result', async () => {
    const store = storeAt(clock);
    const refused: string[] = [];
    const result = await store.withLease('resync', 'runner', 60, {
      onRefused: (heldBy) => {
        refused.push(heldBy);
        return 'refused';
      },
      work: async (lease) => {
        expect(lease).toMatchObject({ name: 'resync', holder: 'runner' });
        expect((await store.readLease('resync'))?.token).toBe(lease.token);
        return 'done';
      },
    });
    expect(result).toBe('done');
    expect(refused).toEqual([]);
    expect(await store.readLease('resync')).toBeNull();
  });

  it('withLease: while someone else holds the lease, onRefused answers and the work never runs', async () => {
    const store = storeAt(clock);
    const held = await store.acquireLease('resync', 'first', 60);
    if (!held.acquired) throw new Error('expected the lease');
    let ran = false;
    const result = await store.withLease('resync', 'second', 60, {
      onRefused: (heldBy, expiresAtMs) => ({ heldBy, expiresAtMs }),
      work: async () => {
        ran = true;
        return { heldBy: 'nobody', expiresAtMs: 0 };
      },
    });
    expect(result).toEqual({ heldBy: 'first', expiresAtMs: held.lease.expiresAtMs });
    expect(ran).toBe(false);
    expect((await store.readLease('resync'))?.token).toBe(held.lease.token);
  });

  it('withLease: work that throws still releases the lease, and its error is rethrown', async () => {
    const store = storeAt(clock);
    const failure = new Error('copy failed');
    await expect(
      store.withLease('resync', 'runner', 60, {
        onRefused: () => 'refused',
        work: async () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
    expect(await store.readLease('resync')).toBeNull();
  });

  it('withLease: a lease that expired and was taken over during the work is not an error, and the successor keeps it', async () => {
    const store = storeAt(clock);
    const result = await store.withLease('resync', 'slow', 30, {
      onRefused: () => 'refused',
      work: async () => {
        clock.now += 31_000;
        expect((await store.acquireLease('resync', 'successor', 30)).acquired).toBe(true);
        return 'done late';
      },
    });
    expect(result).toBe('done late');
    expect((await store.readLease('resync'))?.holder).toBe('successor');
  });

  it('keeps a cooldown in force until it passes', async () => {
    const store = storeAt(clock);
    expect(await store.activeCooldown('dns')).toBeNull();
    await store.startCooldown('dns', 900, 'failover to dr');
    clock.now += 899_000;
    expect(await store.activeCooldown('dns')).toEqual({
      scope: 'dns',
      untilMs: Date.parse('2026-11-21T12:15:00Z'),
      reason: 'failover to dr',
    });
    clock.now += 1_000;
    expect(await store.activeCooldown('dns')).toBeNull();
  });

  it('appends audit entries and lists them newest first', async () => {
    const store = storeAt(clock);
    await store.appendAudit('dns', { decision: 'refuse', reason: 'cooldown' });
    clock.now += 1_000;
    await store.appendAudit('dns', { decision: 'switch', from: 'primary', to: 'dr' });
    await store.appendAudit('resize', { decision: 'noop' });

    const entries = await store.recentAudit('dns');
    expect(entries.map((e) => e.decision)).toEqual(['switch', 'refuse']);
    expect(entries[0]).toMatchObject({
      scope: 'dns',
      from: 'primary',
      to: 'dr',
      at: '2026-11-21T12:00:01.000Z',
    });
    expect(entries[0]).not.toHaveProperty('pk');
    expect(await store.recentAudit('dns', 1)).toHaveLength(1);
  });
});

describe('StateStore values', () => {
  beforeEach(async () => {
    await createStateTable(dynamoDbClient('us-east-1'), TABLE);
  });

  it('keeps a named value between runs and overwrites it', async () => {
    const store = new StateStore(dynamoDbDocumentClient('us-east-1'), TABLE);
    expect(await store.readValue('velero-missing#bucket')).toBeNull();
    await store.writeValue('velero-missing#bucket', { backups: { a: '2026-11-21T00:00:00Z' } });
    await store.writeValue('velero-missing#bucket', { backups: {}, repositoryObjects: {} });
    expect(await store.readValue('velero-missing#bucket')).toEqual({
      backups: {},
      repositoryObjects: {},
    });
  });
});
