import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { cloudWatchClient, route53Client } from '../../lambdas/adapters/aws/clients';
import { runResync } from '../../lambdas/resync/run-resync';
import { handler } from '../../lambdas/status/handler';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';
import { useMoto } from '../support/moto';
import { upsertRecord } from '../../cli/embedded/seed-dns';

useMoto();

describe('drpilot status against a seeded moto estate', () => {
  it('matches the contract in --json', async () => {
    const estate = await seedExampleEstate();
    const run = await runCli(['status', '--config', estate.configFile, '--json']);
    expect(run.code).toBe(0);
    const status = run.json();
    expect(status.dns).toEqual({
      record: 'main.example.com',
      target: 'primary.example.com',
      ttl: 30,
      activeSide: 'primary',
      // 30 s by default; the 10 s option's RTO gain is stated beside it.
      healthCheck: {
        intervalSeconds: 30,
        failureThreshold: 3,
        secondsToUnhealthy: 90,
        faster: { intervalSeconds: 10, secondsToUnhealthy: 30, secondsSooner: 60 },
      },
      designedRto: expect.objectContaining({ totalSeconds: 245, targetSeconds: 120, met: false }),
    });
    expect(status.clusters.primary).toMatchObject({ healthy: true, alarmState: 'OK' });
    expect(status.clusters.dr).toMatchObject({ healthy: true, alarmState: 'OK' });
    expect(status.backups).toEqual({
      latest: null,
      rpoSeconds: null,
      side: 'dr',
      completionTimestamp: null,
      verified: null,
      versioning: { primary: 'Enabled', dr: 'Enabled' },
    });
    expect(status.nodeGroups).toEqual([
      expect.objectContaining({
        id: 'primary-workers',
        instanceTypes: ['m6i.large'],
        instances: estate.nodes['primary-workers']!.sort().map((id) => ({
          id,
          type: 'm6i.large',
          state: 'running',
        })),
      }),
      expect.objectContaining({ id: 'dr-workers', instanceTypes: ['r6i.large'] }),
    ]);
    // The seeded estate runs no Function app (the drill attaches one): no AKS side here.
    expect(status.aks).toBeNull();
    expect(status.warnings).toEqual([]);
  });

  it('follows the record and the alarms as they change', async () => {
    const estate = await seedExampleEstate();
    await cloudWatchClient('us-east-1').send(
      new SetAlarmStateCommand({
        AlarmName: 'acme-primary-health',
        StateValue: 'ALARM',
        StateReason: 'test: primary down',
      }),
    );
    await upsertRecord(route53Client(), estate.config.dns.hostedZoneId, {
      name: 'main.example.com',
      type: 'CNAME',
      ttl: 30,
      value: 'dr.example.com',
    });
    const status = (await runCli(['status', '--config', estate.configFile, '--json'])).json();
    expect(status.dns.activeSide).toBe('dr');
    expect(status.clusters.primary).toMatchObject({ healthy: false, alarmState: 'ALARM' });

    const human = await runCli(['status', '--config', estate.configFile]);
    expect(human.stdout).toContain('main.example.com → dr.example.com (TTL 30 s), active side: dr');
    expect(human.stdout).toContain('UNHEALTHY (acme-primary-health: ALARM)');
    expect(human.stdout).toContain('primary-workers (ec2, primary): 3 × m6i.large');
  });

  it("reports the standby side's newest restorable backup and RPO once a re-sync ran", async () => {
    const estate = await seedExampleEstate();
    const resync = await runResync(estate.config, { dryRun: false, trigger: 'test' });
    const status = (await runCli(['status', '--config', estate.configFile, '--json'])).json();
    expect(status.backups).toMatchObject({ latest: resync.rpo?.overall.newestBackup, side: 'dr' });
    expect(status.backups.rpoSeconds).toBeGreaterThanOrEqual(resync.rpoSeconds!);
    expect(status.backups.rpoSeconds).toBeLessThan(25 * 60);
    const human = await runCli(['status', '--config', estate.configFile]);
    expect(human.stdout).toMatch(/Backups {3}dr: latest daily-\d+, RPO \d+ min/);
  });

  it('exits 2 on a bad config and reads nothing', async () => {
    const run = await runCli(['status', '--config', '/nonexistent.json', '--json']);
    expect(run.code).toBe(2);
    expect(run.json().errors[0].path).toBe('(file)');
  });

  it('answers the same through the Lambda handler', async () => {
    const estate = await seedExampleEstate();
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(estate.config);
    try {
      const viaHandler = await handler({ action: 'status' }, { awsRequestId: 'test' } as never);
      const viaCli = (await runCli(['status', '--config', estate.configFile, '--json'])).json();
      expect(viaHandler).toEqual(viaCli);
      await expect(
        handler({ action: 'failover' }, { awsRequestId: 'test' } as never),
      ).rejects.toThrow(/action/);
    } finally {
      delete process.env.DRPILOT_CONFIG_JSON;
    }
  });
});
