import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { cloudWatchClient } from '../../lambdas/adapters/aws/clients';
import { readOutbox } from '../../lambdas/aks/read-aks-status';
import { AksSender, type SendReport } from '../../lambdas/aks/outbox-sender';
import { runAksAction } from '../../lambdas/aks/run-aks';
import { failoverData } from '../../lambdas/core/aks/events';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import type { LocalAksReceiver } from '../../cli/embedded/aks-receiver';
import { AKS_SECRET, useAksWorld } from '../support/aks-world';
import { useMoto } from '../support/moto';
import { startOneRequestAtATimeProxy } from '../support/one-request-at-a-time-proxy';
import { pointAwsClientsAt } from '../../cli/emulator/emulated-aws';

const moto = useMoto();
const world = useAksWorld();

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
/**
 * A clock the test moves: the sender's backoff and the receiver's timestamp check are judged
 * against it, never the wall clock.
 */
function clock(receiver: LocalAksReceiver, startMs = T0) {
  let nowMs = startMs;
  receiver.setClock(() => new Date(nowMs));
  return {
    now: () => new Date(nowMs),
    signAt: () => nowMs,
    advance: (seconds: number) => {
      nowMs += seconds * 1000;
    },
  };
}

const tunnels = (up: boolean) => ({
  vpnConnectionId: 'vpn-0abc1234',
  tunnels: [
    { outsideIp: '203.0.113.10', up },
    { outsideIp: '203.0.113.11', up: true },
  ],
});

