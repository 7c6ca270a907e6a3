import { cloudWatchClient } from '../../lambdas/adapters/aws/sdk-clients/cloudwatch';
import { ec2Client } from '../../lambdas/adapters/aws/sdk-clients/ec2';
import { instanceState } from '../../lambdas/adapters/aws/ec2-instances';
import { MEMBER_METRICS } from '../../lambdas/core/resize/member-alarms';
import type { DrpilotConfig, NodeGroupConfig } from '../../lambdas/core/config/schema';
import type { ResizeRequest } from '../../lambdas/core/resize/plan-resize';
import { isNodeReady } from '../../lambdas/adapters/kubernetes/kube-api';
import { runResize, type ResizeResult } from '../../lambdas/resize/run-resize';
import {
  GUARDED_APP,
  podKey,
  startEmbeddedCluster,
  type EmbeddedCluster,
} from '../embedded/kubernetes-cluster';
import { startRealEmbeddedCluster } from '../embedded/real-kubernetes-cluster';
import { LOAD_MINUTES, publishUtilisation } from '../embedded/seed-load';
import type { StepRecorder } from './step-recorder';

export interface ResizeDrillOptions {
  embedded: boolean;
  /** Embedded: drain through kube-apiserver + kwok (`npm run setup:k8s`) instead of the fake API. */
  realKubernetes: boolean;
  onProgress: (message: string) => void;
}

type MovedNode = ResizeResult['nodes'][number];

const AUTO: ResizeRequest = { kind: 'auto' };
/** moto's EC2 state changes are instant; the emulated kubelet is Ready after two reads, kwok's at once. */
const TIMEOUTS = { nodeMs: 30_000, pollMs: 25 };
/** Published load: this many points above scaleUpAt, as an alarm in ALARM would see it. */
const OVERLOAD_POINTS = 15;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function tally(items: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([item, count]) => `${count} × ${item}`).join(', ');
}

/**
 * Resize drill. Embedded: the first `ec2` group gets a Kubernetes API (nodes, workloads, a
 * PodDisruptionBudget) — the in-process fake, or with `realKubernetes` kube-apiserver + kwok —
 * CPU or memory load above scaleUpAt, a dry-run plan, then the real rollout through the group's
 * kubeconfig secret; every moved node, the group's types, the budget and the cooldown are then
 * checked against what EC2 and the API server recorded. Against a real estate nodes are never
 * touched: each group's plan is a dry run. Returns which Kubernetes API ran, if one did.
 */
export async function runResizeSteps(
  steps: StepRecorder,
  config: DrpilotConfig,
  options: ResizeDrillOptions,
): Promise<string | null> {
  if (!options.embedded) {
    for (const group of config.nodeGroups) {
      await steps.run(`resize ${group.id}: what its alarm would do now (dry run)`, async () => {
        const plan = await runResize(config, group.id, {
          request: AUTO,
          dryRun: true,
          trigger: 'drill',
        });
        return `${plan.outcome}: ${plan.reason}`;
      });
    }
    return null;
  }

  const group = config.nodeGroups.find(
    (g) => g.kind === 'ec2' && g.selector.tag && g.kubernetes?.kubeconfigSecret,
  );
  if (!group) {
    await steps.run('resize: an ec2 node group to drill', async () => {
      throw new Error(
        'no node group of kind "ec2" with a tag selector and kubernetes.kubeconfigSecret',
      );
    });
    return null;
  }
  let cluster: EmbeddedCluster | undefined;
  await steps.run(
    `resize: a Kubernetes API with a node per ${group.id} instance, kubeconfig in Secrets Manager`,
    async () => {
      cluster = options.realKubernetes
        ? await startRealEmbeddedCluster(config, group, options.onProgress)
        : await startEmbeddedCluster(config, group);
      const workloads = cluster.pods.map(
        (p) =>
          `${p.owner?.kind === 'DaemonSet' ? 'DaemonSet' : 'Deployment'} ${p.namespace}/${p.labels?.app}`,
      );
      return `${cluster.apiDescription}: ${cluster.members.length} Ready nodes (${cluster.members.map((m) => m.id).join(', ')}); pods: ${tally(workloads)}; PodDisruptionBudget ${GUARDED_APP.namespace}/${GUARDED_APP.name} maxUnavailable ${GUARDED_APP.maxUnavailable}; kubeconfig for ${cluster.url} in ${cluster.secretName} (${cluster.region})`;
    },
  );
  if (!cluster) return null;
  try {
    await rolloutSteps(steps, config, group, cluster, options);
  } finally {
    await cluster.close();
  }
  return cluster.apiDescription;
}

