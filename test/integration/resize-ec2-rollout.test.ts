import { RunInstancesCommand, type _InstanceType, type EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { ec2Client } from '../../lambdas/adapters/aws/clients';
import { instanceState, instanceTags, tagInstance } from '../../lambdas/adapters/aws/ec2-instances';
import { CORDONED_BY_ROLLOUT_TAG } from '../../lambdas/core/shared-names';
import type { NodeGroupConfig } from '../../lambdas/core/config/schema';
import { isNodeReady } from '../../lambdas/adapters/kubernetes/kube-api';
import {
  stepEc2Node,
  type NodeDrainer,
  type NodeReport,
  type RolloutNode,
} from '../../lambdas/resize/ec2-rollout';
import type { NodeStep } from '../../lambdas/core/resize/node-steps';
import { kubernetesDrainerFor } from '../../lambdas/resize/group-drainer';
import { useK8sWorld } from '../support/k8s-world';
import { kwokEstate } from '../support/kwok-estate';
import { useMoto } from '../support/moto';

useMoto();
const k8s = useK8sWorld();

const REGION = 'eu-west-1';

async function runInstances(ec2: EC2Client, count: number, tags: Record<string, string> = {}) {
  const { Instances = [] } = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-04681a1dbd79675a5',
      InstanceType: 'm6i.large' as _InstanceType,
      MinCount: count,
      MaxCount: count,
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: Object.entries({ 'drpilot:group': 'workers', ...tags }).map(([Key, Value]) => ({
            Key,
            Value,
          })),
        },
      ],
    }),
  );
  return Instances.map((i) => ({
    id: i.InstanceId!,
    availabilityZone: i.Placement?.AvailabilityZone ?? null,
  })).sort((a, b) => a.id.localeCompare(b.id));
}

async function runNodes(
  ec2: EC2Client,
  count: number,
  tags: Record<string, string> = {},
): Promise<string[]> {
  return (await runInstances(ec2, count, tags)).map((i) => i.id);
}

/**
 * A drainer that records what it was asked, and can refuse like a PodDisruptionBudget; the nodes
 * of `cordonedBefore` are unschedulable before the rollout starts.
 */
function recordingDrainer(
  blocked: Set<string> = new Set(),
  cordonedBefore: readonly string[] = [],
): NodeDrainer & { calls: string[]; cordoned: Set<string> } {
  const calls: string[] = [];
  const cordoned = new Set<string>(cordonedBefore);
  return {
    calls,
    cordoned,
    async isCordoned(id) {
      return cordoned.has(id);
    },
    async cordon(id) {
      calls.push(`cordon ${id}`);
      const alreadyCordoned = cordoned.has(id);
      cordoned.add(id);
      return { alreadyCordoned };
    },
    async evict(id) {
      calls.push(`evict ${id}`);
      const pods = blocked.has(id) ? ['app/web-0'] : [];
      return { remaining: pods, blocked: pods };
    },
    async isReady(id) {
      calls.push(`ready ${id}`);
      return true;
    },
    async uncordon(id) {
      calls.push(`uncordon ${id}`);
      cordoned.delete(id);
    },
  };
}

interface RolloutOptions {
  nodeMs: number;
  drainMs: number;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  page: (message: string) => Promise<void>;
}

/**
 * The nodes one after the other, each through its sub-steps with the waits slept in between, as
 * advanceRollout and the state machine run them; the first node not resized stops the rollout.
 */
async function rollOut(
  ec2: EC2Client,
  drainer: NodeDrainer,
  nodes: readonly RolloutNode[],
  options: RolloutOptions,
): Promise<NodeReport[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const limits = {
    drainSeconds: options.drainMs / 1000,
    nodeSeconds: options.nodeMs / 1000,
    pollSeconds: options.pollMs / 1000,
  };
  const reports: NodeReport[] = [];
  for (const node of nodes) {
    if (reports.some((r) => r.outcome !== 'resized')) {
      reports.push({ ...node, outcome: 'not-started', detail: 'the rollout stopped earlier' });
      continue;
    }
    let step: NodeStep | null = null;
    for (;;) {
      const result = await stepEc2Node(ec2, drainer, node, step, {
        limits,
        now: options.now ?? (() => new Date()),
        page: options.page,
      });
      if (result.kind === 'end') {
        reports.push(result.report);
        break;
      }
      step = result.step;
      if (result.waitSeconds > 0) await sleep(options.pollMs);
    }
  }
  return reports;
}

