import type { DrpilotConfig, Side } from '../../lambdas/core/config/schema';
import { handler as tunnelHandler } from '../../lambdas/aks/tunnel-handler';
import { runAksAction } from '../../lambdas/aks/run-aks';
import { tunnelAlarmName } from '../../lambdas/core/aks/names';
import {
  startAksReceiver,
  type LocalAksReceiver,
  type ReceivedEvent,
} from '../embedded/aks-receiver';
import { attachAksSide, SEEDED_RESOLVER_IPS, setTunnelAlarm } from '../embedded/seed-aks';
import { generateWebhookSecret } from '../../lambdas/core/aks/signature';
import type { StepRecorder } from './step-recorder';

export interface DrillAksSide {
  receiver: LocalAksReceiver;
  close(): Promise<void>;
}

/**
 * Embedded only: a local receiver of the signed events (written from the contract, verifying
 * every signature), both inbound endpoints in moto's Route53Resolver, the webhook secret and the
 * tunnel alarms. Returns the config pointed at the receiver, or the config as is when no AKS side
 * is configured.
 */
export async function attachDrillAksSide(
  steps: StepRecorder,
  config: DrpilotConfig,
  azure: DrpilotConfig['azure'],
): Promise<{ config: DrpilotConfig; aks: DrillAksSide | null }> {
  if (!azure) return { config, aks: null };
  let attached: { config: DrpilotConfig; aks: DrillAksSide } | null = null;
  await steps.run(
    'attach the AKS side: a local signed-event receiver, resolver endpoints, tunnel alarms',
    async () => {
      const secret = generateWebhookSecret();
      const receiver = await startAksReceiver(secret);
      const seeded = await attachAksSide(config, azure, receiver, secret);
      attached = { config: seeded.config, aks: { receiver, close: () => receiver.close() } };
      const endpoints = seeded.config.azure?.resolverEndpoints;
      return `receiver at ${receiver.url} (drill CA), inbound endpoints ${endpoints?.primary} and ${endpoints?.dr} (ATTACHED ${SEEDED_RESOLVER_IPS.primary.join(', ')} / ${SEEDED_RESOLVER_IPS.dr.join(', ')}), ${config.tunnels?.vpnConnections.length ?? 0} VPN connection(s) with tunnel alarms OK`;
    },
  );
  return attached ?? { config, aks: null };
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
): string {
  const got = events.filter((e) => e.type === 'dns.failover' || e.type === 'resolver.ips');
  const expected = sides.flatMap((side) => [
    `dns.failover ${recordName} → ${side}`,
    `resolver.ips ${config.clusters[side].region} [${SEEDED_RESOLVER_IPS[side].join(', ')}]`,
  ]);
  const seen = got.map((e) => describe(e).replace(/ #\d+/, ''));
  if (JSON.stringify(seen) !== JSON.stringify(expected)) {
    throw new Error(`the AKS side heard [${seen.join('; ')}], expected [${expected.join('; ')}]`);
  }
  return got.map(describe).join('; ');
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
  const { receiver } = aks;
  await steps.run(
    "the AKS side heard every switch: dns.failover, then the new side's resolver.ips",
    async () => expectSwitchEvents(config, receiver.events, switched.recordName, switched.sides),
  );
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
    return `${report.detail}; the AKS side has ${JSON.stringify(view.tunnels[connection.id])}, DNS rewrites go on`;
  });
  await steps.run(`tunnel ${second} drops too: both down, paged`, async () => {
    const report = await move(second, 'ALARM');
    expectSeverity(report, 'page');
    if (!receiver.tunnelView().dnsRewritesWait)
      throw new Error('the AKS side does not hold DNS rewrites with both tunnels down');
    return `${report.detail}; the AKS side holds DNS rewrites`;
  });
  await steps.run('both tunnels recover', async () => {
    await move(first, 'OK');
    const report = await move(second, 'OK');
    expectSeverity(report, 'ok');
    return report.detail;
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