async function rolloutSteps(
  steps: StepRecorder,
  config: DrpilotConfig,
  group: NodeGroupConfig,
  cluster: EmbeddedCluster,
  options: ResizeDrillOptions,
): Promise<void> {
  const ids = cluster.members.map((m) => m.id);
  const source = MEMBER_METRICS[group.metric];
  await steps.run(
    `resize: publish ${source.metricName} above scaleUpAt for ${group.id}`,
    async () => {
      const percent = Math.min(100, group.scaleUpAt + OVERLOAD_POINTS);
      await publishUtilisation(cloudWatchClient(cluster.region), group.metric, ids, percent);
      return `${source.namespace} ${source.metricName} at ${percent}% on each of ${ids.length} instances for the last ${LOAD_MINUTES} minutes (scaleUpAt ${group.scaleUpAt}%)`;
    },
  );

  await steps.run('resize: plan (dry run, nothing touched)', async () => {
    const plan = await runResize(config, group.id, {
      request: AUTO,
      dryRun: true,
      trigger: 'drill (plan)',
    });
    if (plan.outcome !== 'dry-run') throw new Error(`${plan.outcome}: ${plan.reason}`);
    if (cluster.events.length > 0 || (await cluster.evictions()).length > 0)
      throw new Error('the dry run stopped an instance or evicted a pod');
    return `p95 ${plan.p95Percent?.toFixed(1)}%: move ${plan.nodes.length} of ${ids.length} nodes ${plan.from?.join('/')} → ${plan.to}; ${plan.reason}`;
  });

  let moved: MovedNode[] = [];
  await steps.run(`resize: roll out ${group.id}, one drained node at a time`, async () => {
    const startedAt = Date.now();
    const result = await runResize(config, group.id, {
      request: AUTO,
      dryRun: false,
      trigger: 'drill',
      timeouts: TIMEOUTS,
      onProgress: options.onProgress,
    });
    const nodes = result.nodes.map((n) => `${n.id} ${n.outcome} (${n.detail})`).join('; ');
    if (result.outcome !== 'resized')
      throw new Error(`${result.outcome}: ${result.reason}${nodes ? `; ${nodes}` : ''}`);
    moved = result.nodes;
    return `${moved.length} of ${ids.length} nodes moved ${result.from?.join('/')} → ${result.to} in ${seconds(Date.now() - startedAt)}: ${nodes}`;
  });

  for (const node of moved) {
    await steps.run(
      `resize: node ${node.id} drained, stopped, retyped, started, Ready, uncordoned`,
      () => verifyNode(cluster, node),
    );
  }

  await steps.run(`resize: ${group.id} types after the rollout`, async () => {
    const expected = new Map(cluster.members.map((m) => [m.id, m.type]));
    for (const node of moved) expected.set(node.id, node.to);
    const ec2 = ec2Client(cluster.region);
    const after = await Promise.all(
      ids.map(async (id) => ({ id, ...(await instanceState(ec2, id)) })),
    );
    const wrong = after.filter((m) => m.state !== 'running' || m.type !== expected.get(m.id));
    if (wrong.length > 0) {
      throw new Error(
        wrong
          .map(
            (m) => `${m.id} is ${m.state} on ${m.type}, expected running on ${expected.get(m.id)}`,
          )
          .join('; '),
      );
    }
    return `${tally(after.map((m) => m.type))}, all running (${moved.length} moved, ${ids.length - moved.length} unchanged)`;
  });

  const { name, namespace, maxUnavailable } = GUARDED_APP;
  await steps.run(`resize: PodDisruptionBudget ${namespace}/${name} respected`, async () => {
    const answers = (await cluster.evictions()).filter((e) =>
      e.pod.startsWith(`${namespace}/${name}-`),
    );
    const accepted = answers.filter((e) => e.status < 300);
    const blocked = answers.filter((e) => e.status === 429).length;
    const worst = await cluster.maxDisrupted();
    const deletes = (await cluster.requests()).filter((r) => r.method === 'DELETE').length;
    if (accepted.length === 0)
      throw new Error(`no pod of ${namespace}/${name} was evicted: the drain never met the budget`);
    if (worst > maxUnavailable)
      throw new Error(`${worst} pods of ${namespace}/${name} were down at once`);
    if (deletes > 0)
      throw new Error(`${deletes} DELETE request(s): pods must leave through the Eviction API`);
    const waited =
      blocked > 0
        ? `${blocked} eviction(s) answered 429 while the budget allowed none, and the drain waited`
        : 'the budget never had to refuse an eviction';
    return `${accepted.length} pod(s) evicted, at most ${worst} disrupted at once (maxUnavailable ${maxUnavailable}); ${waited}`;
  });

  await steps.run('resize: a second resize right after is refused (cooldown)', async () => {
    const eventsBefore = cluster.events.length;
    const again = await runResize(config, group.id, {
      request: AUTO,
      dryRun: false,
      trigger: 'drill (second run)',
      timeouts: TIMEOUTS,
    });
    if (again.outcome !== 'refused' || !/cooling down/.test(again.reason))
      throw new Error(`expected a refusal by the cooldown, got ${again.outcome}: ${again.reason}`);
    if (cluster.events.length !== eventsBefore) throw new Error('the refused resize touched EC2');
    return `load still above scaleUpAt, refused: ${again.reason}`;
  });
}