/** moto starts any type; EC2 answers InsufficientInstanceCapacity when a type has none left. */
function noCapacityFor(ec2: EC2Client, types: string[]): void {
  const state = new Map<string, string>();
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        InstanceId?: string;
        InstanceType?: { Value?: string };
        InstanceIds?: string[];
      };
      if (
        context.commandName === 'ModifyInstanceAttributeCommand' &&
        input.InstanceId &&
        input.InstanceType?.Value
      ) {
        state.set(input.InstanceId, input.InstanceType.Value);
      }
      if (
        context.commandName === 'StartInstancesCommand' &&
        input.InstanceIds?.some((id) => types.includes(state.get(id) ?? ''))
      ) {
        throw Object.assign(
          new Error(
            `We currently do not have sufficient ${types.join('/')} capacity in the Availability Zone you requested`,
          ),
          {
            name: 'InsufficientInstanceCapacity',
          },
        );
      }
      return next(args);
    },
    { step: 'initialize', name: 'noCapacity' },
  );
}

/** Virtual time: each sleep moves the clock on. */
const options = (pages: string[] = []): RolloutOptions => {
  let now = Date.parse('2026-12-02T10:00:00Z');
  return {
    nodeMs: 5_000,
    drainMs: 5_000,
    pollMs: 1_000,
    sleep: async (ms) => void (now += ms),
    now: () => new Date(now),
    page: async (message: string) => void pages.push(message),
  };
};

const nodesOf = (ids: string[], to = 'm6i.xlarge'): RolloutNode[] =>
  ids.map((id) => ({ id, from: 'm6i.large', to, tags: {} }));

