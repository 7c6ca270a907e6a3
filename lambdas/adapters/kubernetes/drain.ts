/**
 * Cordon, drain, wait for Ready and uncordon one node through the Kubernetes API.
 *
 * Pods leave through the Eviction API (`policy/v1`), never by deletion, so PodDisruptionBudgets
 * hold: while a budget allows no disruption the API answers 429 and the drain retries with
 * backoff until its timeout.
 *
 * **When a budget still blocks at the timeout** the drain uncordons the node again and throws
 * {@link DrainBlockedError}: the caller must not stop the instance, and leaving it cordoned would
 * silently take its capacity out of the cluster for nothing. Pods evicted before the block have
 * been rescheduled elsewhere by their controllers; nothing is lost. (`onBlocked: 'leave-cordoned'`
 * keeps the cordon for an operator to look at.) The same holds for {@link DrainTimeoutError}
 * (evicted pods still terminating at the timeout).
 *
 * Pods that are not evicted: DaemonSet-owned pods (their controller ignores the cordon and would
 * recreate them at once, as `kubectl drain --ignore-daemonsets` does) and mirror pods of static
 * manifests (annotation `kubernetes.io/config.mirror`; the API cannot evict them). Pods that are
 * already terminating are not evicted again but are waited for.
 */
import { isNodeReady, type KubeApi, type KubeNode, type KubePod } from './kube-api';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export type SkipReason = 'daemonset' | 'mirror';

export type DrainProgress =
  | { kind: 'cordoned'; node: string; alreadyCordoned: boolean }
  | { kind: 'skipped'; node: string; pod: string; reason: SkipReason }
  | { kind: 'evicted'; node: string; pod: string }
  | { kind: 'blocked'; node: string; pods: string[]; retryInMs: number }
  | { kind: 'waiting'; node: string; pods: string[] }
  | { kind: 'drained'; node: string }
  | { kind: 'uncordoned'; node: string; reason: 'blocked' | 'timeout' | 'done' }
  | { kind: 'not-ready'; node: string };

export interface WaitOptions {
  /** Overall limit. */
  timeoutMs: number;
  /** Interval between polls (default 2 s). */
  pollMs?: number;
  /** Injected for tests (default: setTimeout). */
  sleep?: (ms: number) => Promise<void>;
  /** Injected clock for tests (default: Date.now). Tie it to `sleep` for virtual time. */
  now?: () => number;
  onProgress?: (event: DrainProgress) => void;
}

export interface DrainOptions extends WaitOptions {
  /** Largest backoff between eviction rounds while a budget blocks (default 8 × pollMs). */
  maxBackoffMs?: number;
  /** What to do with the node when the drain cannot finish (default `uncordon`). */
  onBlocked?: 'uncordon' | 'leave-cordoned';
}

export interface DrainResult {
  node: string;
  /** `namespace/name` of every pod evicted. */
  evicted: string[];
  skipped: { pod: string; reason: SkipReason }[];
  /** The node was already unschedulable before the drain. */
  alreadyCordoned: boolean;
}

/** A PodDisruptionBudget still blocked eviction at the timeout; the node must not be stopped. */
export class DrainBlockedError extends Error {
  override readonly name = 'DrainBlockedError';
  constructor(
    readonly node: string,
    /** `namespace/name` of the pods the Eviction API refused (429). */
    readonly blockedPods: string[],
    /** Pods evicted before the block. */
    readonly evicted: string[],
    /** Whether the node was made schedulable again. */
    readonly uncordoned: boolean,
  ) {
    super(
      `drain of node ${node} blocked by a PodDisruptionBudget: ${blockedPods.join(', ')} ` +
        `could not be evicted (429 TooManyRequests) before the timeout; ` +
        `${uncordoned ? 'node uncordoned' : 'node left cordoned'}, do not stop it`,
    );
  }
}

/** Evicted pods were still on the node at the timeout; the node must not be stopped. */
export class DrainTimeoutError extends Error {
  override readonly name = 'DrainTimeoutError';
  constructor(
    readonly node: string,
    readonly remainingPods: string[],
    readonly uncordoned: boolean,
  ) {
    super(
      `drain of node ${node} timed out: ${remainingPods.join(', ')} still on the node; ` +
        `${uncordoned ? 'node uncordoned' : 'node left cordoned'}, do not stop it`,
    );
  }
}

