/**
 * Cordon, eviction rounds and uncordon of one node through the Kubernetes API: the pieces the
 * `ec2` rollout's drain sub-steps use, one short call each (`node-drainer.ts`). Nothing here
 * waits or keeps time; the rollout waits between rounds and its planner
 * (`lambdas/core/resize/node-steps.ts`) decides when a drain has taken too long.
 *
 * Pods leave through the Eviction API (`policy/v1`), never by deletion, so PodDisruptionBudgets
 * hold: while a budget allows no disruption the API answers 429 and the pod stays.
 *
 * Pods that are not evicted: DaemonSet-owned pods (their controller ignores the cordon and would
 * recreate them at once, as `kubectl drain --ignore-daemonsets` does) and mirror pods of static
 * manifests (annotation `kubernetes.io/config.mirror`; the API cannot evict them). Pods that are
 * already terminating are not evicted again but still count as on the node.
 */
import type { KubeApi, KubeNode, KubePod } from './kube-api';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export type SkipReason = 'daemonset' | 'mirror';

const podKey = (pod: KubePod) => `${pod.metadata.namespace}/${pod.metadata.name}`;

/** Why a pod stays on the node during a drain, or undefined when it is evicted. */
export function skipReason(pod: KubePod): SkipReason | undefined {
  if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return 'mirror';
  const owners = pod.metadata.ownerReferences ?? [];
  const controller = owners.find((owner) => owner.controller) ?? owners[0];
  if (controller?.kind === 'DaemonSet') return 'daemonset';
  return undefined;
}

/** Marks the node unschedulable (resourceVersion-checked, one retry on 409). */
export async function cordon(
  api: KubeApi,
  nodeName: string,
): Promise<{ node: KubeNode; alreadyCordoned: boolean }> {
  const current = await api.getNode(nodeName);
  if (current.spec.unschedulable) return { node: current, alreadyCordoned: true };
  const node = await api.patchNodeUnschedulable(nodeName, true, current.metadata.resourceVersion);
  return { node, alreadyCordoned: false };
}

/** Makes the node schedulable again (resourceVersion-checked, one retry on 409). */
export async function uncordon(api: KubeApi, nodeName: string): Promise<KubeNode> {
  const current = await api.getNode(nodeName);
  if (!current.spec.unschedulable) return current;
  return api.patchNodeUnschedulable(nodeName, false, current.metadata.resourceVersion);
}

export interface EvictionRound {
  /** `namespace/name` of the pods still on the node, DaemonSet and mirror pods not counted. */
  remaining: string[];
  /** Of those, the pods whose eviction a PodDisruptionBudget refused (429) in this round. */
  blocked: string[];
}

/**
 * One round of a drain that waits outside (the rollout's sub-steps): asks the Eviction API for
 * every pod on the node that is neither a DaemonSet nor a mirror pod nor already terminating, and
 * reports what is still there. The caller cordons first, waits between rounds and decides when a
 * drain that still has pods has taken too long.
 */
export async function evictionRound(api: KubeApi, nodeName: string): Promise<EvictionRound> {
  const remaining: string[] = [];
  const blocked: string[] = [];
  for (const pod of await api.listPodsOnNode(nodeName)) {
    if (skipReason(pod)) continue;
    if (!pod.metadata.deletionTimestamp) {
      const result = await api.evictPod(pod.metadata.namespace, pod.metadata.name);
      if (result === 'gone') continue;
      if (result === 'blocked-by-pdb') blocked.push(podKey(pod));
    }
    remaining.push(podKey(pod));
  }
  return { remaining, blocked };
}

export interface Ec2InstanceRef {
  id: string;
  /** e.g. `ip-10-0-1-23.eu-west-1.compute.internal`, or `i-0abc….eu-west-1.compute.internal`. */
  privateDnsName?: string | null;
  tags: Record<string, string>;
}

/** Tag that names an instance's Kubernetes node when no convention fits. */
export const NODE_NAME_TAG = 'drpilot:node-name';

/**
 * Every plausible Kubernetes node name of an EC2 instance, most likely first, by convention:
 * 1. the `drpilot:node-name` tag, when the owner set one (custom `--hostname-override`);
 * 2. the private DNS name — what the kubelet registers with the AWS cloud provider (kops,
 *    Rancher/RKE with the AWS provider), whether IP-based (`ip-10-0-1-23.<region>.compute.internal`)
 *    or resource-based (`i-0abc….<region>.compute.internal`);
 * 3. the instance id (kops with the external AWS cloud-controller-manager names nodes so).
 * The kubelet's real name (`kubernetes.io/hostname`) is not visible from EC2; use
 * {@link findNodeForInstance} to confirm against the cluster.
 */
export function nodeNameCandidates(instance: Ec2InstanceRef): string[] {
  const names = [
    instance.tags[NODE_NAME_TAG],
    instance.privateDnsName ?? undefined,
    // Rancher custom clusters without a cloud provider register the short hostname.
    instance.privateDnsName?.split('.')[0],
    instance.id,
  ].filter((name): name is string => typeof name === 'string' && name !== '');
  return [...new Set(names)];
}

/**
 * Finds the instance's node in the cluster: by `spec.providerID` (`aws:///<az>/<instance id>`),
 * the cloud provider's own link, else by the names of {@link nodeNameCandidates}.
 */
export async function findNodeForInstance(
  api: KubeApi,
  instance: Ec2InstanceRef,
): Promise<KubeNode> {
  const nodes = await api.listNodes();
  const byProvider = nodes.find((node) => (node.spec.providerID ?? '').endsWith(`/${instance.id}`));
  if (byProvider) return byProvider;
  const candidates = nodeNameCandidates(instance);
  for (const name of candidates) {
    const node = nodes.find((candidate) => candidate.metadata.name === name);
    if (node) return node;
  }
  throw new Error(
    `no Kubernetes node for instance ${instance.id}: no node has providerID …/${instance.id} ` +
      `or is named ${candidates.join(' or ')}; tag the instance ${NODE_NAME_TAG}=<node name>`,
  );
}
