import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { ec2Client } from '../../lambdas/adapters/aws/sdk-clients/ec2';
import { secretsManagerClient } from '../../lambdas/adapters/aws/sdk-clients/secrets-manager';
import { instancesWithTag, type NodeInstance } from '../../lambdas/adapters/aws/tagged-instances';
import type { DrpilotConfig, NodeGroupConfig, Side } from '../../lambdas/core/config/schema';
import type { KubeNode } from '../../lambdas/adapters/kubernetes/kube-api';
import { startFakeKubernetesApi, type FakePodInput } from '../emulator/fake-kubernetes-api';
import { relayInstanceStates, type InstanceEvent } from './kubelet-relay';

export type { InstanceEvent } from './kubelet-relay';

/** The Deployment a PodDisruptionBudget guards: two pods on every node, at most one of them down. */
export const GUARDED_APP = {
  name: 'web',
  namespace: 'shop',
  podsPerNode: 2,
  maxUnavailable: 1,
} as const;

/**
 * How long an evicted pod takes to terminate, and its replacement to start. Long enough that a
 * second eviction from the guarded Deployment meets the budget (429) until the first one's
 * replacement is up.
 */
const TERMINATION_MS = 200;
/** Node reads after a start until the kubelet reports Ready. */
const READY_AFTER_READS = 2;

export interface EmbeddedCluster {
  /** Which API server ran, for the drill's report: `fake Kubernetes API` or `kube-apiserver v1.37.2 + kwok`. */
  apiDescription: string;
  url: string;
  region: string;
  secretName: string;
  /** The group's instances when the cluster started, sorted by id. */
  members: NodeInstance[];
  nodeName(instanceId: string): string;
  /** The pods the cluster started with. */
  pods: FakePodInput[];
  events: InstanceEvent[];
  node(name: string): Promise<KubeNode>;
  /** Every Eviction API call drpilot made, with its answer, in order. */
  evictions(): Promise<{ pod: string; status: number; at: number }[]>;
  /** Every request drpilot made, with its answer, in order. */
  requests(): Promise<{ method: string; path: string; status: number; at: number }[]>;
  /** The most pods of {@link GUARDED_APP} that were unavailable at once. */
  maxDisrupted(): Promise<number>;
  /** Stops relaying EC2 state changes and shuts the API server down. */
  close(): Promise<void>;
}

/** The group's tag and kubeconfig secret, which an embedded cluster needs, and its region. */
export function embeddedClusterTarget(config: DrpilotConfig, group: NodeGroupConfig) {
  const tag = group.selector.tag;
  const secretName = group.kubernetes?.kubeconfigSecret;
  if (!tag || !secretName) {
    throw new Error(
      `node group ${group.id} needs a tag selector and kubernetes.kubeconfigSecret for an embedded cluster`,
    );
  }
  return { tag, secretName, region: config.clusters[group.cluster as Side].region };
}

export const podKey = (pod: FakePodInput) => `${pod.namespace ?? 'default'}/${pod.name}`;

/** The drill's workloads on one node: two pods of the guarded app, one of api, a DaemonSet's. */
export function podsOn(node: string, index: number): FakePodInput[] {
  const web = Array.from({ length: GUARDED_APP.podsPerNode }, (_, i) => ({
    name: `${GUARDED_APP.name}-${index}-${i + 1}`,
    namespace: GUARDED_APP.namespace,
    node,
    labels: { app: GUARDED_APP.name },
    owner: { kind: 'ReplicaSet', name: `${GUARDED_APP.name}-7c9d5` },
  }));
  return [
    ...web,
    {
      name: `api-${index}`,
      namespace: GUARDED_APP.namespace,
      node,
      labels: { app: 'api' },
      owner: { kind: 'ReplicaSet', name: 'api-5f6b8' },
    },
    {
      name: `node-exporter-${index}`,
      namespace: 'monitoring',
      node,
      labels: { app: 'node-exporter' },
      owner: { kind: 'DaemonSet', name: 'node-exporter' },
    },
  ];
}

/**
 * The Kubernetes side of a tag-selected `ec2` group in the embedded estate: a fake API server
 * with one node per instance, a few workloads (one Deployment under a PodDisruptionBudget, one
 * without, a DaemonSet), its kubeconfig in the group's `kubernetes.kubeconfigSecret` — so a
 * resize drains through the same path as in production — and a kubelet stand-in: EC2 stops and
 * starts of the members (moto's are instant) turn their nodes NotReady and Ready again.
 * `real-kubernetes-cluster.ts` builds the same on kube-apiserver + kwok.
 */
export async function startEmbeddedCluster(
  config: DrpilotConfig,
  group: NodeGroupConfig,
): Promise<EmbeddedCluster> {
  const { tag, secretName, region } = embeddedClusterTarget(config, group);
  const ec2 = ec2Client(region);
  const members = await instancesWithTag(ec2, tag);
  const names = new Map(members.map((m) => [m.id, m.privateDnsName ?? m.id]));
  const nodeName = (instanceId: string) => names.get(instanceId) ?? instanceId;
  const pods = members.flatMap((m, i) => podsOn(nodeName(m.id), i));
  const api = await startFakeKubernetesApi({
    nodes: members.map((m) => ({
      name: nodeName(m.id),
      instanceId: m.id,
      ...(m.availabilityZone ? { availabilityZone: m.availabilityZone } : {}),
    })),
    pods,
    pdbs: [
      {
        name: GUARDED_APP.name,
        namespace: GUARDED_APP.namespace,
        selector: { app: GUARDED_APP.name },
        maxUnavailable: GUARDED_APP.maxUnavailable,
      },
    ],
    eviction: { delayMs: TERMINATION_MS, reschedule: true, replacementReadyMs: TERMINATION_MS },
  });
  try {
    await secretsManagerClient(region).send(
      new CreateSecretCommand({ Name: secretName, SecretString: api.kubeconfigJson() }),
    );
  } catch (error) {
    await api.close();
    throw error;
  }

  const events: InstanceEvent[] = [];
  const detach = relayInstanceStates(
    ec2,
    new Set(names.keys()),
    {
      snapshot: async (id) => ({
        cordoned: Boolean(api.node(nodeName(id)).spec.unschedulable),
        podsLeft: api.podsOn(nodeName(id), { includeTerminating: true }),
      }),
      stopped: async (id) => api.instanceStopped(id),
      started: async (id) => api.instanceStarted(id, { readyAfterReads: READY_AFTER_READS }),
    },
    events,
  );

  return {
    apiDescription: 'fake Kubernetes API',
    url: api.url,
    region,
    secretName,
    members,
    nodeName,
    pods,
    events,
    node: async (name) => api.node(name),
    evictions: async () => api.state.evictions.map(({ pod, status, at }) => ({ pod, status, at })),
    requests: async () => [...api.requests],
    maxDisrupted: async () =>
      Math.max(
        0,
        ...api.state.evictions
          .filter((e) => e.budget?.name === GUARDED_APP.name && e.status < 300)
          .map((e) => e.budget?.disrupted ?? 0),
      ),
    async close() {
      detach();
      await api.close();
    },
  };
}
