/**
 * A stateful fake Kubernetes API server for drain tests and the embedded drill: HTTPS on
 * 127.0.0.1 with a drill certificate, bearer-token auth, nodes, pods and PodDisruptionBudgets.
 * It encodes the API's rules that drain depends on:
 *
 * - **Auth:** a request with another bearer token gets 401 `Unauthorized`; one without
 *   `Authorization` is anonymous and gets 403 `Forbidden` (`kube-apiserver --help`:
 *   `--anonymous-auth` defaults to true, such requests are user `system:anonymous`, which RBAC
 *   grants nothing).
 * - **resourceVersion:** one cluster-wide counter, bumped on every write (like etcd's revision);
 *   each object carries the revision of its last write. A PATCH whose body carries
 *   `metadata.resourceVersion` other than the stored one gets 409 `Conflict` ("the object has
 *   been modified"). Merge and strategic-merge patches are accepted (identical for the fields
 *   drain touches); JSON patch, which the real server takes, gets 415 (drain never sends it).
 * - **Pods by field selector:** `GET /api/v1/pods?fieldSelector=spec.nodeName=<node>` (also
 *   `metadata.namespace`, `status.phase`); other field labels get 400, as on a real server.
 * - **Eviction** (`POST …/pods/<name>/eviction`, body `policy/v1` `Eviction`): 404 when the pod
 *   is gone; 201 without a budget check when it is already terminating or not Running (the API
 *   ignores budgets for Pending/Succeeded/Failed pods); 500 when more than one budget selects
 *   it; otherwise 429 `TooManyRequests` "Cannot evict pod as it would violate the pod's
 *   disruption budget." while the budget allows no disruption. Allowed disruptions are
 *   counted from label-selector matches in the namespace: healthy = Running, ready, not
 *   terminating; `minAvailable` → healthy − minAvailable; `maxUnavailable` → healthy −
 *   (expected − maxUnavailable), expected = the matching pods when the fake started (or
 *   `expectedPods`). Integers only, no percentages.
 * - **Evicted pods** get a `deletionTimestamp` and disappear after `eviction.delayMs` (0: at
 *   once), or when `finishTerminating` says so (a finalizer removed). With
 *   `eviction.reschedule`, a controller-owned pod (not a DaemonSet's) is replaced by a new pod
 *   (new name and uid, same labels and owner): by a ReplicaSet as soon as the evicted pod is
 *   terminating, by a StatefulSet once it is gone.
 * - **Scheduling:** a pod without a node goes to a Ready, schedulable node — Pending for
 *   `eviction.replacementReadyMs` as a kubelet starting its containers, then Running and ready —
 *   or stays Pending (not healthy) until a node is uncordoned or turns Ready.
 * - **Node readiness** is the test's to control: `setNodeReady`, or `instanceStopped` (NotReady
 *   at once) and `instanceStarted` (Ready after N reads of the node, as a kubelet that needs a
 *   few heartbeats). Instances link to nodes by `instanceId`, so an EC2 executor's test can
 *   forward instance state changes.
 * - **Records:** every request answered and every eviction, timestamped; an eviction of a pod
 *   under a budget also records how many of that budget's pods are disrupted after it.
 *
 * test/integration/resize-drain.test.ts runs the same drain scenarios against this fake and a real
 * kube-apiserver + kwok, so where Kubernetes answers differently the fake is wrong.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createDrillCa, issueValidCertificate } from '../embedded/tls/drill-certificates';
import { listenOnLoopback } from '../embedded/tls/loopback-server';
import type { KubeNode, KubePod } from '../../lambdas/adapters/kubernetes/kube-api';

export interface FakeNodeInput {
  name: string;
  /** Default true. */
  ready?: boolean;
  unschedulable?: boolean;
  labels?: Record<string, string>;
  /** EC2 instance id; sets `spec.providerID` to `aws:///<az>/<id>`. */
  instanceId?: string;
  availabilityZone?: string;
}