/** The node did not report Ready within the timeout. */
export class NodeNotReadyError extends Error {
  override readonly name = 'NodeNotReadyError';
  constructor(
    readonly node: string,
    readonly timeoutMs: number,
    readonly lastError?: unknown,
  ) {
    super(
      `node ${node} was not Ready within ${timeoutMs} ms` +
        (lastError instanceof Error ? ` (last error: ${lastError.message})` : ''),
    );
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

/**
 * Cordons the node and evicts every pod but DaemonSet and mirror pods, retrying with backoff
 * while a PodDisruptionBudget blocks (429), then waits until the evicted pods are gone.
 * Pods that appear on the node during the drain (scheduled just before the cordon) are evicted
 * too. Throws {@link DrainBlockedError} or {@link DrainTimeoutError} at the timeout, after
 * uncordoning the node (unless `onBlocked: 'leave-cordoned'`).
 */
export async function cordonAndDrain(
  api: KubeApi,
  nodeName: string,
  options: DrainOptions,
): Promise<DrainResult> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 2_000;
  const maxBackoffMs = options.maxBackoffMs ?? pollMs * 8;
  const progress = options.onProgress ?? (() => undefined);
  const deadline = now() + options.timeoutMs;

  const { alreadyCordoned } = await cordon(api, nodeName);
  progress({ kind: 'cordoned', node: nodeName, alreadyCordoned });

  const evicted: string[] = [];
  const evictedUids = new Set<string>();
  const skipped = new Map<string, SkipReason>();
  let backoffMs = pollMs;

  const giveUp = async (blocked: string[], remaining: string[]): Promise<never> => {
    // An operator's own cordon stays; ours is undone so the node keeps serving.
    const undo = options.onBlocked !== 'leave-cordoned' && !alreadyCordoned;
    if (undo) {
      await uncordon(api, nodeName);
      progress({
        kind: 'uncordoned',
        node: nodeName,
        reason: blocked.length > 0 ? 'blocked' : 'timeout',
      });
    }
    if (blocked.length > 0) throw new DrainBlockedError(nodeName, blocked, evicted, undo);
    throw new DrainTimeoutError(nodeName, remaining, undo);
  };

  for (;;) {
    const pods = await api.listPodsOnNode(nodeName);
    const remaining: KubePod[] = [];
    for (const pod of pods) {
      const reason = skipReason(pod);
      if (reason) {
        if (!skipped.has(podKey(pod))) {
          skipped.set(podKey(pod), reason);
          progress({ kind: 'skipped', node: nodeName, pod: podKey(pod), reason });
        }
        continue;
      }
      remaining.push(pod);
    }
    if (remaining.length === 0) break;

    const blocked: string[] = [];
    for (const pod of remaining) {
      const uid = pod.metadata.uid ?? podKey(pod);
      if (evictedUids.has(uid) || pod.metadata.deletionTimestamp) continue;
      const result = await api.evictPod(pod.metadata.namespace, pod.metadata.name);
      if (result === 'blocked-by-pdb') {
        blocked.push(podKey(pod));
        continue;
      }
      evictedUids.add(uid);
      if (result === 'evicted') {
        evicted.push(podKey(pod));
        progress({ kind: 'evicted', node: nodeName, pod: podKey(pod) });
      }
    }

    const waitMs = blocked.length > 0 ? backoffMs : pollMs;
    if (now() + waitMs > deadline) {
      await giveUp(blocked, remaining.map(podKey));
    }
    if (blocked.length > 0) {
      progress({ kind: 'blocked', node: nodeName, pods: blocked, retryInMs: waitMs });
      backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    } else {
      progress({ kind: 'waiting', node: nodeName, pods: remaining.map(podKey) });
    }
    await sleep(waitMs);
  }

  progress({ kind: 'drained', node: nodeName });
  return {
    node: nodeName,
    evicted,
    skipped: [...skipped].map(([pod, reason]) => ({ pod, reason })),
    alreadyCordoned,
  };
}

/**
 * Polls the node until its Ready condition is True. Errors while polling (the node object may be
 * briefly absent, the API briefly unreachable) are retried until the timeout; a 401/403 is not.
 */
export async function waitForReady(
  api: KubeApi,
  nodeName: string,
  options: WaitOptions,
): Promise<KubeNode> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 5_000;
  const deadline = now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const node = await api.getNode(nodeName);
      if (isNodeReady(node)) return node;
      lastError = undefined;
      options.onProgress?.({ kind: 'not-ready', node: nodeName });
    } catch (error) {
      const statusCode = (error as { statusCode?: number }).statusCode;
      if (statusCode === 401 || statusCode === 403) throw error;
      lastError = error;
    }
    if (now() + pollMs > deadline)
      throw new NodeNotReadyError(nodeName, options.timeoutMs, lastError);
    await sleep(pollMs);
  }
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
 * The Kubernetes node name an EC2 instance most likely has, by convention:
 * 1. the `drpilot:node-name` tag, when the owner set one (custom `--hostname-override`);
 * 2. the private DNS name — what the kubelet registers with the AWS cloud provider (kops,
 *    Rancher/RKE with the AWS provider), whether IP-based (`ip-10-0-1-23.<region>.compute.internal`)
 *    or resource-based (`i-0abc….<region>.compute.internal`);
 * 3. the instance id (kops with the external AWS cloud-controller-manager names nodes so).
 * The kubelet's real name (`kubernetes.io/hostname`) is not visible from EC2; use
 * {@link findNodeForInstance} to confirm against the cluster.
 */
export function nodeNameForInstance(instance: Ec2InstanceRef): string {
  return nodeNameCandidates(instance)[0] ?? instance.id;
}

/** Every plausible node name, most likely first (see {@link nodeNameForInstance}). */
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
