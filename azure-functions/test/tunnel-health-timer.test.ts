import './support/quiet-functions-test-mode';
import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { armGatewayConnections } from '../src/adapters/azure/gateway-connections';
import { StateTable } from '../src/adapters/state-table';
import { appStorage, STATE_TABLE } from '../src/adapters/storage-clients';
import { CUSTOM_METRIC_PREFIX } from '../src/adapters/tunnel-metrics';
import type { DesiredState } from '../src/core/desired-state';
import type { TunnelMetric } from '../src/core/tunnel-health';
import { events } from '../src/functions/events';
import { state } from '../src/functions/state';
import { tunnelHealthHandler } from '../src/functions/tunnelHealth';
import { reconcileInto } from '../src/reconcile/in-process';
import { runTunnelHealth } from '../src/reconcile/run-tunnel-health';
import { parseArmResourceId } from '../src/core/arm-ids';
import { InMemoryClusterDns } from '../../cli/embedded/aks-cluster-dns';
import { useAzurite } from './support/azurite';
import { ConnectionArmFake } from '../../cli/emulator/connection-arm-fake-status-404-429';
import { failoverEvent, resolverIpsEvent, tunnelStateEvent } from './support/events';
import { MAIN_RECORD, quietContext, signedRequest, TEST_SECRET } from './support/invoke';
import { storageContents } from './support/storage-probe';

// tunnelHealth end to end on this machine: the real @azure/arm-network client against a stateful
// ARM fake for the gateway connections, the desired state in Azurite, the events and state
// handlers, and a reconcile that the Azure side's "both tunnels down" holds.

const azurite = useAzurite();
let arm: ConnectionArmFake;

const SUBSCRIPTION = '00000000-0000-4000-8000-000000000001';
const connectionId = (name: string) =>
  `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-vpn/providers/Microsoft.Network/connections/${name}`;
const CONN_A = connectionId('conn-aws-a');
const CONN_B = connectionId('conn-aws-b');