export interface FakePodInput {
  name: string;
  namespace?: string;
  /** The node it runs on (`spec.nodeName`); omit for a Pending, unscheduled pod. */
  node?: string;
  labels?: Record<string, string>;
  /** Controller owner: `ReplicaSet`, `StatefulSet`, `DaemonSet`, `Job`, … */
  owner?: { kind: string; name: string };
  /** A mirror pod of a static manifest (annotation `kubernetes.io/config.mirror`). */
  mirror?: boolean;
  /** Default `Running`. */
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** Ready condition (default true). */
  ready?: boolean;
}

export interface FakePdbInput {
  name: string;
  namespace?: string;
  /** `matchLabels` of the budget's selector. */
  selector: Record<string, string>;
  minAvailable?: number;
  maxUnavailable?: number;
  /** For `maxUnavailable`: the pods the controller expects (default: matches at start). */
  expectedPods?: number;
}

export interface FakeKubernetesOptions {
  nodes: FakeNodeInput[];
  pods?: FakePodInput[];
  pdbs?: FakePdbInput[];
  /** Bearer token the server accepts (default: random). */
  token?: string;
  eviction?: {
    delayMs?: number;
    reschedule?: boolean;
    /** A replacement stays Pending (unhealthy) this long on its node, then runs Ready (default 0). */
    replacementReadyMs?: number;
  };
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  /** When it was answered, in ms since the epoch. */
  at: number;
}

export interface EvictionRecord {
  pod: string;
  status: number;
  /** When it was answered, in ms since the epoch. */
  at: number;
  /** The one budget selecting the pod, and how many of its pods are disrupted after the answer. */
  budget?: { name: string; disrupted: number };
}

interface StoredNode {
  node: KubeNode;
  instanceId?: string;
  /** Reads of the node left until it turns Ready (after `instanceStarted`). */
  readyAfterReads?: number;
}

interface StoredPod {
  pod: KubePod;
  ready: boolean;
}

interface StoredPdb extends FakePdbInput {
  namespace: string;
  expected: number;
}

export interface FakeKubernetesState {
  nodes: Map<string, StoredNode>;
  /** Keyed `namespace/name`. */
  pods: Map<string, StoredPod>;
  pdbs: StoredPdb[];
  requests: RequestRecord[];
  evictions: EvictionRecord[];
  resourceVersion: number;
}

export interface FakeKubernetesApi {
  url: string;
  caPem: string;
  token: string;
  /** A kubeconfig (JSON form, data embedded) for this server; `token` overrides the user's. */
  kubeconfigJson(options?: { token?: string }): string;
  state: FakeKubernetesState;
  node(name: string): KubeNode;
  /** `namespace/name` of the pods on the node (all, or those not terminating). */
  podsOn(nodeName: string, options?: { includeTerminating?: boolean }): string[];
  /** Requests that reached the handlers, e.g. to count evictions or PATCHes. */
  requests: RequestRecord[];
  setNodeReady(name: string, ready: boolean): void;
  /** A write to the node by someone else (the kubelet's status update): bumps resourceVersion. */
  touchNode(name: string): void;
  /** The next `times` PATCHes of the node meet a concurrent write just before they apply. */
  conflictOnNextPatch(name: string, times?: number): void;
  /** The instance (id or node name) was stopped: its node turns NotReady at once. */
  instanceStopped(instanceOrNode: string): void;
  /** The instance was started: its node turns Ready after `readyAfterReads` reads (default 2). */
  instanceStarted(instanceOrNode: string, options?: { readyAfterReads?: number }): void;
  /** Every terminating pod leaves now, as when the finalizer holding it is removed. */
  finishTerminating(): void;
  /** Links an EC2 instance id to a node (also set by `instanceId` in the node input). */
  linkInstance(instanceId: string, nodeName: string): void;
  close(): Promise<void>;
}

const DEFAULT_NS = 'default';