/**
 * Checks one moved node against the records of EC2 and the API server, not the rollout's own
 * report: cordoned and emptied of all but DaemonSet pods before EC2 stopped it, stopped →
 * retyped → started, then Ready and schedulable.
 */
async function verifyNode(cluster: EmbeddedCluster, node: MovedNode): Promise<string> {
  const nodeName = cluster.nodeName(node.id);
  const pods = cluster.pods.filter((p) => p.node === nodeName);
  const daemonPods = pods.filter((p) => p.owner?.kind === 'DaemonSet').map(podKey);
  const evictable = pods.filter((p) => p.owner?.kind !== 'DaemonSet').map(podKey);
  const evictions = (await cluster.evictions()).filter((e) => evictable.includes(e.pod));
  const notEvicted = evictable.filter(
    (pod) => !evictions.some((e) => e.pod === pod && e.status < 300),
  );
  if (notEvicted.length > 0) throw new Error(`never evicted: ${notEvicted.join(', ')}`);

  const events = cluster.events.filter((e) => e.instanceId === node.id);
  const sequence = events.map((e) => (e.kind === 'retyped' ? `retyped to ${e.type}` : e.kind));
  const expected = ['stopped', `retyped to ${node.to}`, 'started'];
  if (sequence.join() !== expected.join())
    throw new Error(
      `EC2 saw ${sequence.join(' → ') || 'nothing'}, expected ${expected.join(' → ')}`,
    );
  const [stop] = events;
  if (stop?.kind !== 'stopped' || !stop.cordoned)
    throw new Error(`${nodeName} was not cordoned when EC2 stopped it`);
  const strays = stop.podsLeft.filter((pod) => !daemonPods.includes(pod));
  if (strays.length > 0)
    throw new Error(`${strays.join(', ')} still on ${nodeName} when EC2 stopped it`);

  const now = await cluster.node(nodeName);
  if (!isNodeReady(now) || now.spec.unschedulable)
    throw new Error(
      `${nodeName} is ${isNodeReady(now) ? 'Ready' : 'not Ready'} and ${now.spec.unschedulable ? 'cordoned' : 'schedulable'}`,
    );
  const patches = (await cluster.requests()).filter(
    (r) => r.method === 'PATCH' && r.path === `/api/v1/nodes/${encodeURIComponent(nodeName)}`,
  );
  const cordonedAt = patches[0]?.at ?? stop.at;
  const uncordonedAt = patches[patches.length - 1]?.at ?? stop.at;
  const blocked = evictions.filter((e) => e.status === 429).length;
  return `${nodeName}: cordoned; evicted ${evictable.join(', ')} (${blocked} × 429 from the budget meanwhile); stopped with ${stop.podsLeft.length > 0 ? `only ${stop.podsLeft.join(', ')}` : 'no pods'} left; ${node.from} → ${node.to}; started, Ready, uncordoned — ${seconds(uncordonedAt - cordonedAt)} from cordon to uncordon`;
}
