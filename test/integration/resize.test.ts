import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudWatchClient, ec2Client, secretsManagerClient } from '../../lambdas/aws/clients';
import { instanceState } from '../../lambdas/aws/ec2-instances';
import { instancesWithTag } from '../../lambdas/aws/tagged-instances';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { runResize } from '../../lambdas/resize/run-resize';
import { startFakeKubernetesApi, type FakeKubernetesApi } from '../support/fake-kubernetes-api';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

const REGION = 'eu-west-1';
const GROUP = 'primary-workers';
const fast = { timeouts: { nodeMs: 5_000, pollMs: 1 }, sleep: async () => undefined };

/** CPU the way EC2 publishes it: one average per instance per minute over the last 15 minutes. */
async function publishCpu(ids: string[], percent: number) {
  const now = Date.now();
  for (const id of ids) {
    await cloudWatchClient(REGION).send(
      new PutMetricDataCommand({
        Namespace: 'AWS/EC2',
        MetricData: Array.from({ length: 10 }, (_, i) => ({
          MetricName: 'CPUUtilization',
          Dimensions: [{ Name: 'InstanceId', Value: id }],
          Timestamp: new Date(Math.floor((now - (i + 1) * 60_000) / 60_000) * 60_000),
          Value: percent,
          Unit: 'Percent' as const,
        })),
      }),
    );
  }
}

let kube: FakeKubernetesApi | undefined;
afterEach(async () => {
  await kube?.close();
  kube = undefined;
});

/** The seeded primary group, its nodes registered with a fake Kubernetes API, kubeconfig in Secrets Manager. */
async function estateWithCluster(): Promise<{ config: DrpilotConfig; ids: string[] }> {
  const { config } = await seedExampleEstate();
  const members = await instancesWithTag(ec2Client(REGION), { key: 'drpilot:group', value: GROUP });
  kube = await startFakeKubernetesApi({
    nodes: members.map((m) => ({ name: m.privateDnsName ?? m.id, instanceId: m.id })),
    pods: members.flatMap((m, i) => [
      {
        name: `web-${i}`,
        node: m.privateDnsName ?? m.id,
        labels: { app: 'web' },
        owner: { kind: 'ReplicaSet', name: 'web' },
      },
      {
        name: `agent-${i}`,
        node: m.privateDnsName ?? m.id,
        owner: { kind: 'DaemonSet', name: 'agent' },
      },
    ]),
    eviction: { reschedule: true },
  });
  await secretsManagerClient(REGION).send(
    new CreateSecretCommand({
      Name: 'acme/drpilot/primary-kubeconfig',
      SecretString: kube.kubeconfigJson(),
    }),
  );
  return { config, ids: members.map((m) => m.id) };
}

describe('resize an ec2 group against moto and a fake Kubernetes API', () => {
  it('an alarm-level load grows the group by a fraction: one of three nodes, drained through the Eviction API', async () => {
    const { config, ids } = await estateWithCluster();
    await publishCpu(ids, 90);
    const result = await runResize(config, GROUP, {
      request: { kind: 'auto' },
      dryRun: false,
      trigger: 'test',
      ...fast,
    });
    expect(result).toMatchObject({
      outcome: 'resized',
      group: GROUP,
      from: ['m6i.large'],
      to: 'm6i.xlarge',
    });
    expect(result.p95Percent).toBeCloseTo(90);
    expect(result.nodes).toHaveLength(1);
    const [moved] = result.nodes;
    expect(moved).toMatchObject({ from: 'm6i.large', to: 'm6i.xlarge', outcome: 'resized' });
    expect(await instanceState(ec2Client(REGION), moved!.id)).toEqual({
      state: 'running',
      type: 'm6i.xlarge',
    });
    for (const id of ids.filter((i) => i !== moved!.id)) {
      expect((await instanceState(ec2Client(REGION), id)).type).toBe('m6i.large');
    }
    const evicted = kube!.state.evictions.filter((e) => e.status < 300).map((e) => e.pod);
    expect(evicted.some((pod) => pod.includes('web-'))).toBe(true);
    expect(evicted.some((pod) => pod.includes('agent-'))).toBe(false);
    const nodeName = (
      await instancesWithTag(ec2Client(REGION), { key: 'drpilot:group', value: GROUP })
    ).find((m) => m.id === moved!.id)!.privateDnsName!;
    expect(kube!.node(nodeName).spec?.unschedulable).toBeFalsy();

    const again = await runResize(config, GROUP, {
      request: { kind: 'auto' },
      dryRun: false,
      trigger: 'test',
      ...fast,
    });
    expect(again.outcome).toBe('refused');
    expect(again.reason).toMatch(/cooling down/);
  });

  it('a flat load between the thresholds is a noop; --dry-run plans without touching anything', async () => {
    const { config, ids } = await estateWithCluster();
    await publishCpu(ids, 50);
    expect(
      (
        await runResize(config, GROUP, {
          request: { kind: 'auto' },
          dryRun: false,
          trigger: 'test',
          ...fast,
        })
      ).outcome,
    ).toBe('noop');
    const dry = await runResize(config, GROUP, {
      request: { kind: 'step', direction: 'up' },
      dryRun: true,
      trigger: 'test',
      ...fast,
    });
    expect(dry.outcome).toBe('dry-run');
    expect(dry.nodes.length).toBeGreaterThan(0);
    for (const id of ids)
      expect((await instanceState(ec2Client(REGION), id)).type).toBe('m6i.large');
    expect(kube!.state.evictions).toEqual([]);
  });

  it('20 concurrent identical requests make one rollout', async () => {
    const { config, ids } = await estateWithCluster();
    await publishCpu(ids, 90);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        runResize(config, GROUP, {
          request: { kind: 'auto' },
          dryRun: false,
          trigger: 'test',
          ...fast,
        }),
      ),
    );
    expect(results.filter((r) => r.outcome === 'resized')).toHaveLength(1);
    expect(
      results.filter((r) => r.outcome !== 'resized').every((r) => r.outcome === 'refused'),
    ).toBe(true);
    const types = await Promise.all(
      ids.map(async (id) => (await instanceState(ec2Client(REGION), id)).type),
    );
    expect(types.filter((t) => t === 'm6i.xlarge')).toHaveLength(1);
  });

  it('drpilot resize: bad input is a clear usage error before any EC2 call; --to off the ladder is refused', async () => {
    const { configFile } = await seedExampleEstate();
    const unknown = await runCli(['resize', 'nope', '--config', configFile, '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.json().error.message).toBe(
      'unknown node group "nope" (configured: primary-workers, dr-workers)',
    );
    const both = await runCli([
      'resize',
      GROUP,
      '--to',
      'm6i.xlarge',
      '--step',
      'up',
      '--config',
      configFile,
      '--json',
    ]);
    expect(both.code).toBe(2);
    const badStep = await runCli(['resize', GROUP, '--step', 'sideways', '--config', configFile]);
    expect(badStep.code).toBe(2);
    const offLadder = await runCli([
      'resize',
      GROUP,
      '--to',
      'c5.large',
      '--dry-run',
      '--config',
      configFile,
      '--json',
    ]);
    expect(offLadder.code).toBe(3);
    expect(offLadder.json().reason).toMatch(/ladder/);
  });
});
