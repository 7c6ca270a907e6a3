/**
 * Two Kubernetes API servers for the same drain scenarios: the in-process fake
 * (cli/emulator/fake-kubernetes-api.ts) and the run's real world (kube-apiserver v1.37.2,
 * kube-controller-manager, kube-scheduler and kwok). A scenario describes nodes, workloads and
 * budgets once; each backend builds them its own way — the fake stores pods, the real server gets
 * Deployments, a StatefulSet, a DaemonSet and PodDisruptionBudgets that its controllers act on —
 * and a scenario's assertions must hold on both, so the fake cannot drift from Kubernetes.
 *
 * Pods are compared by workload: a fake pod is `web-1`, a real one `web-7c9d5f-x2x4q`; both
 * start with their workload's name (workload names have no dash).
 */
import { randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import { evictionsIn } from '../../cli/embedded/audit-log';
import {
  startFakeKubernetesApi,
  type FakeKubernetesApi,
  type FakePodInput,
} from '../../cli/emulator/fake-kubernetes-api';
import {
  budgetManifest,
  daemonSetManifest,
  placeReplicas,
  releaseHeldPods,
  waitForBudget,
  waitForHealthyPods,
} from '../../cli/embedded/kube-workloads';
import { kubeletStarted, kubeletStopped } from '../../cli/embedded/kwok-nodes';
import {
  createKubeApi,
  type KubeApiClient,
  type KubeNode,
  type KubePod,
} from '../../lambdas/adapters/kubernetes/kube-api';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import type { useK8sWorld } from './k8s-world';

export interface ClusterSpec {
  nodes: { short: string; instanceId?: string; unschedulable?: boolean }[];
  /** Deployments, with how many of their pods run on each node (by short name). */
  deployments?: { name: string; perNode: Record<string, number> }[];
  /** One-replica StatefulSets and the node their pod runs on. */
  statefulSets?: { name: string; node: string }[];
  /** DaemonSets: one pod on every node. */
  daemonSets?: string[];
  /** Mirror pods of static manifests (annotation `kubernetes.io/config.mirror`). */
  mirrorPods?: { name: string; node: string }[];
  budgets?: { name: string; app: string; minAvailable?: number; maxUnavailable?: number }[];
  /** `held`: evicted Deployment and StatefulSet pods stay terminating until `releaseTerminating`. */
  termination?: 'prompt' | 'held';
}

export interface ScenarioCluster {
  namespace: string;
  /** The full node name of a node's short name. */
  node(short: string): string;
  /** drpilot's client: the README's RBAC identity on the real server. */
  api: KubeApiClient;
  kubeconfigJson: string;
  readNode(short: string): Promise<KubeNode>;
  /** `namespace/name` of the pods on the node, sorted. */
  podsOn(short: string, options?: { includeTerminating?: boolean }): Promise<string[]>;
  /** Every Eviction API call drpilot made and its answer, in order. */
  evictions(): Promise<{ pod: string; status: number }[]>;
  /** The status of every node PATCH drpilot made, in order. */
  nodePatches(): Promise<number[]>;
  /** EC2 stopped / started the node's instance: the kubelet goes away / comes back. */
  instanceStopped(instanceId: string): Promise<void>;
  instanceStarted(instanceId: string): Promise<void>;
  /** Someone else (the kubelet, a controller) writes the node: its resourceVersion moves. */
  touchNode(short: string): Promise<void>;
  /** Held terminating pods leave (their finalizer is removed). */
  releaseTerminating(): Promise<void>;
}

export interface ScenarioBackend {
  name: string;
  cluster(spec: ClusterSpec): Promise<ScenarioCluster>;
}

/** kwok turns every workload pod Ready this long after it is bound; the fake's replacements too. */
const READY_DELAY_MS = 500;

/** A fresh EC2-style instance id: the real world's nodes are shared by every test of the run. */
export const uniqueInstanceId = () => `i-0${randomBytes(8).toString('hex')}`;

/** The workload a pod key belongs to: `ns/web-7c9d5f-x2x4q` → `web`. */
export const workloadOf = (podKey: string) => (podKey.split('/')[1] ?? '').split('-')[0] ?? '';

export const workloads = (podKeys: readonly string[]) => podKeys.map(workloadOf).sort();

/** The same kubeconfig with another bearer token. */
export function withToken(kubeconfigJson: string, token: string): string {
  const config = JSON.parse(kubeconfigJson) as { users: { user: Record<string, unknown> }[] };
  for (const entry of config.users) entry.user = { token };
  return JSON.stringify(config);
}

const byKey = (pods: KubePod[]) =>
  pods.map((pod) => `${pod.metadata.namespace}/${pod.metadata.name}`).sort();

export function fakeBackend(): ScenarioBackend {
  const open: { fake: FakeKubernetesApi; api: KubeApiClient }[] = [];
  afterEach(async () => {
    for (const { fake, api } of open.splice(0)) {
      api.close();
      await fake.close();
    }
  });
  return {
    name: 'fake Kubernetes API',
    async cluster(spec) {
      const namespace = 'shop';
      const node = (short: string) => `${namespace}-${short}`;
      const pods: FakePodInput[] = [];
      for (const deployment of spec.deployments ?? []) {
        let i = 0;
        for (const [short, count] of Object.entries(deployment.perNode)) {
          for (let n = 0; n < count; n++) {
            pods.push({
              name: `${deployment.name}-${++i}`,
              namespace,
              node: node(short),
              labels: { app: deployment.name },
              owner: { kind: 'ReplicaSet', name: `${deployment.name}-7d4b9` },
            });
          }
        }
      }
      for (const set of spec.statefulSets ?? []) {
        pods.push({
          name: `${set.name}-0`,
          namespace,
          node: node(set.node),
          labels: { app: set.name },
          owner: { kind: 'StatefulSet', name: set.name },
        });
      }
      for (const daemonSet of spec.daemonSets ?? []) {
        for (const { short } of spec.nodes) {
          pods.push({
            name: `${daemonSet}-${short}`,
            namespace,
            node: node(short),
            labels: { app: daemonSet },
            owner: { kind: 'DaemonSet', name: daemonSet },
          });
        }
      }
      for (const mirror of spec.mirrorPods ?? []) {
        pods.push({ name: mirror.name, namespace, node: node(mirror.node), mirror: true });
      }
      const fake = await startFakeKubernetesApi({
        nodes: spec.nodes.map((input) => ({
          name: node(input.short),
          ...(input.instanceId ? { instanceId: input.instanceId } : {}),
          ...(input.unschedulable ? { unschedulable: true } : {}),
        })),
        pods,
        pdbs: (spec.budgets ?? []).map((budget) => ({
          name: budget.name,
          namespace,
          selector: { app: budget.app },
          ...(budget.minAvailable !== undefined ? { minAvailable: budget.minAvailable } : {}),
          ...(budget.maxUnavailable !== undefined ? { maxUnavailable: budget.maxUnavailable } : {}),
        })),
        eviction: {
          reschedule: true,
          replacementReadyMs: READY_DELAY_MS,
          ...(spec.termination === 'held' ? { delayMs: 3_600_000 } : {}),
        },
      });
      const kubeconfigJson = fake.kubeconfigJson();
      const api = createKubeApi(parseKubeconfig(kubeconfigJson));
      open.push({ fake, api });
      return {
        namespace,
        node,
        api,
        kubeconfigJson,
        readNode: async (short) => fake.node(node(short)),
        podsOn: async (short, options) => fake.podsOn(node(short), options),
        evictions: async () => fake.state.evictions.map(({ pod, status }) => ({ pod, status })),
        nodePatches: async () =>
          fake.requests.filter((r) => r.method === 'PATCH').map((r) => r.status),
        instanceStopped: async (id) => fake.instanceStopped(id),
        instanceStarted: async (id) => fake.instanceStarted(id),
        touchNode: async (short) => fake.touchNode(node(short)),
        releaseTerminating: async () => fake.finishTerminating(),
      };
    },
  };
}

export function realBackend(k8s: ReturnType<typeof useK8sWorld>): ScenarioBackend {
  const open: KubeApiClient[] = [];
  afterEach(() => {
    for (const api of open.splice(0)) api.close();
  });
  return {
    name: 'kube-apiserver + kwok',
    async cluster(spec) {
      const { admin } = k8s;
      const tenant = await k8s.tenant();
      const { namespace } = tenant;
      const node = tenant.nodeName;
      const nodes = spec.nodes.map((input) => node(input.short));
      await tenant.createNodes(
        spec.nodes.map((input) => ({
          name: node(input.short),
          ...(input.instanceId ? { instanceId: input.instanceId } : {}),
          ...(input.unschedulable ? { unschedulable: true } : {}),
        })),
      );
      const workload = (name: string) => ({
        namespace,
        name,
        nodeSelector: tenant.ownerLabel,
        readyDelay: `${READY_DELAY_MS}ms`,
        holdOnDelete: spec.termination === 'held',
      });
      const placed = (perNode: Record<string, number>) =>
        Object.fromEntries(Object.entries(perNode).map(([short, n]) => [node(short), n]));
      for (const deployment of spec.deployments ?? []) {
        await placeReplicas(admin, {
          ...workload(deployment.name),
          kind: 'deployments',
          perNode: placed(deployment.perNode),
          nodes,
        });
      }
      for (const set of spec.statefulSets ?? []) {
        await placeReplicas(admin, {
          ...workload(set.name),
          kind: 'statefulsets',
          perNode: placed({ [set.node]: 1 }),
          nodes,
        });
      }
      for (const daemonSet of spec.daemonSets ?? []) {
        await admin.create(
          `/apis/apps/v1/namespaces/${namespace}/daemonsets`,
          daemonSetManifest({ ...workload(daemonSet), holdOnDelete: false }),
        );
        await waitForHealthyPods(admin, { namespace, app: daemonSet, count: nodes.length });
      }
      for (const mirror of spec.mirrorPods ?? []) {
        // What the kubelet creates for a static manifest; the API server takes it from an admin too.
        await admin.create(`/api/v1/namespaces/${namespace}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: mirror.name,
            labels: { app: mirror.name.split('-')[0] },
            annotations: { 'kubernetes.io/config.mirror': randomBytes(16).toString('hex') },
          },
          spec: {
            nodeName: node(mirror.node),
            containers: [{ name: 'static', image: 'registry.invalid/static:1' }],
          },
        });
      }
      for (const budget of spec.budgets ?? []) {
        await admin.create(
          `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`,
          budgetManifest({ ...budget, namespace }),
        );
        const healthy = (spec.deployments ?? [])
          .filter((d) => d.name === budget.app)
          .reduce((sum, d) => sum + Object.values(d.perNode).reduce((a, b) => a + b, 0), 0);
        await waitForBudget(admin, {
          namespace,
          name: budget.name,
          disruptionsAllowed:
            budget.minAvailable !== undefined
              ? Math.max(0, healthy - budget.minAvailable)
              : Math.min(healthy, budget.maxUnavailable ?? 0),
        });
      }
      const identity = await tenant.drainIdentity();
      const api = createKubeApi(parseKubeconfig(identity.kubeconfigJson));
      open.push(api);
      const nodeOf = async (instanceId: string) => {
        const all = await admin.list<KubeNode>('/api/v1/nodes');
        const match = all.find((n) => n.spec.providerID?.endsWith(`/${instanceId}`));
        if (!match) throw new Error(`no node for instance ${instanceId}`);
        return match.metadata.name;
      };
      let touches = 0;
      return {
        namespace,
        node,
        api,
        kubeconfigJson: identity.kubeconfigJson,
        readNode: (short) => admin.get<KubeNode>(`/api/v1/nodes/${node(short)}`),
        async podsOn(short, options) {
          const pods = await admin.list<KubePod>(
            '/api/v1/pods',
            `fieldSelector=${encodeURIComponent(`spec.nodeName=${node(short)}`)}`,
          );
          return byKey(
            pods.filter((pod) => options?.includeTerminating || !pod.metadata.deletionTimestamp),
          );
        },
        evictions: async () =>
          evictionsIn(await tenant.auditedRequests()).map(({ pod, status }) => ({ pod, status })),
        nodePatches: async () =>
          (await tenant.auditedRequests())
            .filter((r) => r.method === 'PATCH' && r.resource === 'nodes')
            .map((r) => r.status),
        instanceStopped: async (id) => kubeletStopped(admin, await nodeOf(id)),
        instanceStarted: async (id) => kubeletStarted(admin, await nodeOf(id)),
        touchNode: async (short) => {
          await admin.mergePatch(`/api/v1/nodes/${node(short)}`, {
            metadata: { annotations: { 'drpilot.test/touched': String(++touches) } },
          });
        },
        releaseTerminating: () => releaseHeldPods(admin, namespace),
      };
    },
  };
}