export async function startFakeKubernetesApi(
  options: FakeKubernetesOptions,
): Promise<FakeKubernetesApi> {
  const token = options.token ?? randomBytes(16).toString('hex');
  const evictionDelayMs = options.eviction?.delayMs ?? 0;
  const reschedule = options.eviction?.reschedule ?? false;
  const replacementReadyMs = options.eviction?.replacementReadyMs ?? 0;
  const readyTimers = new Set<NodeJS.Timeout>();
  /** Terminating pods' removal timers, with the `namespace/name` each removes. */
  const timers = new Map<NodeJS.Timeout, string>();
  const pendingConflicts = new Map<string, number>();
  let replacements = 0;

  const state: FakeKubernetesState = {
    nodes: new Map(),
    pods: new Map(),
    pdbs: [],
    requests: [],
    evictions: [],
    resourceVersion: 100,
  };
  const nextVersion = () => String(++state.resourceVersion);
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  const readyCondition = (ready: boolean) => ({
    type: 'Ready',
    status: ready ? ('True' as const) : ('Unknown' as const),
    reason: ready ? 'KubeletReady' : 'NodeStatusUnknown',
    message: ready ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.',
    lastHeartbeatTime: now(),
    lastTransitionTime: now(),
  });

  for (const input of options.nodes) {
    const az = input.availabilityZone ?? 'eu-west-1a';
    state.nodes.set(input.name, {
      instanceId: input.instanceId,
      node: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: input.name,
          uid: randomUUID(),
          resourceVersion: nextVersion(),
          labels: { 'kubernetes.io/hostname': input.name, ...input.labels },
        },
        spec: {
          ...(input.unschedulable ? { unschedulable: true } : {}),
          ...(input.instanceId ? { providerID: `aws:///${az}/${input.instanceId}` } : {}),
        },
        status: { conditions: [readyCondition(input.ready ?? true)] },
      },
    });
  }

  const storePod = (input: FakePodInput): StoredPod => {
    const namespace = input.namespace ?? DEFAULT_NS;
    const stored: StoredPod = {
      ready: input.ready ?? true,
      pod: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: input.name,
          namespace,
          uid: randomUUID(),
          resourceVersion: nextVersion(),
          labels: { ...input.labels },
          ...(input.mirror
            ? { annotations: { 'kubernetes.io/config.mirror': randomBytes(16).toString('hex') } }
            : {}),
          ...(input.owner
            ? {
                ownerReferences: [
                  {
                    apiVersion: 'apps/v1',
                    kind: input.owner.kind,
                    name: input.owner.name,
                    uid: randomUUID(),
                    controller: true,
                  },
                ],
              }
            : {}),
        },
        spec: input.node ? { nodeName: input.node } : {},
        status: { phase: input.phase ?? (input.node ? 'Running' : 'Pending') },
      },
    };
    state.pods.set(`${namespace}/${input.name}`, stored);
    return stored;
  };
  for (const input of options.pods ?? []) storePod(input);

  const matches = (pod: KubePod, pdb: StoredPdb) =>
    pod.metadata.namespace === pdb.namespace &&
    Object.entries(pdb.selector).every(([key, value]) => pod.metadata.labels?.[key] === value);

  for (const input of options.pdbs ?? []) {
    const pdb: StoredPdb = { ...input, namespace: input.namespace ?? DEFAULT_NS, expected: 0 };
    pdb.expected =
      input.expectedPods ?? [...state.pods.values()].filter((p) => matches(p.pod, pdb)).length;
    state.pdbs.push(pdb);
  }

  const isHealthy = (stored: StoredPod) =>
    stored.pod.status?.phase === 'Running' &&
    stored.ready &&
    !stored.pod.metadata.deletionTimestamp;

  const allowedDisruptions = (pdb: StoredPdb) => {
    const healthy = [...state.pods.values()].filter((p) => matches(p.pod, pdb) && isHealthy(p));
    const desiredHealthy =
      pdb.minAvailable !== undefined ? pdb.minAvailable : pdb.expected - (pdb.maxUnavailable ?? 0);
    return { healthy: healthy.length, desiredHealthy, allowed: healthy.length - desiredHealthy };
  };

  /** Pods the budget expects that are not healthy: terminating, not yet replaced, not Ready. */
  const disruptedUnder = (pdb: StoredPdb) =>
    Math.max(0, pdb.expected - allowedDisruptions(pdb).healthy);

  const nodeByRef = (instanceOrNode: string): StoredNode => {
    const stored =
      state.nodes.get(instanceOrNode) ??
      [...state.nodes.values()].find((candidate) => candidate.instanceId === instanceOrNode);
    if (!stored) throw new Error(`fake Kubernetes API: no node or instance ${instanceOrNode}`);
    return stored;
  };

  const schedulableNode = () =>
    [...state.nodes.values()].find(
      (candidate) =>
        !candidate.node.spec.unschedulable &&
        (candidate.node.status?.conditions ?? []).some(
          (c) => c.type === 'Ready' && c.status === 'True',
        ),
    );

  /**
   * The scheduler and the kubelet: every unbound pod goes to a Ready, schedulable node, where it
   * is Pending for `replacementReadyMs`, then Running and ready. Called whenever a pod is made
   * or a node becomes Ready or schedulable.
   */
  const bindPending = () => {
    for (const stored of state.pods.values()) {
      if (stored.pod.spec.nodeName || stored.pod.metadata.deletionTimestamp) continue;
      const target = schedulableNode();
      if (!target) return;
      stored.pod.spec.nodeName = target.node.metadata.name;
      stored.pod.metadata.resourceVersion = nextVersion();
      const run = () => {
        stored.pod.status = { phase: 'Running' };
        stored.ready = true;
        stored.pod.metadata.resourceVersion = nextVersion();
      };
      if (replacementReadyMs <= 0) {
        run();
        continue;
      }
      const timer = setTimeout(() => {
        readyTimers.delete(timer);
        run();
      }, replacementReadyMs);
      readyTimers.add(timer);
    }
  };

  const setReady = (stored: StoredNode, ready: boolean) => {
    stored.node.status = { conditions: [readyCondition(ready)] };
    stored.node.metadata.resourceVersion = nextVersion();
    if (ready) bindPending();
  };

  /**
   * With `eviction.reschedule`, the evicted pod's controller makes a new pod: a ReplicaSet (or Job)
   * as soon as the pod is terminating — it counts only active pods, and a terminating one is not
   * (`IsPodActive`, kubernetes pkg/controller/controller_utils.go) — a StatefulSet only once the
   * pod is gone, since the new pod takes its name. DaemonSet pods are never evicted.
   */
  const replace = (stored: StoredPod) => {
    const owner = stored.pod.metadata.ownerReferences?.find((ref) => ref.controller);
    if (!reschedule || !owner || owner.kind === 'DaemonSet') return;
    const base = stored.pod.metadata.name.replace(/-r\d+$/, '');
    storePod({
      name: `${base}-r${++replacements}`,
      namespace: stored.pod.metadata.namespace,
      labels: stored.pod.metadata.labels,
      owner: { kind: owner.kind, name: owner.name },
      phase: 'Pending',
      ready: false,
    });
    bindPending();
  };

  const replacedOnceGone = (stored: StoredPod) =>
    stored.pod.metadata.ownerReferences?.find((ref) => ref.controller)?.kind === 'StatefulSet';

  const removeEvicted = (key: string) => {
    const stored = state.pods.get(key);
    if (!stored) return;
    state.pods.delete(key);
    nextVersion();
    if (replacedOnceGone(stored)) replace(stored);
  };

  // ---- HTTP -------------------------------------------------------------------------------

  const status = (code: number, reason: string, message: string, details?: unknown) => ({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage): Promise<{ code: number; body: unknown }> => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = req.method ?? 'GET';
    if (req.headers.authorization === undefined) {
      return {
        code: 403,
        body: status(
          403,
          'Forbidden',
          `forbidden: User "system:anonymous" cannot ${method.toLowerCase()} path "${url.pathname}"`,
        ),
      };
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      return { code: 401, body: status(401, 'Unauthorized', 'Unauthorized') };
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const raw = await readBody(req);

    // /api/v1/nodes[/name]
    if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'nodes') {
      const name = parts[3];
      if (name === undefined && parts.length === 3 && method === 'GET') {
        return {
          code: 200,
          body: {
            kind: 'NodeList',
            apiVersion: 'v1',
            metadata: { resourceVersion: String(state.resourceVersion) },
            items: [...state.nodes.values()].map((stored) => stored.node),
          },
        };
      }
      if (name === undefined || parts.length !== 4) {
        return {
          code: 404,
          body: status(404, 'NotFound', 'the server could not find the requested resource'),
        };
      }
      const stored = state.nodes.get(name);
      if (!stored) {
        return {
          code: 404,
          body: status(404, 'NotFound', `nodes "${name}" not found`, { name, kind: 'nodes' }),
        };
      }
      if (method === 'GET') {
        if (stored.readyAfterReads !== undefined && --stored.readyAfterReads <= 0) {
          stored.readyAfterReads = undefined;
          setReady(stored, true);
        }
        return { code: 200, body: stored.node };
      }
      if (method === 'PATCH') {
        const type = (req.headers['content-type'] ?? '').split(';')[0];
        if (
          type !== 'application/merge-patch+json' &&
          type !== 'application/strategic-merge-patch+json'
        ) {
          return {
            code: 415,
            body: status(415, 'UnsupportedMediaType', `the fake does not support ${type} patches`),
          };
        }
        let patch: {
          metadata?: { resourceVersion?: string; labels?: Record<string, string | null> };
          spec?: { unschedulable?: boolean | null };
        };
        try {
          patch = JSON.parse(raw) as typeof patch;
        } catch {
          return { code: 400, body: status(400, 'BadRequest', 'the patch is not JSON') };
        }
        const conflicts = pendingConflicts.get(name) ?? 0;
        if (conflicts > 0) {
          pendingConflicts.set(name, conflicts - 1);
          stored.node.metadata.resourceVersion = nextVersion();
        }
        const sent = patch.metadata?.resourceVersion;
        if (sent !== undefined && sent !== stored.node.metadata.resourceVersion) {
          return {
            code: 409,
            body: status(
              409,
              'Conflict',
              `Operation cannot be fulfilled on nodes "${name}": the object has been modified; please apply your changes to the latest version and try again`,
              { name, kind: 'nodes' },
            ),
          };
        }
        if (patch.spec && 'unschedulable' in patch.spec) {
          if (patch.spec.unschedulable) stored.node.spec.unschedulable = true;
          else delete stored.node.spec.unschedulable;
        }
        if (patch.metadata?.labels) {
          const merged = { ...stored.node.metadata.labels, ...patch.metadata.labels };
          stored.node.metadata.labels = Object.fromEntries(
            Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null),
          );
        }
        stored.node.metadata.resourceVersion = nextVersion();
        bindPending();
        return { code: 200, body: stored.node };
      }
      return { code: 405, body: status(405, 'MethodNotAllowed', `${method} is not allowed`) };
    }

    // /api/v1/pods and /api/v1/namespaces/<ns>/pods
    const listNs =
      parts.length === 5 && parts[2] === 'namespaces' && parts[4] === 'pods' ? parts[3] : undefined;
    if (
      method === 'GET' &&
      parts[0] === 'api' &&
      parts[1] === 'v1' &&
      ((parts.length === 3 && parts[2] === 'pods') || listNs !== undefined)
    ) {
      const selectors: [string, string][] = [];
      for (const term of (url.searchParams.get('fieldSelector') ?? '').split(',').filter(Boolean)) {
        const [field = '', value = ''] = term.split(/==?/);
        if (!['spec.nodeName', 'metadata.namespace', 'status.phase'].includes(field)) {
          return {
            code: 400,
            body: status(400, 'BadRequest', `field label not supported: ${field}`),
          };
        }
        selectors.push([field, value]);
      }
      const fieldValue = (pod: KubePod, field: string) =>
        field === 'spec.nodeName'
          ? (pod.spec.nodeName ?? '')
          : field === 'metadata.namespace'
            ? pod.metadata.namespace
            : (pod.status?.phase ?? '');
      const items = [...state.pods.values()]
        .map((stored) => stored.pod)
        .filter((pod) => listNs === undefined || pod.metadata.namespace === listNs)
        .filter((pod) => selectors.every(([field, value]) => fieldValue(pod, field) === value));
      return {
        code: 200,
        body: {
          kind: 'PodList',
          apiVersion: 'v1',
          metadata: { resourceVersion: String(state.resourceVersion) },
          items,
        },
      };
    }

    // POST /api/v1/namespaces/<ns>/pods/<name>/eviction
    if (
      parts.length === 7 &&
      parts[0] === 'api' &&
      parts[1] === 'v1' &&
      parts[2] === 'namespaces' &&
      parts[4] === 'pods' &&
      parts[6] === 'eviction'
    ) {
      if (method !== 'POST') {
        return { code: 405, body: status(405, 'MethodNotAllowed', `${method} is not allowed`) };
      }
      const namespace = parts[3] ?? '';
      const name = parts[5] ?? '';
      const key = `${namespace}/${name}`;
      let eviction: { apiVersion?: string; kind?: string; metadata?: { name?: string } };
      try {
        eviction = JSON.parse(raw) as typeof eviction;
      } catch {
        return { code: 400, body: status(400, 'BadRequest', 'the body is not JSON') };
      }
      if (eviction.kind !== 'Eviction' || eviction.apiVersion !== 'policy/v1') {
        return {
          code: 400,
          body: status(400, 'BadRequest', 'expected an Eviction of apiVersion policy/v1'),
        };
      }
      if (eviction.metadata?.name !== name) {
        return {
          code: 400,
          body: status(400, 'BadRequest', `name in URL does not match name in Eviction object`),
        };
      }
      const stored = state.pods.get(key);
      const budgets = stored ? state.pdbs.filter((pdb) => matches(stored.pod, pdb)) : [];
      const record = (code: number) => {
        const [budget] = budgets;
        state.evictions.push({
          pod: key,
          status: code,
          at: Date.now(),
          ...(budget && budgets.length === 1
            ? { budget: { name: budget.name, disrupted: disruptedUnder(budget) } }
            : {}),
        });
      };
      if (!stored) {
        record(404);
        return {
          code: 404,
          body: status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }),
        };
      }
      const ok = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        code: 201,
      };
      if (stored.pod.metadata.deletionTimestamp) {
        record(201);
        return { code: 201, body: ok };
      }
      if (stored.pod.status?.phase === 'Running') {
        if (budgets.length > 1) {
          record(500);
          return {
            code: 500,
            body: status(
              500,
              'InternalError',
              'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
            ),
          };
        }
        const budget = budgets[0];
        if (budget) {
          const { healthy, desiredHealthy, allowed } = allowedDisruptions(budget);
          if (allowed <= 0) {
            record(429);
            return {
              code: 429,
              body: status(
                429,
                'TooManyRequests',
                "Cannot evict pod as it would violate the pod's disruption budget.",
                {
                  causes: [
                    {
                      reason: 'DisruptionBudget',
                      message: `The disruption budget ${budget.name} needs ${desiredHealthy} healthy pods and has ${healthy} currently`,
                    },
                  ],
                },
              ),
            };
          }
        }
      }
      stored.pod.metadata.deletionTimestamp = now();
      stored.pod.metadata.resourceVersion = nextVersion();
      if (!replacedOnceGone(stored)) replace(stored);
      if (evictionDelayMs <= 0) {
        removeEvicted(key);
      } else {
        const timer = setTimeout(() => {
          timers.delete(timer);
          removeEvicted(key);
        }, evictionDelayMs);
        timers.set(timer, key);
      }
      record(201);
      return { code: 201, body: ok };
    }

    return {
      code: 404,
      body: status(404, 'NotFound', 'the server could not find the requested resource'),
    };
  };

  const ca = await createDrillCa({ commonName: 'fake kubernetes CA' });
  const leaf = await issueValidCertificate(ca, ['127.0.0.1']);
  const server: Server = createServer(
    { cert: leaf.certPem, key: leaf.keyPem },
    (req: IncomingMessage, res: ServerResponse) => {
      handle(req)
        .catch((error: unknown) => ({
          code: 500,
          body: status(500, 'InternalError', (error as Error).message),
        }))
        .then(({ code, body }) => {
          state.requests.push({
            method: req.method ?? '',
            path: (req.url ?? '').split('?')[0] ?? '',
            status: code,
            at: Date.now(),
          });
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        });
    },
  );
  server.on('tlsClientError', () => undefined);
  const listening = await listenOnLoopback(server);
  const url = `https://127.0.0.1:${listening.port}`;

  return {
    url,
    caPem: ca.certPem,
    token,
    state,
    requests: state.requests,
    kubeconfigJson(overrides = {}) {
      return JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'fake',
            cluster: {
              server: url,
              'certificate-authority-data': Buffer.from(ca.certPem).toString('base64'),
            },
          },
        ],
        users: [{ name: 'drpilot', user: { token: overrides.token ?? token } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'drpilot' } }],
        'current-context': 'fake',
        preferences: {},
      });
    },
    node(name) {
      return nodeByRef(name).node;
    },
    podsOn(nodeName, podOptions = {}) {
      return [...state.pods.values()]
        .filter(
          (stored) =>
            stored.pod.spec.nodeName === nodeName &&
            (podOptions.includeTerminating || !stored.pod.metadata.deletionTimestamp),
        )
        .map((stored) => `${stored.pod.metadata.namespace}/${stored.pod.metadata.name}`)
        .sort();
    },
    setNodeReady(name, ready) {
      const stored = nodeByRef(name);
      stored.readyAfterReads = undefined;
      setReady(stored, ready);
    },
    touchNode(name) {
      const stored = nodeByRef(name);
      if (stored.node.status?.conditions?.[0]) {
        stored.node.status.conditions[0].lastHeartbeatTime = now();
      }
      stored.node.metadata.resourceVersion = nextVersion();
    },
    conflictOnNextPatch(name, times = 1) {
      nodeByRef(name);
      pendingConflicts.set(name, (pendingConflicts.get(name) ?? 0) + times);
    },
    instanceStopped(instanceOrNode) {
      const stored = nodeByRef(instanceOrNode);
      stored.readyAfterReads = undefined;
      setReady(stored, false);
    },
    instanceStarted(instanceOrNode, startOptions = {}) {
      const stored = nodeByRef(instanceOrNode);
      const reads = startOptions.readyAfterReads ?? 2;
      if (reads <= 0) setReady(stored, true);
      else stored.readyAfterReads = reads;
    },
    finishTerminating() {
      for (const [timer, key] of timers) {
        clearTimeout(timer);
        timers.delete(timer);
        removeEvicted(key);
      }
    },
    linkInstance(instanceId, nodeName) {
      const stored = nodeByRef(nodeName);
      stored.instanceId = instanceId;
      stored.node.spec.providerID = `aws:///eu-west-1a/${instanceId}`;
      stored.node.metadata.resourceVersion = nextVersion();
    },
    close() {
      for (const timer of [...timers.keys(), ...readyTimers]) clearTimeout(timer);
      readyTimers.clear();
      timers.clear();
      return listening.close();
    },
  };
}
