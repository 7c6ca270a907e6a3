import type { KubeNode, KubePod } from '../../lambdas/adapters/kubernetes/kube-api';
import { POD_READY_DELAY_ANNOTATION } from '../emulator/k8s-world';
import type { KubeAdmin } from './kube-admin';

/**
 * A finalizer nothing removes but {@link releaseHeldPods}: an evicted pod carrying it stays
 * terminating on its node, as a pod whose containers take long to stop.
 */
export const HOLD_FINALIZER = 'drpilot.test/hold';

export interface WorkloadInput {
  namespace: string;
  /** Also the `app` label and the prefix of every pod's name. */
  name: string;
  /** Pods run only on nodes with these labels (a test world's nodes are shared between tests). */
  nodeSelector: Record<string, string>;
  /** kwok turns a pod Ready this long after it is bound (a Go duration, e.g. `2s`). */
  readyDelay?: string;
  /** Pods leave only when {@link releaseHeldPods} lets them. */
  holdOnDelete?: boolean;
}

export interface BudgetInput {
  namespace: string;
  name: string;
  /** `app` label of the pods it guards. */
  app: string;
  minAvailable?: number;
  maxUnavailable?: number;
}

const apps = (namespace: string, kind: string) => `/apis/apps/v1/namespaces/${namespace}/${kind}`;

function podTemplate(input: WorkloadInput) {
  return {
    metadata: {
      labels: { app: input.name },
      ...(input.readyDelay
        ? { annotations: { [POD_READY_DELAY_ANNOTATION]: input.readyDelay } }
        : {}),
      ...(input.holdOnDelete ? { finalizers: [HOLD_FINALIZER] } : {}),
    },
    spec: {
      nodeSelector: input.nodeSelector,
      // kwok runs no containers; the image is never pulled.
      containers: [{ name: input.name, image: `registry.invalid/${input.name}:1` }],
      terminationGracePeriodSeconds: 5,
    },
  };
}

export function deploymentManifest(input: WorkloadInput, replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: input.name } },
      template: podTemplate(input),
    },
  };
}

export function daemonSetManifest(input: WorkloadInput) {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: input.name, namespace: input.namespace },
    spec: { selector: { matchLabels: { app: input.name } }, template: podTemplate(input) },
  };
}

export function statefulSetManifest(input: WorkloadInput, replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      replicas,
      serviceName: input.name,
      selector: { matchLabels: { app: input.name } },
      template: podTemplate(input),
    },
  };
}

export function budgetManifest(input: BudgetInput) {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      selector: { matchLabels: { app: input.app } },
      ...(input.minAvailable !== undefined ? { minAvailable: input.minAvailable } : {}),
      ...(input.maxUnavailable !== undefined ? { maxUnavailable: input.maxUnavailable } : {}),
    },
  };
}

/** Running, Ready and not terminating: what a PodDisruptionBudget counts as healthy. */
export function isPodHealthy(pod: KubePod): boolean {
  const status = pod.status as
    { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
  return (
    status?.phase === 'Running' &&
    !pod.metadata.deletionTimestamp &&
    (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

export const podsOf = (admin: KubeAdmin, namespace: string, app: string) =>
  admin.list<KubePod>(`/api/v1/namespaces/${namespace}/pods`, `labelSelector=app%3D${app}`);

/** Waits until `count` healthy pods of `app` run on `node` (any node when omitted). */
export async function waitForHealthyPods(
  admin: KubeAdmin,
  input: { namespace: string; app: string; count: number; node?: string },
): Promise<KubePod[]> {
  return admin.until(
    `${input.count} healthy pods of ${input.namespace}/${input.app}${input.node ? ` on ${input.node}` : ''}`,
    async () => {
      const healthy = (await podsOf(admin, input.namespace, input.app)).filter(
        (pod) => isPodHealthy(pod) && (!input.node || pod.spec.nodeName === input.node),
      );
      return healthy.length === input.count ? healthy : undefined;
    },
  );
}

/**
 * Creates a Deployment or StatefulSet whose pods sit where the test says, `perNode` of them on
 * each node: the scheduler decides placement, so every other node of `nodes` is cordoned while
 * one node's share is scaled up, and each node's own `unschedulable` is put back afterwards.
 */
export async function placeReplicas(
  admin: KubeAdmin,
  input: WorkloadInput & {
    kind: 'deployments' | 'statefulsets';
    perNode: Record<string, number>;
    nodes: string[];
  },
): Promise<void> {
  const nodePath = (name: string) => `/api/v1/nodes/${encodeURIComponent(name)}`;
  const original = new Map(
    await Promise.all(
      input.nodes.map(
        async (name) =>
          [name, Boolean((await admin.get<KubeNode>(nodePath(name))).spec.unschedulable)] as const,
      ),
    ),
  );
  const setUnschedulable = (name: string, unschedulable: boolean) =>
    admin.mergePatch(nodePath(name), { spec: { unschedulable: unschedulable || null } });

  await admin.create(
    apps(input.namespace, input.kind),
    input.kind === 'deployments' ? deploymentManifest(input, 0) : statefulSetManifest(input, 0),
  );
  let replicas = 0;
  try {
    for (const [node, count] of Object.entries(input.perNode)) {
      if (count === 0) continue;
      await Promise.all(input.nodes.map((name) => setUnschedulable(name, name !== node)));
      replicas += count;
      await admin.mergePatch(`${apps(input.namespace, input.kind)}/${input.name}`, {
        spec: { replicas },
      });
      await waitForHealthyPods(admin, { namespace: input.namespace, app: input.name, count, node });
    }
  } finally {
    await Promise.all(
      input.nodes.map((name) => setUnschedulable(name, original.get(name) ?? false)),
    );
  }
}

/**
 * Waits until the disruption controller has computed the budget and allows `disruptionsAllowed`.
 * Until its observedGeneration catches up the Eviction API answers 429 for every pod it guards
 * (`checkAndDecrement`, kubernetes pkg/registry/core/pod/storage/eviction.go).
 */
export async function waitForBudget(
  admin: KubeAdmin,
  input: { namespace: string; name: string; disruptionsAllowed: number },
): Promise<void> {
  await admin.until(
    `PodDisruptionBudget ${input.namespace}/${input.name} computed with ${input.disruptionsAllowed} disruption(s) allowed`,
    async () => {
      const budget = await admin.get<{
        metadata: { generation?: number };
        status?: { observedGeneration?: number; disruptionsAllowed?: number };
      }>(`/apis/policy/v1/namespaces/${input.namespace}/poddisruptionbudgets/${input.name}`);
      return budget.status?.observedGeneration === budget.metadata.generation &&
        budget.status?.disruptionsAllowed === input.disruptionsAllowed
        ? true
        : undefined;
    },
  );
}

/** Takes {@link HOLD_FINALIZER} off every pod of the namespace: the terminating ones leave. */
export async function releaseHeldPods(admin: KubeAdmin, namespace: string): Promise<void> {
  const pods = await admin.list<KubePod & { metadata: { finalizers?: string[] } }>(
    `/api/v1/namespaces/${namespace}/pods`,
  );
  await Promise.all(
    pods
      .filter((pod) => pod.metadata.finalizers?.includes(HOLD_FINALIZER))
      .map((pod) =>
        admin.mergePatch(`/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}`, {
          metadata: {
            finalizers: (pod.metadata.finalizers ?? []).filter((f) => f !== HOLD_FINALIZER),
          },
        }),
      ),
  );
}
