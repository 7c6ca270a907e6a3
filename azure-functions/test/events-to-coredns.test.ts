import './support/quiet-functions-test-mode';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appStorage } from '../src/adapters/storage-clients';
import type { NodePoolDns } from '../src/core/localdns';
import { dnsReconcile } from '../src/functions/dnsReconcile';
import { dnsReconcileTimer } from '../src/functions/dnsReconcileTimer';
import { events } from '../src/functions/events';
import { state } from '../src/functions/state';
import { runDnsReconcile } from '../src/reconcile/run-dns-reconcile';
import { useAzurite } from './support/azurite';
import { failoverEvent, resolverIpsEvent, tunnelStateEvent } from './support/events';
import { MAIN_RECORD, quietContext, signedRequest, TEST_SECRET } from './support/invoke';
import { storageContents } from './support/storage-probe';
import { corednsBinary } from '../../cli/emulator/coredns';
import { startStubResolver, type StubResolver } from '../../cli/emulator/stub-resolver';
import { InMemoryClusterDns } from '../../cli/embedded/aks-cluster-dns';

// The AKS side end to end on this machine: signed events into the handlers, Table Storage and the
// queue in Azurite, the reconcile rendering for a real CoreDNS that answers through stub resolvers
// standing in for each region's Route 53 Resolver.

const azurite = useAzurite();
let primaryResolver: StubResolver;
let drResolver: StubResolver;
let azureDns: StubResolver;

beforeAll(async () => {
  process.env.DRPILOT_WEBHOOK_SECRET = TEST_SECRET;
  process.env.DRPILOT_MAIN_RECORD = MAIN_RECORD;
  primaryResolver = await startStubResolver({ 'sentry.internal.example.com': '10.0.50.7' });
  drResolver = await startStubResolver({ 'sentry.internal.example.com': '10.1.50.7' });
  azureDns = await startStubResolver({});
});

afterAll(async () => {
  await Promise.all([primaryResolver?.close(), drResolver?.close(), azureDns?.close()]);
});

async function send(body: unknown) {
  const response = await events(
    signedRequest({ body: JSON.stringify(body) }),
    quietContext('events').context,
  );
  return { status: response.status, body: response.jsonBody as Record<string, unknown> };
}

async function getState(init: Parameters<typeof signedRequest>[0] = {}) {
  const response = await state(
    signedRequest({ method: 'GET', path: 'state', ...init }),
    quietContext('state').context,
  );
  return { status: response.status, body: response.jsonBody as any };
}

/** coredns-custom as files beside AKS's default Corefile; "restart" starts real CoreDNS on them. */
function localCluster(): InMemoryClusterDns {
  return new InMemoryClusterDns({ binary: corednsBinary() as string, azureDns: azureDns.address });
}

function reconcileWith(cluster: InMemoryClusterDns) {
  return runDnsReconcile({
    table: appStorage().table,
    clusterDns: cluster,
    cacheSeconds: 30,
    now: () => new Date(),
  });
}

async function resolveSentry(cluster: InMemoryClusterDns): Promise<string[]> {
  const resolver = new Resolver({ timeout: 3000, tries: 1 });
  resolver.setServers([`127.0.0.1:${cluster.port}`]);
  return resolver.resolve4('sentry.internal.example.com');
}

describe('desired state across a sequence of events, in and out of order', () => {
  it('builds the state from events, ignores the late older ones, and serves it on GET /api/state', async () => {
    const sequence = [
      failoverEvent(1, { activeSide: 'primary' }),
      resolverIpsEvent(1, 'eu-west-1', [primaryResolver.address]),
      resolverIpsEvent(2, 'eu-central-1', [drResolver.address]),
      tunnelStateEvent(1, [true, true]),
      failoverEvent(3, { activeSide: 'dr' }),
      failoverEvent(4, { recordName: 'drill.example.com', activeSide: 'primary' }),
    ];
    // Delivered out of order: the failover to DR (seq 3) before the one to primary (seq 1).
    const order = [4, 0, 1, 2, 3, 5];
    const statuses = [];
    for (const i of order) statuses.push((await send(sequence[i]!)).body.outcome);
    expect(statuses).toEqual([
      'applied',
      'ignored-older',
      'applied',
      'applied',
      'applied',
      'applied',
    ]);

    const answer = await getState();
    expect(answer.status).toBe(200);
    expect(answer.body.desired).toMatchObject({
      active: {
        side: 'dr',
        region: 'eu-central-1',
        recordName: 'main.example.com',
        changeId: 'C3',
      },
      lastDrill: { side: 'primary', recordName: 'drill.example.com' },
      resolvers: {
        'eu-west-1': { ips: [primaryResolver.address], zones: ['internal.example.com'] },
        'eu-central-1': { ips: [drResolver.address] },
      },
      vpnConnections: { 'vpn-0abc': { tunnels: [{ up: true }, { up: true }] } },
    });
    expect(answer.body.applied).toBeNull();
    expect((await storageContents(azurite.connectionString)).queued).toHaveLength(5);
  });

  it('answers GET /api/state only when signed (empty body signs "<timestamp>.")', async () => {
    expect((await getState({ unsigned: true })).status).toBe(401);
    expect((await getState({ secret: 'wrong' })).status).toBe(401);
    expect((await getState({ timestamp: Math.floor(Date.now() / 1000) - 400 })).status).toBe(401);
    expect((await getState()).status).toBe(200);
  });
});