describe('ec2 rollout against moto', () => {
  it('resizes several nodes one at a time: drain, stop, type, start, Ready, uncordon', async () => {
    const ec2 = ec2Client(REGION);
    const ids = await runNodes(ec2, 3);
    const drainer = recordingDrainer();
    const reports = await rollOut(ec2, drainer, nodesOf(ids), options());
    expect(reports.map((r) => r.outcome)).toEqual(['resized', 'resized', 'resized']);
    for (const id of ids)
      expect(await instanceState(ec2, id)).toEqual({ state: 'running', type: 'm6i.xlarge' });
    expect(drainer.calls).toEqual(
      ids.flatMap((id) => [`cordon ${id}`, `evict ${id}`, `ready ${id}`, `uncordon ${id}`]),
    );
  });

  it('capacity error mid-rollout (stateful fake: no m6i.xlarge capacity): the node ends running on its old type and the rollout stops', async () => {
    const ec2 = ec2Client(REGION);
    const ids = await runNodes(ec2, 3);
    noCapacityFor(ec2, ['m6i.xlarge']);
    const pages: string[] = [];
    const reports = await rollOut(ec2, recordingDrainer(), nodesOf(ids), options(pages));
    expect(reports.map((r) => r.outcome)).toEqual(['restored', 'not-started', 'not-started']);
    expect(reports[0]!.detail).toContain('InsufficientInstanceCapacity');
    for (const id of ids)
      expect(await instanceState(ec2, id)).toEqual({ state: 'running', type: 'm6i.large' });
    expect(pages).toEqual([]);
  });

  it('when even the old type cannot start, the node is reported stranded and a person is paged', async () => {
    const ec2 = ec2Client(REGION);
    const [id] = await runNodes(ec2, 1);
    noCapacityFor(ec2, ['m6i.xlarge', 'm6i.large']);
    const pages: string[] = [];
    const [report] = await rollOut(ec2, recordingDrainer(), nodesOf([id!]), options(pages));
    expect(report!.outcome).toBe('stranded');
    expect(pages).toHaveLength(1);
    expect(pages[0]).toContain(`node ${id} is stranded`);
  });

  it('an eviction blocked by a PodDisruptionBudget: the node is not stopped, the rollout stops', async () => {
    const ec2 = ec2Client(REGION);
    const ids = await runNodes(ec2, 2);
    const reports = await rollOut(
      ec2,
      recordingDrainer(new Set([ids[0]!])),
      nodesOf(ids),
      options(),
    );
    expect(reports.map((r) => r.outcome)).toEqual(['blocked', 'not-started']);
    expect(reports[0]!.detail).toContain('PodDisruptionBudget');
    expect(reports[0]!.detail).toContain('within drainTimeoutSeconds (5 s); uncordoned');
    for (const id of ids)
      expect(await instanceState(ec2, id)).toEqual({ state: 'running', type: 'm6i.large' });
  });

  it('the cordon mark: put on a schedulable node before its cordon and taken off with it; never on a node someone else cordoned, whose blocked drain leaves it cordoned', async () => {
    const ec2 = ec2Client(REGION);
    const [ours, theirs] = await runNodes(ec2, 2);
    const marks: Record<string, string | undefined>[] = [];
    // Every CreateTags as it is sent: the mark exists before the cordon it stands for.
    const drainer = recordingDrainer(new Set([ours!, theirs!]), [theirs!]);
    const cordon = drainer.cordon.bind(drainer);
    drainer.cordon = async (id) => {
      marks.push({ id, mark: (await instanceTags(ec2, id))[CORDONED_BY_ROLLOUT_TAG] });
      return cordon(id);
    };

    const [mine] = await rollOut(ec2, drainer, nodesOf([ours!]), options());
    expect(mine!.outcome).toBe('blocked');
    expect(mine!.detail).toContain('; uncordoned, still m6i.large');
    expect(marks).toEqual([{ id: ours, mark: '2026-12-02T10:00:00.000Z' }]);
    expect(drainer.cordoned.has(ours!)).toBe(false);
    expect((await instanceTags(ec2, ours!))[CORDONED_BY_ROLLOUT_TAG]).toBeUndefined();

    const [other] = await rollOut(ec2, drainer, nodesOf([theirs!]), options());
    expect(other!.outcome).toBe('blocked');
    expect(other!.detail).toContain('left cordoned (it was before)');
    expect(drainer.cordoned.has(theirs!)).toBe(true);
    expect(await instanceTags(ec2, theirs!)).not.toHaveProperty(CORDONED_BY_ROLLOUT_TAG);
  });

  it('a node cordoned and marked by a rollout that died is this rollout’s to uncordon, even when its drain is blocked', async () => {
    const ec2 = ec2Client(REGION);
    const [left] = await runNodes(ec2, 1);
    await tagInstance(ec2, left!, CORDONED_BY_ROLLOUT_TAG, '2026-12-02T09:00:00.000Z');
    const drainer = recordingDrainer(new Set([left!]), [left!]);

    const [report] = await rollOut(ec2, drainer, nodesOf([left!]), options());
    expect(report!.outcome).toBe('blocked');
    expect(report!.detail).toContain('; uncordoned, still m6i.large');
    expect(drainer.cordoned.has(left!)).toBe(false);
    expect(await instanceTags(ec2, left!)).not.toHaveProperty(CORDONED_BY_ROLLOUT_TAG);
  });

  it('refuses instances of an Auto Scaling group or Karpenter without touching them', async () => {
    const ec2 = ec2Client(REGION);
    const [asgNode] = await runNodes(ec2, 1, { 'aws:autoscaling:groupName': 'workers-asg' });
    const [karpenterNode] = await runNodes(ec2, 1, { 'karpenter.sh/nodepool': 'default' });
    const drainer = recordingDrainer();
    const asg = await rollOut(
      ec2,
      drainer,
      [
        {
          id: asgNode!,
          from: 'm6i.large',
          to: 'm6i.xlarge',
          tags: { 'aws:autoscaling:groupName': 'workers-asg' },
        },
      ],
      options(),
    );
    const karp = await rollOut(
      ec2,
      drainer,
      [
        {
          id: karpenterNode!,
          from: 'm6i.large',
          to: 'm6i.xlarge',
          tags: { 'karpenter.sh/nodepool': 'default' },
        },
      ],
      options(),
    );
    expect(asg[0]).toMatchObject({
      outcome: 'refused',
      detail: expect.stringContaining('Auto Scaling group workers-asg'),
    });
    expect(karp[0]).toMatchObject({
      outcome: 'refused',
      detail: expect.stringContaining('Karpenter'),
    });
    expect(drainer.calls).toEqual([]);
    expect(await instanceState(ec2, asgNode!)).toEqual({ state: 'running', type: 'm6i.large' });
  });
});

