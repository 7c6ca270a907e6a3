import './support/quiet-functions-test-mode';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useK8sWorld } from '../../test/support/k8s-world';
import { signatureFor } from '../src/core/signature';
import {
  deliverToEventsHandler,
  kubernetesClusterDns,
  readStateThroughHandler,
  reconcileInto,
  type SignedDelivery,
} from '../src/reconcile/in-process';
import { aksStyleCorefile, startCoreDns } from '../../cli/emulator/coredns';
import { startStubResolver, type StubResolver } from '../../cli/emulator/stub-resolver';
import { useAzurite } from './support/azurite';
import { openCoreDnsTenant } from './support/coredns-k8s';
import { failoverEvent, resolverIpsEvent, tunnelStateEvent } from './support/events';
import { MAIN_RECORD, TEST_SECRET } from './support/invoke';

// End to end on this machine, through the in-process path the embedded drill uses: requests signed
// as the AWS side signs them, delivered to the Function's `events` handler (Azurite behind it), then
// a reconcile into the real API server as the shipped Role's identity, and what the API server
// holds loaded by real CoreDNS, which answers from the active region's stub resolver.

const k8s = useK8sWorld();
useAzurite();
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

function signed(body: unknown): SignedDelivery {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    headers: {
      'content-type': 'application/json',
      'x-drpilot-timestamp': timestamp,
      'x-drpilot-signature': signatureFor(TEST_SECRET, timestamp, raw),
    },
    body: raw,
  };
}

async function deliver(...bodies: unknown[]): Promise<number[]> {
  return (await deliverToEventsHandler(bodies.map(signed))).map((answer) => answer.status);
}

/** Real CoreDNS on coredns-custom's data as the API server holds it. */
async function resolveThroughClusterData(data: Record<string, string>): Promise<string[]> {
  const started = await startCoreDns(aksStyleCorefile(azureDns.address), data);
  if (!started.loaded) throw new Error(`CoreDNS did not load:\n${started.output}`);
  try {
    const resolver = new Resolver({ timeout: 3000, tries: 1 });
    resolver.setServers([`127.0.0.1:${started.run.port}`]);
    return await resolver.resolve4('sentry.internal.example.com');
  } finally {
    await started.run.stop();
  }
}

describe('signed events → Function handlers → reconcile into the real API server', () => {
  it('follows the failover, and with every tunnel down rewrites nothing and says why', async () => {
    const dns = await openCoreDnsTenant(k8s.admin, k8s.world, await k8s.tenant());
    const cluster = {
      clusterDns: kubernetesClusterDns(dns.access, {
        namespace: dns.namespace,
        availableTimeoutMs: 60_000,
        pollIntervalMs: 250,
      }),
    };
    const data = async () => (await dns.configMap()).data ?? {};

    expect(
      await deliver(
        failoverEvent(1, { activeSide: 'primary' }),
        resolverIpsEvent(1, 'eu-west-1', [primaryResolver.address]),
        resolverIpsEvent(2, 'eu-central-1', [drResolver.address]),
        tunnelStateEvent(1, [true, false]),
      ),
    ).toEqual([202, 202, 202, 202]);
    expect(await reconcileInto(cluster)).toMatchObject({ outcome: 'applied' });
    expect(await resolveThroughClusterData(await data())).toEqual(['10.0.50.7']);

    expect(await deliver(failoverEvent(2, { activeSide: 'dr' }))).toEqual([202]);
    expect(await reconcileInto(cluster)).toMatchObject({
      outcome: 'applied',
      forwarding: { region: 'eu-central-1', ips: [drResolver.address] },
    });
    expect(await resolveThroughClusterData(await data())).toEqual(['10.1.50.7']);

    // Both tunnels down, then a failback: the resolvers are unreachable either way, so nothing
    // is rewritten and CoreDNS is not restarted for nothing.
    const before = await dns.configMap();
    const requestsBefore = (await dns.requests()).length;
    expect(
      await deliver(
        tunnelStateEvent(2, [false, false]),
        failoverEvent(3, { activeSide: 'primary' }),
      ),
    ).toEqual([202, 202]);
    expect(await reconcileInto(cluster)).toMatchObject({ outcome: 'skipped' });

    expect((await dns.configMap()).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((await dns.requests()).length).toBe(requestsBefore);
    const answer = await readStateThroughHandler(signed(undefined));
    expect(answer.status).toBe(200);
    expect(answer.body.applied).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(
        /every VPN tunnel is down \(vpn-0abc \(reported .*\)\): no DNS rewrite until one is up/,
      ),
      lastApplied: { forwarding: { region: 'eu-central-1' } },
    });
    expect(answer.body.desired.active).toMatchObject({ side: 'primary' });
    expect(await resolveThroughClusterData(await data())).toEqual(['10.1.50.7']);
  });
});