describe('dnsReconcile', () => {
  it('without the AKS settings plans the forwarding and records it as not connected', async () => {
    await dnsReconcile({ reason: 'test' }, quietContext('dnsReconcile').context);
    const { body } = await getState();
    expect(body.applied).toMatchObject({
      outcome: 'not-connected',
      reason: expect.stringMatching(
        /DRPILOT_AKS_SUBSCRIPTION_ID, DRPILOT_AKS_RESOURCE_GROUP, DRPILOT_AKS_CLUSTER are not set/,
      ),
      zones: null,
      forwarding: {
        region: 'eu-central-1',
        ips: [drResolver.address],
        zones: ['internal.example.com'],
      },
      lastApplied: null,
    });
  });

  it('makes a real CoreDNS answer from DR after the failover, and from primary after the failback', async () => {
    const cluster = localCluster();
    try {
      expect(await reconcileWith(cluster)).toMatchObject({ outcome: 'applied' });
      expect(await resolveSentry(cluster)).toEqual(['10.1.50.7']);
      expect(await reconcileWith(cluster)).toMatchObject({ outcome: 'unchanged' });
      expect(cluster.applies).toBe(1);

      expect((await send(failoverEvent(5, { activeSide: 'primary' }))).status).toBe(202);
      expect(await reconcileWith(cluster)).toMatchObject({
        outcome: 'applied',
        forwarding: { region: 'eu-west-1' },
      });
      expect(await resolveSentry(cluster)).toEqual(['10.0.50.7']);
    } finally {
      await cluster.stop();
    }
  });

  it('reports a zone that a node pool’s LocalDNS sends to VNet DNS, instead of calling it forwarded', async () => {
    const cluster = localCluster();
    const pools: NodePoolDns[] = [
      {
        name: 'system',
        osType: 'Linux',
        kubernetesVersion: '1.37.1',
        localDns: { state: 'Enabled' },
      },
      {
        name: 'apps',
        osType: 'Linux',
        kubernetesVersion: '1.37.1',
        localDns: {
          mode: 'Required',
          kubeDNSOverrides: {
            '.': { forwardDestination: 'ClusterCoreDNS' },
            'internal.example.com': { forwardDestination: 'VnetDNS' },
          },
        },
      },
    ];
    try {
      const applied = await runDnsReconcile({
        table: appStorage().table,
        clusterDns: cluster,
        nodePools: { list: async () => pools },
        cacheSeconds: 30,
        now: () => new Date(),
      });
      expect(applied).toMatchObject({
        outcome: 'applied',
        reason:
          'internal.example.com is not forwarded by coredns-custom on pool apps (internal.example.com and the names in it: LocalDNS override "internal.example.com" → VnetDNS)',
        zones: [
          {
            zone: 'internal.example.com',
            status: 'bypassed',
            bypassedOn: [{ pool: 'apps', override: 'internal.example.com' }],
          },
        ],
      });
      expect((await getState()).body.applied.zones[0].status).toBe('bypassed');
      // With the override gone, the same zone is reported forwarded.
      pools[1]!.localDns!.kubeDNSOverrides = { '.': { forwardDestination: 'ClusterCoreDNS' } };
      expect(
        await runDnsReconcile({
          table: appStorage().table,
          clusterDns: cluster,
          nodePools: { list: async () => pools },
          cacheSeconds: 30,
          now: () => new Date(),
        }),
      ).toMatchObject({ outcome: 'unchanged', reason: null, zones: [{ status: 'forwarded' }] });
    } finally {
      await cluster.stop();
    }
  });

  it('with both tunnels down writes nothing and records why', async () => {
    const cluster = localCluster();
    try {
      expect((await send(tunnelStateEvent(2, [false, false]))).status).toBe(202);
      const applied = await reconcileWith(cluster);
      expect(applied).toMatchObject({
        outcome: 'skipped',
        reason: expect.stringMatching(/every VPN tunnel is down/),
      });
      expect(applied.lastApplied).toMatchObject({ forwarding: { region: 'eu-west-1' } });
      expect(cluster.applies).toBe(0);
      expect(await cluster.read()).toEqual({ entries: {}, others: {}, version: '1' });
    } finally {
      await cluster.stop();
    }
  });

  it('the timer queues a reconcile', async () => {
    const before = (await storageContents(azurite.connectionString)).queued.length;
    await dnsReconcileTimer(
      { isPastDue: false, scheduleStatus: {} } as never,
      quietContext('dnsReconcileTimer').context,
    );
    const queued = (await storageContents(azurite.connectionString)).queued;
    expect(queued).toHaveLength(before + 1);
    expect(queued.at(-1)).toMatchObject({ reason: 'timer' });
  });
});
