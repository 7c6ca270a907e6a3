import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTagsCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import {
  cloudWatchClient,
  dynamoDbDocumentClient,
  ec2Client,
  route53Client,
} from '../../lambdas/adapters/aws/clients';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import { resizeScope } from '../../lambdas/core/shared-names';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { CORDONED_BY_ROLLOUT_TAG, STOPPED_BY_ROLLOUT_TAG } from '../../lambdas/core/shared-names';
import { reconcileMemberAlarms } from '../../lambdas/resize-alarms/reconcile-member-alarms';
import { runResync } from '../../lambdas/resync/run-resync';
import { handler } from '../../lambdas/status/handler';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';
import { useMoto } from '../support/moto';
import { upsertRecord } from '../../cli/embedded/seed-dns';
import { seedNodeGroup } from '../../cli/embedded/seed-nodes';
import { configFile } from '../support/temp-dir';

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

  it('names a member a dead rollout left stopped (its stop mark), not one someone else stopped', async () => {
    const estate = await seedExampleEstate();
    const [leftByRollout, stoppedByPerson] = estate.nodes['primary-workers']!.sort();
    const ec2 = ec2Client(estate.config.clusters.primary.region);
    await ec2.send(
      new CreateTagsCommand({
        Resources: [leftByRollout!],
        Tags: [{ Key: STOPPED_BY_ROLLOUT_TAG, Value: '2026-12-03T04:00:00.000Z' }],
      }),
    );
    await ec2.send(new StopInstancesCommand({ InstanceIds: [leftByRollout!, stoppedByPerson!] }));
    const run = await runCli(['status', '--config', estate.configFile, '--json']);
    expect(run.code).toBe(0);
    const status = run.json();
    const instances = status.nodeGroups[0].instances as { id: string; stoppedByRollout?: true }[];
    expect(instances.filter((i) => i.stoppedByRollout).map((i) => i.id)).toEqual([leftByRollout]);
    expect(status.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^node group primary-workers: ${leftByRollout} is stopped, left so by a rollout that died`,
        ),
      ),
    ]);
  });

  it('names a running member a dead rollout left cordoned (its cordon mark), but not while a rollout of the group holds its lease', async () => {
    const estate = await seedExampleEstate();
    const [leftCordoned] = estate.nodes['primary-workers']!.sort();
    await ec2Client(estate.config.clusters.primary.region).send(
      new CreateTagsCommand({
        Resources: [leftCordoned!],
        Tags: [{ Key: CORDONED_BY_ROLLOUT_TAG, Value: '2026-12-03T04:00:00.000Z' }],
      }),
    );
    const flagged = async () => {
      const status = (await runCli(['status', '--config', estate.configFile, '--json'])).json();
      const instances = status.nodeGroups[0].instances as {
        id: string;
        cordonedByRollout?: true;
      }[];
      return {
        ids: instances.filter((i) => i.cordonedByRollout).map((i) => i.id),
        warnings: status.warnings as string[],
      };
    };
    expect(await flagged()).toEqual({
      ids: [leftCordoned],
      warnings: [
        expect.stringMatching(
          new RegExp(
            `^node group primary-workers: ${leftCordoned} is running but was left cordoned by a rollout that died .*the group's next rollout uncordons it first`,
          ),
        ),
      ],
    });

    // A live rollout's node carries the same mark while it is drained: nothing to flag.
    const store = new StateStore(
      dynamoDbDocumentClient(estate.config.controlRegion),
      estate.config.stateTable,
    );
    const lease = await store.acquireLease(resizeScope('primary-workers'), 'cli#test', 600);
    expect(lease.acquired).toBe(true);
    expect(await flagged()).toEqual({ ids: [], warnings: [] });
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

  it("observes each node group's resize alarms as the reconciler made them, and warns (moto never evaluates alarms: the no-data state is set by hand)", async () => {
    const estate = await seedExampleEstate();
    // primary-workers (eu-west-1) on the agent's group metric; dr-workers (eu-central-1) stays
    // "auto" without the agent, so a pair per member, with 12 members.
    const config: DrpilotConfig = {
      ...estate.config,
      nodeGroups: estate.config.nodeGroups.map((g) =>
        g.id === 'primary-workers' ? { ...g, alarms: 'group' } : g,
      ),
    };
    const file = configFile(config, 'drpilot-status-');
    const drWorkers = config.nodeGroups.find((g) => g.id === 'dr-workers')!;
    const added = await seedNodeGroup(ec2Client('eu-central-1'), drWorkers, 9);
    const drMembers = estate.nodes['dr-workers']!.length + added.length;
    expect(drMembers).toBe(12);
    for (const region of ['eu-west-1', 'eu-central-1']) {
      await reconcileMemberAlarms(config, { region, dryRun: false });
    }
    for (const direction of ['up', 'down']) {
      await cloudWatchClient('eu-west-1').send(
        new SetAlarmStateCommand({
          AlarmName: `acme-drpilot-resize.primary-workers.${direction}.group`,
          StateValue: 'INSUFFICIENT_DATA',
          StateReason: 'test: the agent publishes nothing for DrpilotGroup=primary-workers',
        }),
      );
    }

    const status = (await runCli(['status', '--config', file, '--json'])).json();
    expect(status.nodeGroups).toEqual([
      expect.objectContaining({
        id: 'primary-workers',
        instanceTypes: ['m6i.large'],
        alarms: {
          configured: 'group',
          inEffect: 'group',
          alarmCount: 2,
          state: 'INSUFFICIENT_DATA',
        },
      }),
      expect.objectContaining({
        id: 'dr-workers',
        instanceTypes: ['r6i.large'],
        alarms: { configured: 'auto', inEffect: 'members', alarmCount: 2 * drMembers },
      }),
    ]);
    expect(status.warnings).toEqual([
      'node group primary-workers: no agent data for DrpilotGroup=primary-workers: the group will not resize by itself; run drpilot agent-config primary-workers on its members',
      'node group dr-workers has 12 resize alarm pairs, one per member ($2.40 a month): the CloudWatch agent fragment would replace them with one pair ($0.20); run drpilot agent-config dr-workers on its members',
    ]);

    const human = (await runCli(['status', '--config', file])).stdout;
    expect(human).toContain(
      'primary-workers (ec2, primary): 3 × m6i.large; alarms group → group (2, INSUFFICIENT_DATA)',
    );
    expect(human).toContain('dr-workers (ec2, dr): 12 × r6i.large; alarms auto → members (24)');
    expect(human).toContain('no agent data for DrpilotGroup=primary-workers');
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