describe('ec2 rollout against moto and kube-apiserver + kwok (nodes by providerID, kubeconfig in Secrets Manager)', () => {
  const SECRET = 'workers/kubeconfig';
  /** What the rollout reads of the group: its id and where the kubeconfig is. */
  const group = { id: 'workers', kubernetes: { kubeconfigSecret: SECRET } } as NodeGroupConfig;
  const rolloutNodes = (ids: string[], to = 'm6i.xlarge') =>
    nodesOf(ids, to).map((node) => ({
      ...node,
      outcome: 'not-started' as const,
      detail: '',
      privateDnsName: null,
    }));
  /** The production drainer: kubeconfig from Secrets Manager, real sleeps, short polls. */
  const drainer = (ids: string[]) => kubernetesDrainerFor(group, REGION, rolloutNodes(ids));
  const realOptions = (pages: string[] = [], drainMs = 60_000): RolloutOptions => ({
    nodeMs: 60_000,
    drainMs,
    pollMs: 100,
    page: async (message: string) => void pages.push(message),
  });

  it('resizes the nodes one at a time: drained under the budget (429 met), stopped with only DaemonSet pods left, retyped, started, Ready again, uncordoned', async () => {
    const ec2 = ec2Client(REGION);
    const instances = await runInstances(ec2, 3);
    const ids = instances.map((i) => i.id);
    const cluster = await kwokEstate(k8s, { region: REGION, instances, secretName: SECRET });

    const reports = await rollOut(ec2, await drainer(ids), nodesOf(ids), realOptions());

    expect(reports.map((r) => r.outcome)).toEqual(['resized', 'resized', 'resized']);
    for (const id of ids) {
      expect(await instanceState(ec2, id)).toEqual({ state: 'running', type: 'm6i.xlarge' });
      const node = await cluster.node(id);
      expect(isNodeReady(node)).toBe(true);
      expect(node.spec.unschedulable).toBeUndefined();
    }
    expect(
      cluster.events.map((e) => `${e.instanceId} ${e.kind === 'retyped' ? e.type : e.kind}`),
    ).toEqual(ids.flatMap((id) => [`${id} stopped`, `${id} m6i.xlarge`, `${id} started`]));
    for (const stop of cluster.events.filter((e) => e.kind === 'stopped')) {
      expect(stop.cordoned).toBe(true);
      expect(stop.podsLeft.map((pod) => pod.split('/')[1]!.split('-')[0])).toEqual(['agent']);
    }
    const answers = await cluster.evictions();
    expect(answers.filter((a) => a.status === 201).length).toBeGreaterThanOrEqual(6);
    // Two web pods per node, one may be down: the second eviction waits for a replacement.
    expect(answers.some((a) => a.status === 429)).toBe(true);
    expect(answers.every((a) => a.pod.startsWith(`${cluster.namespace}/web-`))).toBe(true);
  });

  it('capacity error mid-rollout: the node comes back on its old type, Ready and uncordoned, and the rollout stops', async () => {
    const ec2 = ec2Client(REGION);
    const instances = await runInstances(ec2, 2);
    const ids = instances.map((i) => i.id);
    const cluster = await kwokEstate(k8s, { region: REGION, instances, secretName: SECRET });
    noCapacityFor(ec2, ['m6i.xlarge']);
    const pages: string[] = [];

    const reports = await rollOut(ec2, await drainer(ids), nodesOf(ids), realOptions(pages));

    expect(reports.map((r) => r.outcome)).toEqual(['restored', 'not-started']);
    expect(reports[0]!.detail).toContain('InsufficientInstanceCapacity');
    for (const id of ids) {
      expect(await instanceState(ec2, id)).toEqual({ state: 'running', type: 'm6i.large' });
      const node = await cluster.node(id);
      expect(isNodeReady(node)).toBe(true);
      expect(node.spec.unschedulable).toBeUndefined();
    }
    const [first] = ids;
    expect(
      cluster.events.map((e) => `${e.instanceId} ${e.kind === 'retyped' ? e.type : e.kind}`),
    ).toEqual([
      `${first} stopped`,
      `${first} m6i.xlarge`,
      `${first} m6i.large`,
      `${first} started`,
    ]);
    expect(pages).toEqual([]);
  });

  it('a budget that allows no disruption: the node is never stopped, it is uncordoned, and the rollout stops', async () => {
    const ec2 = ec2Client(REGION);
    const instances = await runInstances(ec2, 2);
    const ids = instances.map((i) => i.id);
    const cluster = await kwokEstate(k8s, {
      region: REGION,
      instances,
      secretName: SECRET,
      budget: { minAvailable: 'all' },
    });

    const reports = await rollOut(ec2, await drainer(ids), nodesOf(ids), realOptions([], 2_000));

    expect(reports.map((r) => r.outcome)).toEqual(['blocked', 'not-started']);
    expect(reports[0]!.detail).toMatch(
      /^not stopped: drain blocked by a PodDisruptionBudget: .*429 TooManyRequests.*drainTimeoutSeconds \(2 s\); uncordoned/,
    );
    expect(cluster.events).toEqual([]);
    for (const id of ids) {
      expect(await instanceState(ec2, id)).toEqual({ state: 'running', type: 'm6i.large' });
      expect((await cluster.node(id)).spec.unschedulable).toBeUndefined();
    }
    const answers = await cluster.evictions();
    expect(answers.length).toBeGreaterThan(1);
    expect(answers.every((a) => a.status === 429)).toBe(true);
  });
});