const staticToken: TokenCredential = {
  getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

beforeAll(async () => {
  process.env.DRPILOT_WEBHOOK_SECRET = TEST_SECRET;
  process.env.DRPILOT_MAIN_RECORD = MAIN_RECORD;
  process.env.DRPILOT_VPN_CONNECTION_IDS = CONN_A;
  arm = await ConnectionArmFake.start();
});

afterAll(async () => {
  delete process.env.DRPILOT_VPN_CONNECTION_IDS;
  await arm?.close();
});

/** One timer run through the function's own handler; its metric lines and warnings. */
async function runTimer(options: { waitBudgetMs?: number } = {}) {
  const handler = tunnelHealthHandler({
    clientFor: armGatewayConnections({
      credential: staticToken,
      client: { endpoint: arm.endpoint, tlsOptions: { ca: arm.caPem } },
    }),
    ...options,
  });
  const { context, logs } = quietContext('tunnelHealth');
  await handler({ isPastDue: false, scheduleStatus: {} } as never, context);
  const metrics = logs
    .filter((line) => line.includes(CUSTOM_METRIC_PREFIX))
    .map(
      (line) =>
        JSON.parse(
          line.slice(line.indexOf(CUSTOM_METRIC_PREFIX) + CUSTOM_METRIC_PREFIX.length),
        ) as TunnelMetric,
    );
  const warnings = logs.filter((line) => line.startsWith('warning:'));
  return { metrics, warnings, logs };
}

async function send(body: unknown) {
  const { context, logs } = quietContext('events');
  const response = await events(signedRequest({ body: JSON.stringify(body) }), context);
  return { status: response.status, logs };
}

async function desiredViaState(): Promise<DesiredState> {
  const response = await state(
    signedRequest({ method: 'GET', path: 'state' }),
    quietContext('state').context,
  );
  expect(response.status).toBe(200);
  return (response.jsonBody as { desired: DesiredState }).desired;
}

const both = (status: 'Connected' | 'NotConnected' | 'Connecting') => ({
  tunnels: [
    { tunnel: '203.0.113.10', connectionStatus: status },
    { tunnel: '203.0.113.11', connectionStatus: status },
  ],
});

describe('tunnelHealth timer → desired state → dnsReconcile', () => {
  const cluster = new InMemoryClusterDns(null);

  it('with no connection configured reads nothing and writes nothing', async () => {
    process.env.DRPILOT_VPN_CONNECTION_IDS = '';
    const run = await runTimer();
    process.env.DRPILOT_VPN_CONNECTION_IDS = CONN_A;
    expect(run.metrics).toEqual([]);
    expect(arm.requests).toEqual([]);
    expect((await storageContents(azurite.connectionString)).entities).toEqual([]);
  });

  it('records Azure’s view beside AWS’s, with times, in the signed state answer', async () => {
    for (const body of [
      failoverEvent(1, { activeSide: 'dr', activeRegion: 'eu-central-1' }),
      resolverIpsEvent(1, 'eu-central-1', ['10.1.1.10']),
      tunnelStateEvent(1, [true, true]),
    ]) {
      expect((await send(body)).status).toBe(202);
    }
    arm.set(CONN_A, both('Connected'));

    const run = await runTimer();

    expect(run.metrics.map((m) => [m.properties.side, m.properties.from, m.properties.to])).toEqual(
      [['azure', 'unknown', 'up']],
    );
    const desired = await desiredViaState();
    expect(desired.azureConnections['rg-vpn/conn-aws-a']).toMatchObject({
      connectionStatus: 'Connected',
      error: null,
      tunnels: [
        { name: '203.0.113.10', status: 'Connected', lastConnectedAt: expect.any(String) },
        { name: '203.0.113.11', status: 'Connected', lastConnectedAt: expect.any(String) },
      ],
    });
    expect(desired.tunnelHealth).toMatchObject({
      aws: { state: 'up', up: 2, since: '2025-06-01T12:00:00Z' },
      azure: { state: 'up', up: 2, since: expect.any(String) },
      dnsGate: null,
    });
    expect(await reconcileInto({ clusterDns: cluster })).toMatchObject({ outcome: 'applied' });
    expect(cluster.applies).toBe(1);
  });

  it('no change of state emits no metric', async () => {
    const run = await runTimer();
    expect(run.metrics).toEqual([]);
  });

  it('both tunnels down as Azure sees them (AWS says up) holds a DNS rewrite; one metric', async () => {
    arm.set(CONN_A, both('NotConnected'));
    const run = await runTimer();
    expect(run.metrics).toEqual([
      expect.objectContaining({
        value: 0,
        properties: expect.objectContaining({
          side: 'azure',
          from: 'up',
          to: 'down',
          dnsHeld: true,
        }),
      }),
    ]);
    const queued = (await storageContents(azurite.connectionString)).queued;
    expect(queued.at(-1)).toMatchObject({ reason: 'tunnelHealth: DNS rewrites held' });

    // A new resolver address arrives: the reconcile would rewrite, but the gate holds it.
    expect((await send(resolverIpsEvent(2, 'eu-central-1', ['10.1.1.20']))).status).toBe(202);
    expect(await reconcileInto({ clusterDns: cluster })).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(
        /down as Azure sees it.*conn-aws-a tunnel 203\.0\.113\.10 NotConnected/,
      ),
    });
    expect(cluster.applies).toBe(1);
    const desired = await desiredViaState();
    expect(desired.tunnelHealth).toMatchObject({ aws: { state: 'up' }, azure: { state: 'down' } });
    expect(desired.tunnelHealth?.dnsGate).toMatch(/no DNS rewrite until one is up/);
  });

  it('Connecting counts as down: no change, no metric', async () => {
    arm.set(CONN_A, both('Connecting'));
    expect((await runTimer()).metrics).toEqual([]);
  });

  it('a tunnel back up opens the gate; the held rewrite goes through', async () => {
    arm.set(CONN_A, {
      tunnels: [
        { tunnel: '203.0.113.10', connectionStatus: 'Connected' },
        { tunnel: '203.0.113.11', connectionStatus: 'Connecting' },
      ],
    });
    const run = await runTimer();
    expect(
      run.metrics.map((m) => [m.properties.from, m.properties.to, m.properties.dnsHeld]),
    ).toEqual([['down', 'degraded', false]]);
    expect(await reconcileInto({ clusterDns: cluster })).toMatchObject({
      outcome: 'applied',
      forwarding: { ips: ['10.1.1.20'] },
    });
    expect(cluster.applies).toBe(2);
  });

  it('an AWS-side change is logged by the events function as one metric', async () => {
    const sent = await send(tunnelStateEvent(2, [false, false]));
    const lines = sent.logs.filter((line) => line.includes(CUSTOM_METRIC_PREFIX));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"side":"aws","from":"up","to":"down"/);
    expect(
      (await send(tunnelStateEvent(3, [true, true]))).logs.filter((l) =>
        l.includes(CUSTOM_METRIC_PREFIX),
      ),
    ).toHaveLength(1);
  });
});

