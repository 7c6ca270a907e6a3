import { describe, expect, it } from 'vitest';
import { seedDns } from '../../cli/embedded/seed-dns';
import { route53Client } from '../../lambdas/adapters/aws/clients';
import { useAksWorld } from '../support/aks-world';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { configFile } from '../support/temp-dir';

useMoto();
const world = useAksWorld();

describe('drpilot notify --test and status (AKS side)', () => {
  it('sends a signed ping and prints the status code and latency; exit 0 on 202, 1 otherwise', async () => {
    const { config, receiver } = await world();
    const file = configFile(config);
    const ok = await runCli(['notify', '--test', '--config', file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /^✓ ping #1 → https:\/\/127\.0\.0\.1:\d+\/api\/events\n {2}answer 202 in \d+ ms$/m,
    );
    expect(receiver.events.map((e) => [e.type, e.seq])).toEqual([['ping', 1]]);

    receiver.setSecret('another-secret-in-key-vault');
    const refused = await runCli(['notify', '--test', '--config', file, '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json()).toMatchObject({
      ok: false,
      status: 401,
      seq: 2,
      latencyMs: expect.any(Number),
    });

    receiver.setDown(true);
    const down = await runCli(['notify', '--test', '--config', file, '--json']);
    expect(down.code).toBe(1);
    expect(down.json()).toMatchObject({ ok: false, status: null });
  });

  it('refuses notify without --test, and without an AKS side, as usage errors', async () => {
    const { config } = await world();
    expect((await runCli(['notify', '--config', configFile(config)])).code).toBe(2);
    const withoutAzure = { ...config, azure: undefined };
    expect((await runCli(['notify', '--test', '--config', configFile(withoutAzure)])).code).toBe(2);
  });

  it('status shows each tunnel and, per event type, the last delivery and what is pending', async () => {
    const { config: seeded } = await world();
    const { hostedZoneId } = await seedDns(route53Client(), seeded);
    const config = { ...seeded, dns: { ...seeded.dns, hostedZoneId } };
    const file = configFile(config);
    expect((await runCli(['notify', '--test', '--config', file])).code).toBe(0);
    const status = await runCli(['status', '--config', file, '--json']);
    const report = status.json();
    expect(report.tunnels).toEqual([
      {
        vpnConnectionId: 'vpn-0abc1234',
        region: 'eu-west-1',
        severity: null,
        since: null,
        tunnels: [
          { outsideIp: '203.0.113.10', up: null, since: null, alarmState: 'not recorded yet' },
          { outsideIp: '203.0.113.11', up: null, since: null, alarmState: 'not recorded yet' },
        ],
      },
    ]);
    expect(report.aks).toMatchObject({
      pending: 0,
      lastError: null,
      unauthorized: null,
      types: {
        ping: { lastDeliveredSeq: null, pending: 0 },
        'dns.failover': { lastDeliveredSeq: null, pending: 0 },
      },
    });
    const human = await runCli(['status', '--config', file]);
    expect(human.stdout).toContain('Tunnels   vpn-0abc1234 203.0.113.10    not recorded yet');
    expect(human.stdout).toMatch(/AKS {7}dns\.failover {2}nothing delivered yet/);
  });
});
