import type { DrpilotConfig, Side } from '../../lambdas/core/config/schema';
import { handler as tunnelHandler } from '../../lambdas/aks/tunnel-handler';
import { runAksAction } from '../../lambdas/aks/run-aks';
import { tunnelAlarmName } from '../../lambdas/core/aks/names';
import { readStatus } from '../../lambdas/status/read-status';
import {
  startAksReceiver,
  type LocalAksReceiver,
  type ReceivedEvent,
} from '../embedded/aks-receiver';
import { startDrillAksCluster, type DrillAksCluster } from '../embedded/aks-cluster';
import { startEmbeddedFunctionApp, type EmbeddedFunctionApp } from '../embedded/aks-function-app';
import { startDrillAzureArm, type DrillAzureArm } from '../embedded/aks-azure-arm';
import { attachAksSide, setTunnelAlarm } from '../embedded/seed-aks';
import { generateWebhookSecret } from '../../lambdas/core/aks/signature';
import type { StepRecorder } from './step-recorder';

/** The Function app run in this process behind the receiver, and the AKS cluster it reconciles. */
export interface EmbeddedAksFunction {
  app: EmbeddedFunctionApp;
  cluster: DrillAksCluster;
  /** ARM for the private-resolver mode's ruleset and tunnelHealth's gateway connection (fakes). */
  arm: DrillAzureArm;
  zone: string;
  /** How many of the API server's audited requests earlier steps reported. */
  requestsSeen: number;
}

export interface DrillAksSide {
  receiver: LocalAksReceiver;
  functionApp: EmbeddedAksFunction;
  close(): Promise<void>;
}

/** What ran and what was emulated, for the step details and the report. */
export function describeAksSide(fn: EmbeddedAksFunction): string {
  const emulated = fn.cluster.emulated.length
    ? `; emulated: ${fn.cluster.emulated.join('; ')}`
    : '; nothing emulated';
  return `Function app handlers in process over ${fn.app.storage}; cluster DNS in ${fn.cluster.kubernetes}; ${fn.cluster.coredns ?? 'no CoreDNS'}; ARM (ruleset, gateway connection) by stateful fakes, no ARM emulator exists${emulated}`;
}

/**
 * Embedded only: the AKS side's Function app (azure-functions/) in this process — its `events`
 * and `state` handlers over Azurite, reconciling into the drill's AKS cluster (the real
 * kube-apiserver + kwok with `realKubernetes`, else an in-memory coredns-custom; real CoreDNS when
 * it is built) — behind a local HTTPS receiver that checks every signature from the contract
 * itself first; both inbound endpoints in moto's Route53Resolver (loopback addresses, with a stub
 * resolver on each), the webhook secret and the tunnel alarms. Returns the config pointed at the
 * receiver, or the config as is when no AKS side is configured.
 *
 * The Function app's DRPILOT_MAIN_RECORD is the record this drill flips (the drill record unless
 * `live`): a deployed app follows only the main record and keeps a drill as `lastDrill`, so here it
 * follows the drill record to show the whole path.
 */