describe('connections that cannot be read are unknown, reported, and never gate', () => {
  it('404 and 403: reported, unknown; the readable one decides', async () => {
    const missing = connectionId('conn-gone');
    const forbidden = connectionId('conn-other-team');
    arm.set(forbidden, both('NotConnected'));
    arm.forbid(forbidden);
    arm.set(CONN_B, both('NotConnected'));
    process.env.DRPILOT_VPN_CONNECTION_IDS = [CONN_B, missing, forbidden].join(',');

    const run = await runTimer();

    expect(run.warnings).toEqual([
      expect.stringMatching(/rg-vpn\/conn-gone: not found \(404\)/),
      expect.stringMatching(
        /rg-vpn\/conn-other-team: forbidden \(403\).*Microsoft\.Network\/connections\/read/,
      ),
    ]);
    const desired = await desiredViaState();
    expect(desired.azureConnections['rg-vpn/conn-gone']).toMatchObject({
      error: expect.stringMatching(/404/),
    });
    // conn-aws-b is down, but two connections are unknown: Azure does not know all are down.
    expect(desired.tunnelHealth).toMatchObject({
      azure: { state: 'unknown', down: 2, unknown: 2 },
      dnsGate: null,
    });
    expect(Object.keys(desired.azureConnections).sort()).toEqual([
      'rg-vpn/conn-aws-b',
      'rg-vpn/conn-gone',
      'rg-vpn/conn-other-team',
    ]);
  });

  it('429: a Retry-After that fits the run is waited out and the read goes through', async () => {
    process.env.DRPILOT_VPN_CONNECTION_IDS = CONN_A;
    arm.set(CONN_A, both('Connected'));
    const from = arm.requests.length;
    arm.throttleFor(1);

    const run = await runTimer();

    expect(arm.requests.slice(from).map((r) => [r.status, r.retryAfter])).toEqual([
      [429, '1'],
      [200, null],
    ]);
    expect(run.warnings).toEqual([]);
    expect((await desiredViaState()).tunnelHealth?.azure.state).toBe('up');
  });

  it('429: a longer Retry-After is left to a later run, which does not ask before it', async () => {
    const from = arm.requests.length;
    arm.throttleFor(120);

    const first = await runTimer({ waitBudgetMs: 5_000 });
    const second = await runTimer({ waitBudgetMs: 5_000 });

    expect(arm.requests.slice(from).map((r) => [r.status, r.retryAfter])).toEqual([[429, '120']]);
    expect(first.warnings).toEqual([
      expect.stringMatching(/throttled by ARM \(429\): Retry-After 120 s/),
    ]);
    expect(second.warnings).toEqual([
      expect.stringMatching(/throttled by ARM \(429\): not asked again before/),
    ]);
    const desired = await desiredViaState();
    expect(desired.azureConnections['rg-vpn/conn-aws-a']?.retryAt).toEqual(expect.any(String));
    expect(desired.tunnelHealth).toMatchObject({ azure: { state: 'unknown' }, dnsGate: null });
  });
});

describe('an event landing between the read and the write', () => {
  it('is kept: the merge is re-read and re-done under the new ETag', async () => {
    arm.unthrottle();
    arm.set(CONN_B, both('Connected'));
    const parsed = parseArmResourceId(CONN_B, 'Microsoft.Network/connections');
    if (!parsed.ok) throw new Error(parsed.error);
    const client = TableClient.fromConnectionString(azurite.connectionString, STATE_TABLE, {
      allowInsecureConnection: true,
    });
    let interleaved = false;
    class EventInBetween extends StateTable {
      override async replaceDesired(...args: Parameters<StateTable['replaceDesired']>) {
        if (!interleaved) {
          interleaved = true;
          expect((await send(tunnelStateEvent(4, [false, false]))).status).toBe(202);
        }
        return super.replaceDesired(...args);
      }
    }
    const metrics: TunnelMetric[] = [];

    const run = await runTunnelHealth({
      table: new EventInBetween(client),
      queue: appStorage().queue,
      connectionIds: [parsed.value],
      clientFor: armGatewayConnections({
        credential: staticToken,
        client: { endpoint: arm.endpoint, tlsOptions: { ca: arm.caPem } },
      }),
      emit: (metric) => metrics.push(metric),
      now: () => new Date(),
    });

    const desired = await desiredViaState();
    expect(desired.vpnConnections['vpn-0abc']?.tunnels.map((t) => t.up)).toEqual([false, false]);
    expect(desired.azureConnections['rg-vpn/conn-aws-b']).toMatchObject({
      connectionStatus: 'Connected',
    });
    expect(run.health).toMatchObject({ aws: { state: 'down' }, azure: { state: 'up' } });
    expect(desired.tunnelHealth?.dnsGate).toMatch(/every VPN tunnel is down \(vpn-0abc/);
    // AWS's move was the events function's to log; this run logs only Azure's.
    expect(metrics.map((m) => [m.properties.side, m.properties.from, m.properties.to])).toEqual([
      ['azure', 'unknown', 'up'],
    ]);
  });
});