async function unauthorizedMetric(config: DrpilotConfig): Promise<number[]> {
  const { Datapoints = [] } = await cloudWatchClient(config.controlRegion).send(
    new GetMetricStatisticsCommand({
      Namespace: 'drpilot',
      MetricName: 'AksDeliveryProblem',
      Dimensions: [{ Name: 'Problem', Value: 'unauthorized' }],
      StartTime: new Date(T0 - 3600_000),
      EndTime: new Date(T0 + 24 * 3600_000),
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  return Datapoints.map((d) => d.Maximum ?? NaN).sort();
}

describe('the AWS → AKS outbox against moto and a local receiver', () => {
  it('gives 20 concurrent senders 20 different, increasing seq numbers, and delivers each event (one-request-at-a-time proxy: DynamoDB serializes writes to an item)', async () => {
    const { config, receiver } = await world();
    const serial = await startOneRequestAtATimeProxy(moto.endpoint);
    const restore = pointAwsClientsAt(serial.endpoint);
    let reports: SendReport[];
    try {
      reports = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          new AksSender(config).send('tunnel.state', tunnels(i % 2 === 0)),
        ),
      );
    } finally {
      restore();
      await serial.close();
    }
    const seqs = reports.map((r) => r.event.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Every event reached the receiver once (a chain resent by a concurrent sender is a 409).
    const accepted = receiver.events.map((e) => e.seq).sort((a, b) => a - b);
    expect(accepted).toEqual(seqs);
    expect(receiver.requests.filter((r) => r.status === 202)).toHaveLength(20);
    const outbox = await readOutbox(config);
    expect(outbox?.pending).toEqual([]);
    expect(outbox?.lastDelivered).toEqual([
      expect.objectContaining({ type: 'tunnel.state', seq: 20 }),
    ]);
  });

  it('keeps an event pending while the receiver is down and delivers it on the next due run, in seq order', async () => {
    const { config, receiver } = await world();
    const time = clock(receiver);
    const sender = new AksSender(config, time);
    receiver.setDown(true);
    const first = await sender.send(
      'dns.failover',
      failoverData(config, config.dns.recordName, 'dr', 'C1'),
    );
    time.advance(10);
    const second = await sender.send(
      'dns.failover',
      failoverData(config, config.dns.recordName, 'primary', 'C2'),
    );
    expect([first.pending, second.pending]).toEqual([true, true]);
    // The second send tried the older event first and stopped there: it never overtakes.
    expect(second.attempts.map((a) => a.seq)).toEqual([first.event.seq]);
    expect(receiver.events).toEqual([]);
    const waiting = await readOutbox(config);
    expect(waiting?.pending.map((p) => p.seq)).toEqual([1, 2]);
    expect(waiting?.lastError).toMatchObject({ type: 'dns.failover', seq: 1, status: null });

    // Back up, but the retry is not due yet (event 1 failed twice: 2 minutes after the second
    // failure): nothing is sent.
    receiver.setDown(false);
    const requestsBefore = receiver.requests.length;
    time.advance(119);
    const early = await runAksAction(config, 'flush', time);
    expect(early).toMatchObject({ action: 'flush', attempts: [], pendingAfter: 2 });
    expect(receiver.requests.length).toBe(requestsBefore);

    time.advance(1);
    const due = await runAksAction(config, 'flush', time);
    expect(due).toMatchObject({ pendingAfter: 0 });
    expect(receiver.events.map((e) => [e.type, e.seq, e.outcome, e.data.changeId])).toEqual([
      ['dns.failover', 1, 'applied', 'C1'],
      ['dns.failover', 2, 'applied', 'C2'],
    ]);
    const delivered = await readOutbox(config);
    expect(delivered?.lastDelivered).toEqual([
      expect.objectContaining({
        type: 'dns.failover',
        seq: 2,
        answer: expect.objectContaining({ status: 202 }),
      }),
    ]);
  });

  it('holds the outbox on a 401: an alarm metric, a line in status, one probe per backoff, no retry storm', async () => {
    const { config, receiver } = await world();
    const time = clock(receiver);
    receiver.setSecret('the-function-app-has-another-secret');
    const sender = new AksSender(config, time);
    const sent = await sender.send('tunnel.state', tunnels(false));
    expect(sent.attempts).toEqual([
      expect.objectContaining({ verdict: 'unauthorized', status: 401 }),
    ]);
    // The every-minute run publishes the hold as the alarm's metric (and sends nothing yet).
    await runAksAction(config, 'flush', time);
    expect(receiver.requests).toHaveLength(1);
    expect(await unauthorizedMetric(config)).toContain(1);

    // A new event during the hold is stored, not sent.
    const held = await sender.send('tunnel.state', tunnels(true));
    expect(held).toMatchObject({
      pending: true,
      attempts: [expect.objectContaining({ verdict: 'held' })],
    });

    // Every minute for 4 minutes: nothing goes out.
    for (let minute = 1; minute <= 4; minute++) {
      time.advance(60);
      await runAksAction(config, 'flush', time);
    }
    expect(receiver.requests.map((r) => r.status)).toEqual([401]);
    const status = await readOutbox(config);
    expect(status?.hold).toMatchObject({ failures: 1 });
    expect(status?.pending).toHaveLength(2);

    // At 5 minutes, exactly one probe (the oldest event); still 401, so the next waits 10 more.
    time.advance(60);
    await runAksAction(config, 'flush', time);
    expect(receiver.requests.map((r) => [r.status, r.seq])).toEqual([
      [401, null],
      [401, null],
    ]);
    expect((await readOutbox(config))?.hold).toMatchObject({ failures: 2 });
    time.advance(9 * 60);
    await runAksAction(config, 'flush', time);
    expect(receiver.requests).toHaveLength(2);

    // The secrets match again; a ping (drpilot notify --test) ends the hold and the next run
    // delivers both events, oldest first.
    receiver.setSecret(AKS_SECRET);
    const ping = await runAksAction(config, 'ping', time);
    expect(ping).toMatchObject({ action: 'ping', status: 202 });
    const flushed = await runAksAction(config, 'flush', time);
    expect(flushed).toMatchObject({ pendingAfter: 0, problems: { unauthorized: false } });
    expect(receiver.events.map((e) => [e.type, e.seq])).toEqual([
      ['ping', 1],
      ['tunnel.state', 1],
      ['tunnel.state', 2],
    ]);
  });

  it('answers a ping 202 without storing it', async () => {
    const { config, receiver } = await world();
    const ping = await runAksAction(config, 'ping', { now: () => new Date() });
    expect(ping).toMatchObject({ action: 'ping', status: 202, seq: 1 });
    expect(receiver.events).toEqual([expect.objectContaining({ type: 'ping', data: {} })]);
    expect((await readOutbox(config))?.pending).toEqual([]);
  });
});