export async function attachDrillAksSide(
  steps: StepRecorder,
  config: DrpilotConfig,
  azure: DrpilotConfig['azure'],
  options: { live: boolean; realKubernetes: boolean; onProgress: (message: string) => void },
): Promise<{ config: DrpilotConfig; aks: DrillAksSide | null }> {
  if (!azure) return { config, aks: null };
  const followed = options.live ? config.dns.recordName : config.dns.drillRecordName;
  const attached: { config: DrpilotConfig; aks: DrillAksSide }[] = [];
  await steps.run(
    'attach the AKS side: its Function app in process behind a signed-event receiver, resolver endpoints, tunnel alarms',
    async () => {
      const secret = generateWebhookSecret();
      const zone = azure.zones[0] as string;
      const closers: (() => Promise<void>)[] = [];
      const close = async () => {
        for (const closeOne of closers.splice(0).reverse()) await closeOne();
      };
      try {
        const outsideIps = config.tunnels?.vpnConnections[0]?.outsideIps;
        const arm = await startDrillAzureArm({
          tunnels: [outsideIps?.[0] ?? 'tunnel-1', outsideIps?.[1] ?? 'tunnel-2'],
        });
        closers.push(() => arm.close());
        const app = await startEmbeddedFunctionApp({
          secret,
          mainRecord: followed,
          dnsTtl: config.dns.ttl,
          arm,
        });
        closers.push(() => app.close());
        const cluster = await startDrillAksCluster({
          realKubernetes: options.realKubernetes,
          zone,
          onProgress: options.onProgress,
        });
        closers.push(() => cluster.close());
        const functionApp: EmbeddedAksFunction = { app, cluster, arm, zone, requestsSeen: 0 };
        const receiver = await startAksReceiver(secret, { functionApp: app });
        closers.push(() => receiver.close());
        const { resolverIps } = cluster;
        const seeded = await attachAksSide(config, azure, receiver, secret, resolverIps);
        attached.push({ config: seeded.config, aks: { receiver, functionApp, close } });
        const endpoints = seeded.config.azure?.resolverEndpoints;
        return `receiver at ${receiver.url} (drill CA) in front of the Function app's own handlers; ${describeAksSide(functionApp)}; DRPILOT_MAIN_RECORD=${followed} (the record this drill flips; a deployed app follows ${config.dns.recordName} only); inbound endpoints ${endpoints?.primary} and ${endpoints?.dr} (ATTACHED ${resolverIps.primary.join(', ')} / ${resolverIps.dr.join(', ')}); ${config.tunnels?.vpnConnections.length ?? 0} VPN connection(s) with tunnel alarms OK`;
      } catch (error) {
        await close();
        throw error;
      }
    },
  );
  return attached[0] ?? { config, aks: null };
}

function describe(event: ReceivedEvent): string {
  const d = event.data;
  switch (event.type) {
    case 'dns.failover':
      return `dns.failover #${event.seq} ${String(d['recordName'])} → ${String(d['activeSide'])}`;
    case 'resolver.ips':
      return `resolver.ips #${event.seq} ${String(d['region'])} [${(d['ips'] as string[]).join(', ')}]`;
    default:
      return `${event.type} #${event.seq}`;
  }
}

