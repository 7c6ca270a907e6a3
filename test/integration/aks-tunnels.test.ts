import { readdirSync, readFileSync } from 'node:fs';
import type { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pointAwsClientsAt } from '../../cli/emulator/emulated-aws';
import { setTunnelAlarm } from '../../cli/embedded/seed-aks';
import { dynamoDbDocumentClient, snsClient } from '../../lambdas/adapters/aws/clients';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import { handler as tunnelHandler } from '../../lambdas/aks/tunnel-handler';
import { readTunnelRecords } from '../../lambdas/aks/read-aks-status';
import { summarizeTunnels } from '../../lambdas/core/aks/aks-status';
import { tunnelAlarmName } from '../../lambdas/core/aks/names';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { TriggerEventError } from '../../lambdas/core/events/trigger-event';
import { alarmEventAs, type AlarmShape } from '../support/alarm-events';
import { useAksWorld, type AksWorld } from '../support/aks-world';
import { useMoto } from '../support/moto';
import { startRecordingProxy } from '../support/recording-proxy';

const moto = useMoto();
const world = useAksWorld();

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const VPN = 'vpn-0abc1234';
const [A, B] = ['203.0.113.10', '203.0.113.11'] as const;
const context = {
  awsRequestId: 'test',
  invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:acme-drpilot-tunnels`,
} as never;

let saved: NodeJS.ProcessEnv;
beforeEach(() => {
  saved = { ...process.env };
});
afterEach(() => {
  for (const name of ['AWS_REGION', 'DRPILOT_CONFIG_JSON']) {
    if (saved[name] === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = saved[name];
  }
});

async function setUp(): Promise<AksWorld & { subjects: string[] }> {
  const seeded = await world();
  process.env.AWS_REGION = REGION;
  process.env.DRPILOT_CONFIG_JSON = JSON.stringify(seeded.config);
  const subjects: string[] = [];
  snsClient(REGION).middlewareStack.add(
    (next, ctx) => async (args) => {
      if (ctx.commandName === 'PublishCommand')
        subjects.push((args.input as PublishCommand['input']).Subject ?? '');
      return next(args);
    },
    { step: 'initialize', name: 'captureSubjects' },
  );
  return { ...seeded, subjects };
}

type Reports = { connections: { outcome: string; severity: string | null; detail: string }[] };

/** CloudWatch moves the alarm, then its state change arrives in `shape`. */
async function tunnelGoes(
  config: DrpilotConfig,
  ip: string,
  state: 'OK' | 'ALARM',
  shape: AlarmShape,
): Promise<Reports> {
  const alarmName = await setTunnelAlarm(config, REGION, VPN, ip, state);
  const event = alarmEventAs(shape, {
    alarmName,
    state,
    region: REGION,
    account: ACCOUNT,
    at: new Date(),
  });
  return (await tunnelHandler(event as never, context)) as Reports;
}

const sent = (w: AksWorld) =>
  w.receiver.events
    .filter((e) => e.type === 'tunnel.state')
    .map((e) =>
      (e.data.tunnels as { outsideIp: string; up: boolean }[])
        .map((t) => `${t.outsideIp}:${t.up ? 'up' : 'down'}`)
        .join(' '),
    );

describe('tunnel watch: the matrix against moto CloudWatch', () => {
  it('both up, one down (warning), both down (page), recovered: recorded with since-when, notified, sent', async () => {
    const w = await setUp();
    const { config } = w;
    const first = (await tunnelHandler({ action: 'tunnels' } as never, context)) as Reports;
    expect(first.connections).toEqual([
      expect.objectContaining({ outcome: 'recorded', severity: 'ok' }),
    ]);

    expect((await tunnelGoes(config, A, 'ALARM', 'eventbridge')).connections[0]).toMatchObject({
      severity: 'warning',
    });
    expect((await tunnelGoes(config, B, 'ALARM', 'sns')).connections[0]).toMatchObject({
      severity: 'page',
    });
    expect((await tunnelGoes(config, A, 'OK', 'alarm-action')).connections[0]).toMatchObject({
      severity: 'warning',
    });
    expect((await tunnelGoes(config, B, 'OK', 'eventbridge')).connections[0]).toMatchObject({
      severity: 'ok',
    });

    expect(sent(w)).toEqual([
      `${A}:up ${B}:up`,
      `${A}:down ${B}:up`,
      `${A}:down ${B}:down`,
      `${A}:up ${B}:down`,
      `${A}:up ${B}:up`,
    ]);
    expect(w.subjects).toEqual([
      `drpilot acme: ${VPN} tunnels up`,
      `drpilot acme WARNING: ${VPN} tunnel ${A} down`,
      `drpilot acme PAGE: ${VPN} every tunnel down`,
      `drpilot acme WARNING: ${VPN} tunnel ${B} down`,
      `drpilot acme: ${VPN} tunnels up`,
    ]);
    // seq grows per type, in the order the states changed.
    expect(w.receiver.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('shows each tunnel up or down and since when in status', async () => {
    const w = await setUp();
    await tunnelHandler({ action: 'tunnels' } as never, context);
    await tunnelGoes(w.config, B, 'ALARM', 'eventbridge');
    const warnings: string[] = [];
    const status = summarizeTunnels(w.config, await readTunnelRecords(w.config), warnings);
    expect(status).toEqual([
      {
        vpnConnectionId: VPN,
        region: REGION,
        severity: 'warning',
        since: expect.any(String),
        tunnels: [
          { outsideIp: A, up: true, since: expect.any(String), alarmState: 'OK' },
          { outsideIp: B, up: false, since: status![0]!.since, alarmState: 'ALARM' },
        ],
      },
    ]);
    expect(Date.parse(status![0]!.tunnels[0]!.since!)).toBeLessThanOrEqual(
      Date.parse(status![0]!.since!),
    );
    expect(warnings).toEqual([`VPN ${VPN}: tunnel ${B} down`]);
  });

  it('flapping: an event whose alarm already flipped back is refused and audited, nothing sent twice', async () => {
    const w = await setUp();
    await tunnelHandler({ action: 'tunnels' } as never, context);
    const alarmName = await setTunnelAlarm(w.config, REGION, VPN, A, 'ALARM');
    const late = alarmEventAs('eventbridge', {
      alarmName,
      state: 'ALARM',
      region: REGION,
      account: ACCOUNT,
      at: new Date(),
    });
    await setTunnelAlarm(w.config, REGION, VPN, A, 'OK');
    const refused = (await tunnelHandler(late as never, context)) as Reports;
    expect(refused.connections[0]).toMatchObject({ outcome: 'refused' });
    expect(refused.connections[0]!.detail).toMatch(/no longer holds: tunnel alarm .* is OK now/);
    const ok = alarmEventAs('sns', {
      alarmName,
      state: 'OK',
      region: REGION,
      account: ACCOUNT,
      at: new Date(),
    });
    expect(((await tunnelHandler(ok as never, context)) as Reports).connections[0]).toMatchObject({
      outcome: 'unchanged',
    });
    expect(sent(w)).toEqual([`${A}:up ${B}:up`]);
    const audit = await new StateStore(
      dynamoDbDocumentClient(w.config.controlRegion),
      w.config.stateTable,
    ).recentAudit('tunnels');
    expect(audit).toEqual([
      expect.objectContaining({ origin: 'alarm', outcome: 'refused', vpnConnectionId: VPN }),
    ]);
  });
});

describe('tunnel watch: events it must reject, touching nothing and sending nothing', () => {
  const malformedDir = new URL('../fixtures/events/malformed/', import.meta.url);
  const fixtures = readdirSync(malformedDir).filter((f) => f.endsWith('.json'));

  it('rejects every malformed fixture, foreign alarms, and alarms that are not a configured tunnel', async () => {
    const w = await setUp();
    const proxy = await startRecordingProxy(moto.endpoint);
    const restore = pointAwsClientsAt(proxy.endpoint);
    process.env.AWS_REGION = REGION;
    const tunnelA = tunnelAlarmName(w.config, VPN, A);
    const event = (
      overrides: Partial<Parameters<typeof alarmEventAs>[1]>,
      shape: AlarmShape = 'eventbridge',
    ) =>
      alarmEventAs(shape, {
        alarmName: tunnelA,
        state: 'ALARM',
        region: REGION,
        account: ACCOUNT,
        at: new Date(),
        ...overrides,
      });
    const cases: [string, unknown][] = [
      ...fixtures.map((f): [string, unknown] => [
        f,
        JSON.parse(readFileSync(new URL(f, malformedDir), 'utf8')),
      ]),
      ['another region', event({ region: 'eu-central-1' })],
      ['another account', event({ account: '210987654321' }, 'sns')],
      [
        'the any-down composite of earlier versions',
        event({ alarmName: `${w.config.name}-drpilot-tunnel.${VPN}.any-down` }),
      ],
      ['a health alarm', event({ alarmName: 'acme-primary-health' }, 'alarm-action')],
      ['an unconfigured VPN', event({ alarmName: tunnelAlarmName(w.config, 'vpn-0fff0000', A) })],
      ['a manual action it does not take', { action: 'failover', reason: 'x' }],
    ];
    const outcomes: string[] = [];
    try {
      for (const [name, raw] of cases) {
        proxy.clear();
        let error: unknown;
        try {
          await tunnelHandler(raw as never, context);
        } catch (caught) {
          error = caught;
        }
        expect(error, name).toBeInstanceOf(TriggerEventError);
        expect(proxy.writes(), name).toEqual([]);
        outcomes.push(`${name}: ${(error as Error).message.slice(0, 80)}`);
      }
    } finally {
      restore();
      await proxy.close();
    }
    expect(w.receiver.requests).toEqual([]);
  });

  it('refuses a stale alarm event (older than triggers.maxEventAgeSeconds): audited only, nothing sent', async () => {
    const w = await setUp();
    const alarmName = await setTunnelAlarm(w.config, REGION, VPN, A, 'ALARM');
    const stale = alarmEventAs('alarm-action', {
      alarmName,
      state: 'ALARM',
      region: REGION,
      account: ACCOUNT,
      at: new Date(Date.now() - (w.config.triggers.maxEventAgeSeconds + 60) * 1000),
    });
    const reports = (await tunnelHandler(stale as never, context)) as Reports;
    expect(reports.connections[0]).toMatchObject({ outcome: 'refused' });
    expect(reports.connections[0]!.detail).toMatch(/refused as stale/);
    expect(w.receiver.requests).toEqual([]);
    expect(await readTunnelRecords(w.config)).toEqual(new Map([[VPN, null]]));
  });
});
