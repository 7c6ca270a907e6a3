import { describe, expect, it } from 'vitest';
import { ec2Client } from '../../lambdas/adapters/aws/clients';
import { instanceState } from '../../lambdas/adapters/aws/ec2-instances';
import { isNodeReady } from '../../lambdas/adapters/kubernetes/kube-api';
import { runResize } from '../../lambdas/resize/run-resize';
import { useK8sWorld } from '../support/k8s-world';
import { useMoto } from '../support/moto';
import { fast, GROUP, publishCpu, REGION, useResizeEstate } from '../support/resize-estate';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

const fakeEstate = useResizeEstate();
const estates = [fakeEstate, useResizeEstate(useK8sWorld())];

describe.each(estates)('resize an ec2 group against moto and the $name', (estate) => {
  it('an alarm-level load grows the group by a fraction: one of three nodes, drained through the Eviction API', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 90);
    const result = await runResize(config, GROUP, {
      request: { kind: 'auto' },
      dryRun: false,
      trigger: 'test',
      ...estate.timing,
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
    const evicted = (await estate.evictions()).filter((e) => e.status < 300).map((e) => e.pod);
    expect(evicted.some((pod) => pod.includes('/web-'))).toBe(true);
    expect(evicted.some((pod) => pod.includes('/agent-'))).toBe(false);
    const node = await estate.node(moved!.id);
    expect(node.spec.unschedulable).toBeFalsy();
    expect(isNodeReady(node)).toBe(true);

    const again = await runResize(config, GROUP, {
      request: { kind: 'auto' },
      dryRun: false,
      trigger: 'test',
      ...estate.timing,
    });
    expect(again.outcome).toBe('refused');
    expect(again.reason).toMatch(/cooling down/);
  });

  it('a flat load between the thresholds is a noop; --dry-run plans without touching anything', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 50);
    expect(
      (
        await runResize(config, GROUP, {
          request: { kind: 'auto' },
          dryRun: false,
          trigger: 'test',
          ...estate.timing,
        })
      ).outcome,
    ).toBe('noop');
    const dry = await runResize(config, GROUP, {
      request: { kind: 'step', direction: 'up' },
      dryRun: true,
      trigger: 'test',
      ...estate.timing,
    });
    expect(dry.outcome).toBe('dry-run');
    expect(dry.nodes.length).toBeGreaterThan(0);
    for (const id of ids)
      expect((await instanceState(ec2Client(REGION), id)).type).toBe('m6i.large');
    expect(await estate.evictions()).toEqual([]);
  });

  it('20 concurrent identical requests make one rollout', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 90);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        runResize(config, GROUP, {
          request: { kind: 'auto' },
          dryRun: false,
          trigger: 'test',
          ...estate.timing,
        }),
      ),
    );
    expect(results.filter((r) => r.outcome === 'resized')).toHaveLength(1);
    const others = results.filter((r) => r.outcome !== 'resized');
    expect(
      others.every((r) => r.outcome === 'refused'),
      JSON.stringify(others.filter((r) => r.outcome !== 'refused')),
    ).toBe(true);
    const types = await Promise.all(
      ids.map(async (id) => (await instanceState(ec2Client(REGION), id)).type),
    );
    expect(types.filter((t) => t === 'm6i.xlarge')).toHaveLength(1);
  });
});

describe('resize without a rollout: a derived ladder, and the CLI refusing bad input', () => {
  it("a one-type ladder is that type's family from DescribeInstanceTypes: a step up plans m6i.xlarge", async () => {
    const { config, ids } = await fakeEstate.estateWithCluster();
    await publishCpu(ids, 90);
    const derived = {
      ...config,
      nodeGroups: config.nodeGroups.map((g) =>
        g.id === GROUP ? { ...g, ladder: ['m6i.large'] } : g,
      ),
    };
    const progress: string[] = [];
    const dry = await runResize(derived, GROUP, {
      request: { kind: 'step', direction: 'up' },
      dryRun: true,
      trigger: 'test',
      ...fast,
      onProgress: (message) => progress.push(message),
    });
    expect(dry).toMatchObject({ outcome: 'dry-run', from: ['m6i.large'], to: 'm6i.xlarge' });
    expect(
      progress.some((m) =>
        m.startsWith(`${GROUP}: ladder from the m6i.large family: m6i.large, m6i.xlarge`),
      ),
    ).toBe(true);
  });

  it('drpilot resize: bad input, --to off the ladder included, is a clear usage error before any AWS call', async () => {
    const { configFile } = await seedExampleEstate();
    const unknown = await runCli(['resize', 'nope', '--config', configFile, '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.json().error.message).toBe(
      'invalid manual payload: groupId: unknown node group "nope" (configured: primary-workers, dr-workers)',
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
    expect(offLadder.code).toBe(2);
    expect(offLadder.json().error.message).toMatch(/to: c5\.large is not on the ladder of/);
  });
});

describe('the local runner waits between sub-steps like the state machine (virtual clock)', () => {
  it('a drain a PodDisruptionBudget keeps blocking: eviction rounds 10 s apart until drainTimeoutSeconds, then the node is uncordoned, never stopped, and the rollout ends blocked', async () => {
    const { config, ids } = await fakeEstate.estateWithCluster();
    const configured = {
      ...config,
      nodeGroups: config.nodeGroups.map((g) =>
        g.id === GROUP ? { ...g, drainTimeoutSeconds: 60 } : g,
      ),
    };
    let clock = Date.now();
    const slept: number[] = [];
    const calls: string[] = [];
    const result = await runResize(configured, GROUP, {
      request: { kind: 'to', type: 'm6i.xlarge' },
      dryRun: false,
      trigger: 'test',
      now: () => new Date(clock),
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
      // Every eviction refused (429), as under a budget that allows no disruption.
      drainerFor: async () => ({
        isCordoned: async () => false,
        cordon: async (id) => {
          calls.push(`cordon ${id}`);
          return { alreadyCordoned: false };
        },
        evict: async (id) => {
          calls.push(`evict ${id}`);
          return { remaining: ['app/web-0'], blocked: ['app/web-0'] };
        },
        isReady: async () => true,
        uncordon: async (id) => void calls.push(`uncordon ${id}`),
      }),
    });
    expect(result.outcome).toBe('failed');
    expect(result.nodes.map((n) => n.outcome)).toEqual(['blocked', 'not-started', 'not-started']);
    const [first] = result.nodes;
    expect(first!.detail).toMatch(
      /^not stopped: drain blocked by a PodDisruptionBudget: app\/web-0 .* within drainTimeoutSeconds \(60 s\); uncordoned, still m6i\.large$/,
    );
    // Rounds at 0, 10, …, 60 s: the runner slept the state machine's 10 s waits in between.
    expect(slept).toEqual(Array<number>(6).fill(10_000));
    expect(calls).toEqual([
      `cordon ${first!.id}`,
      ...Array<string>(7).fill(`evict ${first!.id}`),
      `uncordon ${first!.id}`,
    ]);
    for (const id of ids) {
      expect(await instanceState(ec2Client(REGION), id)).toEqual({
        state: 'running',
        type: 'm6i.large',
      });
    }
  });
});