/** The switches the DNS steps made, as the AKS side must have heard of them, in order. */
function expectSwitchEvents(
  config: DrpilotConfig,
  events: readonly ReceivedEvent[],
  recordName: string,
  sides: Side[],
  resolverIps: Record<Side, readonly string[]>,
): string {
  const got = events.filter((e) => e.type === 'dns.failover' || e.type === 'resolver.ips');
  const expected = sides.flatMap((side) => [
    `dns.failover ${recordName} → ${side}`,
    `resolver.ips ${config.clusters[side].region} [${resolverIps[side].join(', ')}]`,
  ]);
  const seen = got.map((e) => describe(e).replace(/ #\d+/, ''));
  if (JSON.stringify(seen) !== JSON.stringify(expected)) {
    throw new Error(`the AKS side heard [${seen.join('; ')}], expected [${expected.join('; ')}]`);
  }
  return got.map(describe).join('; ');
}

/** The dnsReconcile runs the queue held, as `applied ×1, unchanged ×1`; a failure throws. */
async function reconcileQueued(
  fn: EmbeddedAksFunction,
  expect: (outcome: string) => boolean,
): Promise<{ text: string; last: string | null }> {
  const runs = await fn.app.reconcileQueued(fn.cluster.clusterDns);
  const wrong = runs.filter((run) => !expect(run.outcome));
  if (runs.length === 0) throw new Error('no dnsReconcile was queued by the events handler');
  if (wrong.length > 0) {
    throw new Error(
      `dnsReconcile: ${wrong.map((run) => `${run.outcome}${run.reason ? ` (${run.reason})` : ''}`).join('; ')}`,
    );
  }
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.outcome, (counts.get(run.outcome) ?? 0) + 1);
  const last = runs.at(-1);
  return {
    text: `dnsReconcile ×${runs.length} from the queue: ${[...counts].map(([o, n]) => `${o} ×${n}`).join(', ')}`,
    last: last?.reason ?? null,
  };
}

/** The API server requests drpilot's identity made since the last step that reported them. */
async function newRequests(fn: EmbeddedAksFunction): Promise<string> {
  const requests = await fn.cluster.requests();
  if (!requests) return '';
  const fresh = requests.slice(fn.requestsSeen);
  fn.requestsSeen = requests.length;
  const counted = new Map<string, number>();
  for (const request of fresh) counted.set(request, (counted.get(request) ?? 0) + 1);
  return ` (as the shipped Role: ${[...counted].map(([r, n]) => (n > 1 ? `${r} ×${n}` : r)).join(', ') || 'no request'})`;
}

/**
 * After a switch of `recordName` to `side`: the Function app's `events` handler took its
 * dns.failover and the new side's resolver.ips (202, applied), the `dnsReconcile` runs they queued
 * wrote the zone's entry into coredns-custom, and a query of a name in the zone through CoreDNS on
 * AKS's default Corefile and that coredns-custom is answered by the side's resolver.
 */
export async function runAksSwitchStep(
  steps: StepRecorder,
  config: DrpilotConfig,
  aks: DrillAksSide,
  switched: { recordName: string; side: Side },
): Promise<void> {
  const fn = aks.functionApp;
  const { side, recordName } = switched;
  const other: Side = side === 'dr' ? 'primary' : 'dr';
  const region = config.clusters[side].region;
  const ips = fn.cluster.resolverIps[side];
  await steps.run(
    `AKS: the Function app follows the switch to ${side} — events handler, dnsReconcile, ${fn.zone} forwarded to ${side}'s resolver`,
    async () => {
      const { receiver } = aks;
      const failover = receiver.events.findLast(
        (e) => e.type === 'dns.failover' && e.data['recordName'] === recordName,
      );
      const resolvers = receiver.events.findLast((e) => e.type === 'resolver.ips');
      if (failover?.data['activeSide'] !== side || failover.outcome !== 'applied') {
        throw new Error(
          `the events handler has no applied dns.failover of ${recordName} → ${side} (last: ${failover ? describe(failover) : 'none'})`,
        );
      }
      if (resolvers?.data['region'] !== region || resolvers.outcome !== 'applied') {
        throw new Error(
          `the events handler has no applied resolver.ips for ${region} (last: ${resolvers ? describe(resolvers) : 'none'})`,
        );
      }
      const reconciled = await reconcileQueued(fn, (o) => o === 'applied' || o === 'unchanged');
      const entry = (await fn.cluster.data())[`drpilot.${fn.zone}.server`];
      const upstreams = ips.map((ip) => `${ip}:53`).join(' ');
      if (!entry?.includes(`forward . ${upstreams} {`)) {
        throw new Error(
          `coredns-custom's drpilot.${fn.zone}.server does not forward to ${upstreams}:\n${entry ?? '(missing)'}`,
        );
      }
      const requests = await newRequests(fn);
      const answer = await fn.cluster.resolve();
      let dns: string;
      if (answer.kind === 'resolved') {
        const [address] = answer.addresses;
        if (!address || !ips.includes(address)) {
          throw new Error(
            `${fn.cluster.probeName} resolved to ${answer.addresses.join(', ') || 'nothing'}, expected ${side}'s resolver (${ips.join(', ')})`,
          );
        }
        if (answer.askedBy[other].length > 0) {
          throw new Error(`${other}'s resolver ${answer.askedBy[other].join(', ')} was asked too`);
        }
        dns = `${fn.cluster.coredns} on AKS's default Corefile + coredns-custom answered ${fn.cluster.probeName} → ${address} (${side}'s resolver; ${other}'s not asked)`;
      } else {
        if (answer.forwardTo.join(' ') !== upstreams) {
          throw new Error(
            `the entry forwards to ${answer.forwardTo.join(' ')}, expected ${upstreams}`,
          );
        }
        dns = `not resolved (emulated): the entry forwards ${fn.zone} to ${answer.forwardTo.join(' ')} (${side}'s resolver)`;
      }
      return `${describe(failover)} and ${describe(resolvers)} accepted by the events handler (202, applied); ${reconciled.text}; drpilot.${fn.zone}.server → forward . ${upstreams} in ${fn.cluster.kubernetes}${requests}; ${dns}`;
    },
  );
}

async function tunnelEvent(
  config: DrpilotConfig,
  region: string,
  alarmName: string,
  state: 'OK' | 'ALARM',
): Promise<{ severity: string | null; detail: string; outcome: string }> {
  const saved = { json: process.env.DRPILOT_CONFIG_JSON, region: process.env.AWS_REGION };
  process.env.DRPILOT_CONFIG_JSON = JSON.stringify(config);
  process.env.AWS_REGION = region;
  try {
    const now = new Date();
    const event = {
      version: '0',
      id: `drill-${now.getTime()}`,
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '123456789012',
      time: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      region,
      resources: [`arn:aws:cloudwatch:${region}:123456789012:alarm:${alarmName}`],
      detail: { alarmName, state: { value: state, reason: 'drill', timestamp: now.toISOString() } },
    };
    const result = (await tunnelHandler(
      event as never,
      {
        awsRequestId: 'drill',
        invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:${config.name}-drpilot-tunnels`,
      } as never,
    )) as { connections: { severity: string | null; detail: string; outcome: string }[] };
    const report = result.connections[0];
    if (!report) throw new Error('the tunnel function reported no connection');
    return report;
  } finally {
    for (const [name, value] of [
      ['DRPILOT_CONFIG_JSON', saved.json],
      ['AWS_REGION', saved.region],
    ] as const) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  }
}

/**
 * After the DNS steps: the AKS side heard each switch (dns.failover with the drill record, then
 * the new side's resolver.ips); a tunnel drops (warning, DNS not gated), then both (page, DNS
 * rewrites wait), then they recover; and the receiver is down for one event, which stays pending
 * and arrives on the next run, in seq order.
 */
export async function runAksSteps(
  steps: StepRecorder,
  config: DrpilotConfig,
  aks: DrillAksSide,
  switched: { recordName: string; sides: Side[] },
): Promise<void> {
  const { receiver, functionApp: fn } = aks;
  await steps.run(
    "the AKS side heard every switch: dns.failover, then the new side's resolver.ips",
    async () =>
      expectSwitchEvents(
        config,
        receiver.events,
        switched.recordName,
        switched.sides,
        fn.cluster.resolverIps,
      ),
  );
  const lastSide = switched.sides.at(-1) as Side;
  await steps.run("status shows the AKS Function app's state (signed GET /api/state)", async () => {
    const status = await readStatus(config);
    const app = status.aks?.functionApp;
    if (!app?.ok) throw new Error(`status.aks.functionApp: ${app ? app.reason : 'missing'}`);
    if (app.active?.side !== lastSide) {
      throw new Error(
        `the Function app reports the active side ${app.active?.side ?? 'unknown'}, expected ${lastSide}`,
      );
    }
    const forwarding = app.applied?.lastApplied;
    if (forwarding?.region !== config.clusters[lastSide].region) {
      throw new Error(
        `the Function app reports its last forwarding in ${forwarding?.region ?? 'no region'}`,
      );
    }
    return `${app.status} in ${app.latencyMs} ms from ${app.url}: active ${app.active.side} (${app.active.region}, ${app.active.recordName}), last reconcile ${app.applied?.outcome}, forwarding ${forwarding.zones.join(', ')} → ${forwarding.ips.join(', ')} since ${forwarding.at}`;
  });
  const connection = config.tunnels?.vpnConnections[0];
  if (!connection) return;
  const [first, second] = connection.outsideIps as [string, string];
  const move = async (ip: string, state: 'OK' | 'ALARM') => {
    await setTunnelAlarm(config, connection.region, connection.id, ip, state);
    return tunnelEvent(
      config,
      connection.region,
      tunnelAlarmName(config, connection.id, ip),
      state,
    );
  };
  const expectSeverity = (
    report: { severity: string | null; detail: string },
    severity: string,
  ) => {
    if (report.severity !== severity)
      throw new Error(`expected ${severity}, got ${report.severity}: ${report.detail}`);
  };

  await steps.run(`tunnel ${first} of ${connection.id} drops: warning, DNS not gated`, async () => {
    const report = await move(first, 'ALARM');
    expectSeverity(report, 'warning');
    const view = receiver.tunnelView();
    if (view.dnsRewritesWait) throw new Error('the AKS side gates DNS rewrites with one tunnel up');
    const reconciled = await reconcileQueued(fn, (o) => o === 'unchanged');
    const requests = await newRequests(fn);
    return `${report.detail}; the AKS side has ${JSON.stringify(view.tunnels[connection.id])}, DNS rewrites go on (${reconciled.text}${requests})`;
  });
  await steps.run(`tunnel ${second} drops too: both down, paged`, async () => {
    const report = await move(second, 'ALARM');
    expectSeverity(report, 'page');
    if (!receiver.tunnelView().dnsRewritesWait)
      throw new Error('the AKS side does not hold DNS rewrites with both tunnels down');
    const before = JSON.stringify(await fn.cluster.data());
    const reconciled = await reconcileQueued(fn, (o) => o === 'skipped');
    if (!/every VPN tunnel is down/.test(reconciled.last ?? '')) {
      throw new Error(`dnsReconcile skipped for another reason: ${reconciled.last}`);
    }
    if (JSON.stringify(await fn.cluster.data()) !== before) {
      throw new Error('coredns-custom changed while every tunnel was down');
    }
    const requests = await newRequests(fn);
    return `${report.detail}; the AKS side holds DNS rewrites: ${reconciled.text} (${reconciled.last}), coredns-custom untouched${requests}`;
  });
  await steps.run('both tunnels recover', async () => {
    await move(first, 'OK');
    const report = await move(second, 'OK');
    expectSeverity(report, 'ok');
    const reconciled = await reconcileQueued(fn, (o) => o === 'unchanged');
    return `${report.detail}; ${reconciled.text}${await newRequests(fn)}`;
  });

  await steps.run(
    'the receiver is down for one event: it stays pending, then arrives on the next run in seq order',
    async () => {
      receiver.setDown(true);
      const down = await move(first, 'ALARM');
      receiver.setDown(false);
      const before = receiver.events.filter((e) => e.type === 'tunnel.state').map((e) => e.seq);
      const pending = await runAksAction(config, 'flush', { now: () => new Date() });
      if (pending.action !== 'flush' || pending.pendingAfter !== 1) {
        throw new Error(
          `expected the event pending and not yet due, got ${JSON.stringify(pending)}`,
        );
      }
      // The next scheduled run once the retry is due (1 minute later): the clock is moved, not waited for.
      const later = () => new Date(Date.now() + 61_000);
      const flushed = await runAksAction(config, 'flush', { now: later });
      if (flushed.action !== 'flush' || flushed.pendingAfter !== 0) {
        throw new Error(`expected the event delivered, got ${JSON.stringify(flushed)}`);
      }
      const after = receiver.events.filter((e) => e.type === 'tunnel.state').map((e) => e.seq);
      const sorted = [...after].sort((a, b) => a - b);
      if (after.length !== before.length + 1 || JSON.stringify(after) !== JSON.stringify(sorted)) {
        throw new Error(`tunnel.state arrived as [${after.join(', ')}]`);
      }
      await move(first, 'OK');
      return `${down.detail}: pending while down; delivered on the next run as #${after.at(-1)}; tunnel.state arrived as [${after.join(', ')}]`;
    },
  );
}
