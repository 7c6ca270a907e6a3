/**
 * The compare-and-swap against a stateful fake of Route 53's documented rules, which moto lacks:
 * a DELETE must match the current record exactly (name, type, TTL, values) or the whole batch is
 * rejected with InvalidChangeBatch; a CREATE of an existing record likewise; and GetChange is
 * PENDING before INSYNC. Everything else (alarms, buckets, state table, SNS) is moto.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { route53Client } from '../../lambdas/adapters/aws/clients';
import { stateKeys } from '../../lambdas/core/state-keys';
import { runSwitch } from '../../lambdas/dns/run-switch';
import { countCommands, useDnsEstate } from '../support/dns-estate';
import { useMoto } from '../support/moto';
import { Route53ExactMatchFake } from '../support/route53-exact-match-fake';

useMoto();
const seed = useDnsEstate();

const MAIN = 'main.example.com';
const cname = (target: string, ttl = 30) => ({
  name: MAIN,
  type: 'CNAME',
  ttl,
  values: [target],
});

/** The seeded estate with Route 53 replaced by the exact-match fake, main → primary. */
async function estateOnFake(pendingPolls = 0) {
  const estate = await seed();
  const fake = new Route53ExactMatchFake(estate.config.dns.hostedZoneId, pendingPolls);
  fake.put(cname('primary.example.com'));
  fake.put({ ...cname('primary.example.com'), name: 'drill.example.com' });
  const requests = countCommands(route53Client());
  fake.install(route53Client());
  return { estate, fake, requests };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('DNS compare-and-swap (Route 53 exact-match DELETE fake)', () => {
  it('never overwrites a concurrent writer: the record moved to a value drpilot does not recognise → refused, saying what changed', async () => {
    const { estate, fake, requests } = await estateOnFake();
    const progress: string[] = [];
    fake.beforeApply = () => fake.put(cname('maintenance.example.com', 60));

    const result = await runSwitch(
      estate.config,
      estate.options({ onProgress: (m) => progress.push(m) }),
    );

    expect(result.outcome).toBe('refused');
    expect(result.changeId).toBeNull();
    expect(result.reason).toMatch(
      /^main\.example\.com changed under us \(it pointed at primary\.example\.com when planned\): refusing to fail over/,
    );
    expect(result.reason).toMatch(/main\.example\.com points at maintenance\.example\.com/);
    expect(result.checks.find((c) => c.name === 'record-shape')).toMatchObject({ ok: false });
    expect(progress).toContain(`${MAIN} changed while switching; re-reading and re-planning once`);
    // The concurrent writer's value is still there; no batch was ever applied.
    expect(fake.get(MAIN, 'CNAME')).toEqual(cname('maintenance.example.com', 60));
    expect(fake.batches).toEqual([]);
    expect(requests.sent.ChangeResourceRecordSets).toBe(1);
    expect(requests.succeeded.ChangeResourceRecordSets ?? 0).toBe(0);
    // Refused: no cooldown, and the refusal is audited.
    const store = estate.store();
    expect(await store.activeCooldown(stateKeys.dnsRecord(MAIN))).toBeNull();
    const [audited] = await store.recentAudit('dns');
    expect(audited).toMatchObject({ outcome: 'refused', reason: result.reason });
  });

  it('a concurrent writer that already moved it to dr (another run): noop, and its record stays as it wrote it', async () => {
    const { estate, fake } = await estateOnFake();
    fake.beforeApply = () => {
      fake.beforeApply = undefined;
      fake.put(cname('dr.example.com', 45));
    };
    const result = await runSwitch(estate.config, estate.options());
    expect(result.outcome).toBe('noop');
    expect(result.reason).toMatch(
      /changed under us \(it pointed at primary\.example\.com when planned\): main\.example\.com already points at dr/,
    );
    expect(fake.get(MAIN, 'CNAME')).toEqual(cname('dr.example.com', 45));
    expect(fake.batches).toEqual([]);
  });

  it('a writer that changed only the TTL: re-read, re-plan once, and the second compare-and-swap matches', async () => {
    const { estate, fake, requests } = await estateOnFake();
    fake.beforeApply = () => {
      fake.beforeApply = undefined;
      fake.put(cname('primary.example.com', 300));
    };
    const result = await runSwitch(estate.config, estate.options());
    expect(result).toMatchObject({ outcome: 'switched', from: 'primary', to: 'dr' });
    expect(requests.sent.ChangeResourceRecordSets).toBe(2);
    expect(requests.succeeded.ChangeResourceRecordSets).toBe(1);
    const [batch] = fake.batches as { Changes: unknown[] }[];
    expect(batch!.Changes).toEqual([
      {
        Action: 'DELETE',
        ResourceRecordSet: {
          Name: MAIN,
          Type: 'CNAME',
          TTL: 300,
          ResourceRecords: [{ Value: 'primary.example.com' }],
        },
      },
      {
        Action: 'CREATE',
        ResourceRecordSet: {
          Name: MAIN,
          Type: 'CNAME',
          TTL: 30,
          ResourceRecords: [{ Value: 'dr.example.com' }],
        },
      },
    ]);
    expect(fake.get(MAIN, 'CNAME')).toEqual(cname('dr.example.com'));
  });

  it('a writer that keeps changing the record: refused after one re-plan, its last value intact', async () => {
    const { estate, fake, requests } = await estateOnFake();
    let ttl = 40;
    fake.beforeApply = () => fake.put(cname('primary.example.com', ttl++));
    const result = await runSwitch(estate.config, estate.options());
    expect(result.outcome).toBe('refused');
    expect(result.reason).toMatch(
      /^main\.example\.com keeps changing under us \(.*values provided do not match.*\); refusing rather than overwriting another writer$/,
    );
    expect(requests.sent.ChangeResourceRecordSets).toBe(2);
    expect(fake.get(MAIN, 'CNAME')).toEqual(cname('primary.example.com', 41));
    expect(fake.batches).toEqual([]);
  });

  it('waits through PENDING to INSYNC, reporting progress and secondsToInsync (no real waits)', async () => {
    const { estate, fake } = await estateOnFake(3);
    // waitForInsync measures with Date.now(): the injected sleep advances that clock instead.
    const realNow = Date.now.bind(Date);
    let slept = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + slept);
    const sleeps: number[] = [];
    const progress: string[] = [];
    const result = await runSwitch(
      estate.config,
      estate.options({
        insyncPollMs: 5000,
        sleep: async (ms) => {
          sleeps.push(ms);
          slept += ms;
        },
        onProgress: (m) => progress.push(m),
      }),
    );
    expect(result).toMatchObject({ outcome: 'switched', warnings: [] });
    expect(result.changeId).toBe('C000000000001');
    expect(sleeps).toEqual([5000, 5000, 5000]);
    expect(result.secondsToInsync).toBeGreaterThanOrEqual(15);
    expect(result.secondsToInsync).toBeLessThan(20);
    expect(progress.filter((m) => /^change C000000000001 is PENDING after \d+ s$/.test(m))).toEqual(
      [
        'change C000000000001 is PENDING after 0 s',
        'change C000000000001 is PENDING after 5 s',
        'change C000000000001 is PENDING after 10 s',
      ],
    );
    expect(fake.changes.get('C000000000001')).toEqual({ polls: 4 });
    const [audited] = await estate.store().recentAudit('dns');
    expect(audited).toMatchObject({
      outcome: 'switched',
      changeId: 'C000000000001',
      secondsToInsync: result.secondsToInsync,
    });
  });

  it('a change still PENDING at the timeout is switched (it is applied) with a warning and no secondsToInsync', async () => {
    const { estate, fake } = await estateOnFake(1000);
    const result = await runSwitch(estate.config, estate.options({ insyncTimeoutMs: 20 }));
    expect(result).toMatchObject({ outcome: 'switched', secondsToInsync: null });
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^change C000000000001 not INSYNC after \d+ s \(it is applied; propagation is unconfirmed\)$/,
      ),
    ]);
    expect(fake.get(MAIN, 'CNAME')).toEqual(cname('dr.example.com'));
    expect(await estate.store().activeCooldown(stateKeys.dnsRecord(MAIN))).not.toBeNull();
  });

  it('fails over and back on the fake: the failback DELETE matches the record the failover CREATEd', async () => {
    const { estate, fake } = await estateOnFake(1);
    expect((await runSwitch(estate.config, estate.options())).outcome).toBe('switched');
    const back = await runSwitch(
      estate.config,
      estate.options({ action: 'failback', force: true }),
    );
    expect(back).toMatchObject({ outcome: 'switched', from: 'dr', to: 'primary', forced: true });
    expect(fake.get(MAIN, 'CNAME')).toEqual(cname('primary.example.com'));
    expect(fake.batches).toHaveLength(2);
  });
});
