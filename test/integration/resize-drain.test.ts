/**
 * Cordon, drain, wait for Ready and uncordon as scenarios that run against two API servers: the
 * real one (kube-apiserver v1.37.2 with its controller-manager, scheduler and kwok nodes; drpilot
 * authenticated as a ServiceAccount holding only the README's RBAC rights) and the in-process
 * fake the embedded drill uses. The same assertions hold on both, so the fake cannot drift from
 * Kubernetes. Below them: what only the fake can stage (a write injected just before a PATCH,
 * the kubelet's heartbeats counted) and the pure parts (node names, kubeconfig parsing).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DrainBlockedError,
  DrainTimeoutError,
  NODE_NAME_TAG,
  NodeNotReadyError,
  cordon,
  cordonAndDrain,
  findNodeForInstance,
  nodeNameCandidates,
  nodeNameForInstance,
  uncordon,
  waitForReady,
  type DrainProgress,
} from '../../lambdas/adapters/kubernetes/drain';
import {
  KubeApiError,
  createKubeApi,
  isNodeReady,
  type KubeApiClient,
} from '../../lambdas/adapters/kubernetes/kube-api';
import { KubeconfigError, parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import { kubernetesNodeDrainer } from '../../lambdas/adapters/kubernetes/node-drainer';
import {
  startFakeKubernetesApi,
  type FakeKubernetesApi,
  type FakeKubernetesOptions,
} from '../../cli/emulator/fake-kubernetes-api';
import { useK8sWorld } from '../support/k8s-world';
import {
  fakeBackend,
  realBackend,
  uniqueInstanceId,
  withToken,
  workloadOf,
  workloads,
} from '../support/kube-backends';

const k8s = useK8sWorld();
const backends = [fakeBackend(), realBackend(k8s)];

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

/** Virtual time: `sleep` advances the clock that `now` reads, so timeouts cost nothing. */
function virtualClock() {
  const clock = { t: 0, sleeps: [] as number[] };
  return {
    clock,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
    now: () => clock.t,
  };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** For drains that finish once the cluster has moved (pods gone, replacements Ready): real time. */
const settling = { timeoutMs: 30_000, pollMs: 50, sleep: realSleep };

const evictionSummary = (evictions: { pod: string; status: number }[]) =>
  evictions.map((e) => `${workloadOf(e.pod)} ${e.status}`).sort();

const evictionBody = (namespace: string, name: string) => ({
  contentType: 'application/json',
  value: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
});

describe.each(backends)('drain against the $name', (backend) => {
  it('cordons, evicts ordinary pods and leaves DaemonSet and mirror pods', async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 2, b: 1 } }],
      statefulSets: [{ name: 'db', node: 'a' }],
      daemonSets: ['exporter'],
      mirrorPods: [{ name: 'proxy-a', node: 'a' }],
    });
    const events: DrainProgress[] = [];

    const result = await cordonAndDrain(cluster.api, cluster.node('a'), {
      ...settling,
      onProgress: (event) => events.push(event),
    });

    expect(result.alreadyCordoned).toBe(false);
    expect(workloads(result.evicted)).toEqual(['db', 'web', 'web']);
    expect(result.skipped.map((s) => `${workloadOf(s.pod)} ${s.reason}`).sort()).toEqual([
      'exporter daemonset',
      'proxy mirror',
    ]);
    expect((await cluster.readNode('a')).spec.unschedulable).toBe(true);
    expect(workloads(await cluster.podsOn('a'))).toEqual(['exporter', 'proxy']);
    // Their controllers put the evicted pods on the schedulable node.
    await expect
      .poll(async () => workloads(await cluster.podsOn('b')), { timeout: 30_000 })
      .toEqual(['db', 'exporter', 'web', 'web', 'web']);
    expect(evictionSummary(await cluster.evictions())).toEqual(['db 201', 'web 201', 'web 201']);
    expect(events[0]).toEqual({
      kind: 'cordoned',
      node: cluster.node('a'),
      alreadyCordoned: false,
    });
    expect(events.at(-1)).toEqual({ kind: 'drained', node: cluster.node('a') });
  });

  it('waits until evicted pods have left the node, without evicting them again', async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 2 } }],
      termination: 'held',
    });
    const events: DrainProgress[] = [];
    let released: Promise<void> | undefined;

    await cordonAndDrain(cluster.api, cluster.node('a'), {
      ...settling,
      onProgress: (event) => {
        events.push(event);
        if (event.kind === 'waiting') released ??= cluster.releaseTerminating();
      },
    });
    await released;

    expect(await cluster.podsOn('a', { includeTerminating: true })).toEqual([]);
    expect(events.filter((e) => e.kind === 'waiting').length).toBeGreaterThan(0);
    expect(evictionSummary(await cluster.evictions())).toEqual(['web 201', 'web 201']);
  });

  it('a PodDisruptionBudget that keeps refusing (429) ends in DrainBlockedError at the timeout, node uncordoned, budget kept', async () => {
    // b is cordoned too: the evicted pod's replacement has nowhere to run, so the budget stays spent.
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b', unschedulable: true }],
      deployments: [{ name: 'web', perNode: { a: 2, b: 1 } }],
      budgets: [{ name: 'web', app: 'web', minAvailable: 2 }],
    });
    const time = virtualClock();
    const events: DrainProgress[] = [];

    const error = await cordonAndDrain(cluster.api, cluster.node('a'), {
      timeoutMs: 30_000,
      pollMs: 1_000,
      maxBackoffMs: 8_000,
      sleep: time.sleep,
      now: time.now,
      onProgress: (event) => events.push(event),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DrainBlockedError);
    const blocked = error as DrainBlockedError;
    expect(blocked.node).toBe(cluster.node('a'));
    expect(workloads(blocked.evicted)).toEqual(['web']);
    expect(workloads(blocked.blockedPods)).toEqual(['web']);
    expect(blocked.uncordoned).toBe(true);
    expect(blocked.message).toMatch(/web-.*429/);
    // Never more disruptions than the budget allows: the refused pod still runs on a.
    expect(await cluster.podsOn('a')).toEqual(expect.arrayContaining(blocked.blockedPods));
    expect(workloads(await cluster.podsOn('b'))).toEqual(['web']);
    const answers = evictionSummary(await cluster.evictions());
    expect(answers.filter((a) => a === 'web 201')).toHaveLength(1);
    expect(answers.filter((a) => a === 'web 429').length).toBeGreaterThan(3);
    // Bounded exponential backoff, within the timeout.
    expect(time.clock.sleeps).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(time.clock.t).toBeLessThanOrEqual(30_000);
    // The node is not lost to the cluster: uncordoned.
    expect((await cluster.readNode('a')).spec.unschedulable).toBeUndefined();
    expect(events.at(-1)).toEqual({
      kind: 'uncordoned',
      node: cluster.node('a'),
      reason: 'blocked',
    });
    // Schedulable again, a takes the evicted pod's replacement, which had nowhere to run.
    await expect
      .poll(async () => workloads(await cluster.podsOn('a')), { timeout: 30_000 })
      .toEqual(['web', 'web']);
  });

  it("the Eviction API's answers: 429 with the budget's Status, 404 for a pod that is gone, 201 again for one already terminating", async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 1, b: 1 } }],
      budgets: [{ name: 'web', app: 'web', minAvailable: 2 }],
    });
    const { namespace, api } = cluster;
    const [guarded] = await cluster.podsOn('a');
    const name = guarded!.split('/')[1]!;

    const refused = await api.call(
      'POST',
      `/api/v1/namespaces/${namespace}/pods/${name}/eviction`,
      evictionBody(namespace, name),
    );
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web needs 2 healthy pods and has 2 currently',
          },
        ],
      },
      code: 429,
    });
    expect(await api.evictPod(namespace, name)).toBe('blocked-by-pdb');

    const missing = await api.call(
      'POST',
      `/api/v1/namespaces/${namespace}/pods/gone-0/eviction`,
      evictionBody(namespace, 'gone-0'),
    );
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "gone-0" not found',
      reason: 'NotFound',
      details: { name: 'gone-0', kind: 'pods' },
      code: 404,
    });
    expect(await api.evictPod(namespace, 'gone-0')).toBe('gone');
  });

  it('a pod already terminating is evicted again without a budget check: 201', async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 1 } }],
      termination: 'held',
    });
    const { namespace, api } = cluster;
    const [pod] = await cluster.podsOn('a');
    const name = pod!.split('/')[1]!;
    const path = `/api/v1/namespaces/${namespace}/pods/${name}/eviction`;

    const first = await api.call('POST', path, evictionBody(namespace, name));
    const again = await api.call('POST', path, evictionBody(namespace, name));

    expect([first.statusCode, again.statusCode]).toEqual([201, 201]);
    expect(again.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
    expect(await cluster.podsOn('a', { includeTerminating: true })).toContain(pod);
    expect(await cluster.podsOn('a')).not.toContain(pod);
  });

  it('a budget with maxUnavailable lets exactly that many pods go', async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b', unschedulable: true }],
      deployments: [{ name: 'web', perNode: { a: 3 } }],
      budgets: [{ name: 'web', app: 'web', maxUnavailable: 1 }],
    });
    const error = await cordonAndDrain(cluster.api, cluster.node('a'), {
      timeoutMs: 5_000,
      pollMs: 1_000,
      ...virtualClock(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrainBlockedError);
    const blocked = error as DrainBlockedError;
    expect(workloads(blocked.evicted)).toEqual(['web']);
    expect(workloads(blocked.blockedPods)).toEqual(['web', 'web']);
    expect(await cluster.podsOn('a')).toEqual(expect.arrayContaining(blocked.blockedPods));
  });

  it('a budget delays eviction until the replacement pod is Ready elsewhere, then the drain completes', async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 2, b: 1 } }],
      budgets: [{ name: 'web', app: 'web', minAvailable: 2 }],
    });
    const events: DrainProgress[] = [];
    const result = await cordonAndDrain(cluster.api, cluster.node('a'), {
      ...settling,
      onProgress: (event) => events.push(event),
    });
    expect(workloads(result.evicted)).toEqual(['web', 'web']);
    expect(events.some((e) => e.kind === 'blocked')).toBe(true);
    expect(evictionSummary(await cluster.evictions())).toContain('web 429');
    expect(await cluster.podsOn('a', { includeTerminating: true })).toEqual([]);
    await expect
      .poll(async () => workloads(await cluster.podsOn('b')), { timeout: 30_000 })
      .toEqual(['web', 'web', 'web']);
  });

  it('evicted pods that never leave end in DrainTimeoutError, node uncordoned', async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 1 } }],
      termination: 'held',
    });
    const error = await cordonAndDrain(cluster.api, cluster.node('a'), {
      timeoutMs: 5_000,
      pollMs: 1_000,
      ...virtualClock(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrainTimeoutError);
    expect(workloads((error as DrainTimeoutError).remainingPods)).toEqual(['web']);
    expect((await cluster.readNode('a')).spec.unschedulable).toBeUndefined();
  });

  it("leaves an operator's earlier cordon in place when the drain is blocked", async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a', unschedulable: true }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 1, b: 1 } }],
      budgets: [{ name: 'web', app: 'web', minAvailable: 2 }],
    });
    const error = await cordonAndDrain(cluster.api, cluster.node('a'), {
      timeoutMs: 3_000,
      pollMs: 1_000,
      ...virtualClock(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrainBlockedError);
    expect((error as DrainBlockedError).uncordoned).toBe(false);
    expect((await cluster.readNode('a')).spec.unschedulable).toBe(true);
  });

  it('a stale resourceVersion is refused (409) and the patch retried once with the fresh one', async () => {
    const cluster = await backend.cluster({ nodes: [{ short: 'a' }, { short: 'b' }] });
    const stale = (await cluster.readNode('a')).metadata.resourceVersion!;
    await cluster.touchNode('a');
    const before = Number((await cluster.readNode('a')).metadata.resourceVersion);

    const node = await cluster.api.patchNodeUnschedulable(cluster.node('a'), true, stale);

    expect(node.spec.unschedulable).toBe(true);
    expect(Number(node.metadata.resourceVersion)).toBeGreaterThan(before);
    expect(await cluster.nodePatches()).toEqual([409, 200]);
  });

  it('waits through a stop and start until the node is Ready, then uncordons', async () => {
    const id = uniqueInstanceId();
    const cluster = await backend.cluster({ nodes: [{ short: 'a', instanceId: id }] });
    const name = cluster.node('a');
    await cordon(cluster.api, name);
    await cluster.instanceStopped(id);
    expect(isNodeReady(await cluster.readNode('a'))).toBe(false);

    const stillStopped = await waitForReady(cluster.api, name, {
      timeoutMs: 3_000,
      pollMs: 1_000,
      ...virtualClock(),
    }).catch((e: unknown) => e);
    expect(stillStopped).toBeInstanceOf(NodeNotReadyError);
    expect((stillStopped as Error).message).toMatch(/not Ready within 3000 ms/);

    await cluster.instanceStarted(id);
    expect(isNodeReady(await waitForReady(cluster.api, name, settling))).toBe(true);
    await uncordon(cluster.api, name);
    expect((await cluster.readNode('a')).spec.unschedulable).toBeUndefined();
  });

  it('a wrong token is a clear 401 error, not retried; no credentials at all is anonymous: 403', async () => {
    const cluster = await backend.cluster({ nodes: [{ short: 'a' }, { short: 'b' }] });
    const wrong = createKubeApi(parseKubeconfig(withToken(cluster.kubeconfigJson, 'wrong')));
    cleanups.push(() => wrong.close());

    const error = await cordonAndDrain(wrong, cluster.node('a'), {
      timeoutMs: 1_000,
      ...virtualClock(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).statusCode).toBe(401);
    expect((error as Error).message).toMatch(
      /401 \(Unauthorized\): the API server refused the credentials/,
    );
    await expect(
      waitForReady(wrong, cluster.node('a'), { timeoutMs: 60_000, ...virtualClock() }),
    ).rejects.toThrow(/401/);
    expect((await cluster.readNode('a')).spec.unschedulable).toBeUndefined();

    const { server, caData } = parseKubeconfig(cluster.kubeconfigJson);
    const anonymous = createKubeApi({ server, ...(caData ? { caData } : {}) });
    cleanups.push(() => anonymous.close());
    const answer = await anonymous.call('GET', `/api/v1/nodes/${cluster.node('a')}`);
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: expect.stringContaining('User "system:anonymous" cannot get'),
    });
  });

  it('lists pods by the spec.nodeName field selector', async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 1, b: 1 } }],
    });
    const pods = await cluster.api.listPodsOnNode(cluster.node('b'));
    expect(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(
      await cluster.podsOn('b'),
    );
    expect(pods.map((p) => p.spec.nodeName)).toEqual([cluster.node('b')]);
  });

  it('finds the node of an instance by providerID, else by a name from its private DNS name', async () => {
    const id = uniqueInstanceId();
    const cluster = await backend.cluster({
      nodes: [{ short: 'worker-7', instanceId: id }, { short: 'ip-10-0-9-9' }],
    });
    const byProvider = { id, privateDnsName: 'ip-10-0-1-23.eu-west-1.compute.internal', tags: {} };
    expect((await findNodeForInstance(cluster.api, byProvider)).metadata.name).toBe(
      cluster.node('worker-7'),
    );
    const byName = {
      id: uniqueInstanceId(),
      privateDnsName: `${cluster.node('ip-10-0-9-9')}.eu-west-1.compute.internal`,
      tags: {},
    };
    expect((await findNodeForInstance(cluster.api, byName)).metadata.name).toBe(
      cluster.node('ip-10-0-9-9'),
    );
    const unknown = uniqueInstanceId();
    await expect(
      findNodeForInstance(cluster.api, { id: unknown, privateDnsName: null, tags: {} }),
    ).rejects.toThrow(new RegExp(`no Kubernetes node for instance ${unknown}.*drpilot:node-name`));
  });

  it("kubernetesNodeDrainer drains, waits for Ready after a stop/start and uncordons the instance's node", async () => {
    const [id, other] = [uniqueInstanceId(), uniqueInstanceId()];
    const cluster = await backend.cluster({
      nodes: [
        { short: 'a', instanceId: id },
        { short: 'b', instanceId: other },
      ],
      deployments: [{ name: 'web', perNode: { a: 1 } }],
    });
    const drained: string[] = [];
    const drainer = kubernetesNodeDrainer(cluster.api, {
      drain: settling,
      ready: settling,
      onDrained: (instance, result) =>
        drained.push(`${instance}: ${workloads(result.evicted).join(',')}`),
    });

    await drainer.drain(id);
    expect(drained).toEqual([`${id}: web`]);
    expect((await cluster.readNode('a')).spec.unschedulable).toBe(true);
    expect(await cluster.podsOn('a')).toEqual([]);

    // What an EC2 executor's test forwards from its instance state changes.
    await cluster.instanceStopped(id);
    await cluster.instanceStarted(id);
    await drainer.waitReady(id);
    await drainer.uncordon(id);
    expect((await cluster.readNode('a')).spec.unschedulable).toBeUndefined();
    expect(await drainer.nodeName(id)).toBe(cluster.node('a'));
  });
});

describe('drain identity on the real API server (RBAC)', () => {
  it("the README's rights drain a node and allow nothing more: deleting a pod is forbidden (403)", async () => {
    const cluster = await realBackend(k8s).cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 1 } }],
    });
    await cordonAndDrain(cluster.api, cluster.node('a'), settling);
    const [pod] = await cluster.podsOn('b');
    const answer = await cluster.api.call(
      'DELETE',
      `/api/v1/namespaces/${cluster.namespace}/pods/${pod!.split('/')[1]}`,
    );
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toMatchObject({
      reason: 'Forbidden',
      message: expect.stringContaining(
        `User "system:serviceaccount:${cluster.namespace}:drpilot" cannot delete resource "pods"`,
      ),
    });
  });
});

// ---- Only the fake can stage these ------------------------------------------------------------

async function fakeCluster(
  options: FakeKubernetesOptions,
): Promise<{ fake: FakeKubernetesApi; api: KubeApiClient }> {
  const fake = await startFakeKubernetesApi(options);
  cleanups.push(() => fake.close());
  const api = createKubeApi(parseKubeconfig(fake.kubeconfigJson()));
  cleanups.push(() => api.close());
  return { fake, api };
}

const TWO_NODES = [{ name: 'node-a' }, { name: 'node-b' }];

describe('optimistic concurrency, staged by the fake (a write just before the PATCH applies)', () => {
  it('cordon meets a concurrent write, re-reads the node and retries once', async () => {
    const { fake, api } = await fakeCluster({ nodes: TWO_NODES });
    fake.conflictOnNextPatch('node-a');

    await cordon(api, 'node-a');

    expect(fake.node('node-a').spec.unschedulable).toBe(true);
    const calls = fake.requests.map((r) => `${r.method} ${r.status}`);
    expect(calls).toEqual(['GET 200', 'PATCH 409', 'GET 200', 'PATCH 200']);
  });

  it('a second conflict is an error: only one retry', async () => {
    const { fake, api } = await fakeCluster({ nodes: TWO_NODES });
    fake.conflictOnNextPatch('node-a', 2);
    const error = await cordon(api, 'node-a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).statusCode).toBe(409);
    expect((error as KubeApiError).message).toMatch(
      /PATCH \/api\/v1\/nodes\/node-a.*409.*modified/,
    );
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
    expect(fake.node('node-a').spec.unschedulable).toBeUndefined();
  });

  it('every write bumps the resourceVersion', async () => {
    const { fake, api } = await fakeCluster({ nodes: TWO_NODES });
    const v0 = Number((await api.getNode('node-a')).metadata.resourceVersion);
    const v1 = Number((await api.patchNodeUnschedulable('node-a', true)).metadata.resourceVersion);
    fake.setNodeReady('node-a', false);
    const v2 = Number((await api.getNode('node-a')).metadata.resourceVersion);
    const v3 = Number((await uncordon(api, 'node-a')).metadata.resourceVersion);
    expect(v0).toBeLessThan(v1);
    expect(v1).toBeLessThan(v2);
    expect(v2).toBeLessThan(v3);
  });
});

describe('the fake kubelet', () => {
  it('a started instance turns Ready after the given number of node reads; waitForReady polls at pollMs', async () => {
    const { fake, api } = await fakeCluster({ nodes: [{ name: 'node-a', instanceId: 'i-0abc' }] });
    fake.instanceStopped('i-0abc');
    fake.instanceStarted('i-0abc', { readyAfterReads: 3 });
    const time = virtualClock();
    const node = await waitForReady(api, 'node-a', { timeoutMs: 60_000, pollMs: 5_000, ...time });
    expect(isNodeReady(node)).toBe(true);
    expect(time.clock.sleeps).toEqual([5_000, 5_000]);
  });

  it('setNodeReady flips the Ready condition; a wrong token is refused on every request', async () => {
    const { fake, api } = await fakeCluster({ nodes: [{ name: 'node-a', ready: false }] });
    expect(isNodeReady(await api.getNode('node-a'))).toBe(false);
    fake.setNodeReady('node-a', true);
    expect(isNodeReady(await api.getNode('node-a'))).toBe(true);

    const wrong = createKubeApi(parseKubeconfig(fake.kubeconfigJson({ token: 'wrong' })));
    cleanups.push(() => wrong.close());
    const before = fake.requests.length;
    await cordonAndDrain(wrong, 'node-a', { timeoutMs: 1_000, ...virtualClock() }).catch(
      () => undefined,
    );
    expect(fake.requests.slice(before).map((r) => r.status)).toEqual([401]);
  });

  it('refuses a server whose certificate the kubeconfig CA did not sign', async () => {
    const { fake } = await fakeCluster({ nodes: TWO_NODES });
    const { fake: other } = await fakeCluster({ nodes: TWO_NODES });
    const api = createKubeApi({ ...parseKubeconfig(fake.kubeconfigJson()), caData: other.caPem });
    cleanups.push(() => api.close());
    await expect(api.getNode('node-a')).rejects.toThrow(
      /GET \/api\/v1\/nodes\/node-a to https:\/\/127\.0\.0\.1:\d+ failed/,
    );
  });
});

describe('node names for EC2 instances', () => {
  const instance = {
    id: 'i-0abc',
    privateDnsName: 'ip-10-0-1-23.eu-west-1.compute.internal',
    tags: {} as Record<string, string>,
  };

  it('uses the tag, then the private DNS name, then the instance id', () => {
    expect(nodeNameForInstance(instance)).toBe('ip-10-0-1-23.eu-west-1.compute.internal');
    expect(nodeNameForInstance({ ...instance, tags: { [NODE_NAME_TAG]: 'worker-1' } })).toBe(
      'worker-1',
    );
    expect(nodeNameForInstance({ ...instance, privateDnsName: '' })).toBe('i-0abc');
    expect(nodeNameCandidates(instance)).toEqual([
      'ip-10-0-1-23.eu-west-1.compute.internal',
      'ip-10-0-1-23',
      'i-0abc',
    ]);
  });
});

describe('parseKubeconfig', () => {
  const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString(
    'base64',
  );
  const key = Buffer.from(
    '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
  ).toString('base64');
  const config = (
    overrides: { cluster?: object; user?: object; context?: object; current?: string | null } = {},
  ) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'prod',
          cluster: {
            server: 'https://rancher.example.com/k8s/clusters/c-abc12',
            'certificate-authority-data': ca,
            ...overrides.cluster,
          },
        },
      ],
      users: [{ name: 'drain', user: overrides.user ?? { token: 'kubeconfig-u-abc:secret' } }],
      contexts: [
        { name: 'prod', context: { cluster: 'prod', user: 'drain', ...overrides.context } },
      ],
      ...(overrides.current === null ? {} : { 'current-context': overrides.current ?? 'prod' }),
    });

  it('returns server, CA and token of the current context', () => {
    expect(parseKubeconfig(config())).toEqual({
      server: 'https://rancher.example.com/k8s/clusters/c-abc12',
      caData: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      token: 'kubeconfig-u-abc:secret',
    });
  });

  it('returns client certificates as PEM', () => {
    const parsed = parseKubeconfig(
      config({ user: { 'client-certificate-data': ca, 'client-key-data': key } }),
    );
    expect(parsed.clientCertData).toContain('BEGIN CERTIFICATE');
    expect(parsed.clientKeyData).toContain('BEGIN PRIVATE KEY');
    expect(parsed.token).toBeUndefined();
  });

  it.each([
    ['', /kubeconfig is empty/],
    [
      'apiVersion: v1\nkind: Config\n',
      /not JSON \(YAML is not supported\).*kubectl config view --raw --flatten --minify -o json/,
    ],
    ['{"clusters": [', /not valid JSON/],
    [config({ current: null }), /no "current-context"/],
    [config({ current: 'staging' }), /"contexts" has no entry named "staging" \(have "prod"\)/],
    [config({ context: { cluster: 'other' } }), /"clusters" has no entry named "other"/],
    [config({ context: { user: '' } }), /context "prod" names no "user"/],
    [config({ cluster: { server: '' } }), /cluster "prod" has no "server"/],
    [config({ cluster: { server: 'http://10.0.0.1:6443' } }), /"server" must be https/],
    [
      config({ cluster: { 'certificate-authority': '/etc/ca.crt' } }),
      /uses "certificate-authority".*embed "certificate-authority-data"/,
    ],
    [config({ cluster: { 'insecure-skip-tls-verify': true } }), /insecure-skip-tls-verify/],
    [
      config({ cluster: { 'certificate-authority-data': 'bm90IGEgY2VydA==' } }),
      /"certificate-authority-data" is not base64-encoded PEM/,
    ],
    [
      config({ user: {} }),
      /user "drain" has no credentials: expected "token" or "client-certificate-data"/,
    ],
    [
      config({ user: { 'client-certificate-data': ca } }),
      /"client-certificate-data" but no "client-key-data"/,
    ],
    [config({ user: { exec: { command: 'aws' } } }), /uses "exec".*service-account token/],
    [config({ user: { tokenFile: '/var/run/token' } }), /uses "tokenFile".*embed "token"/],
    [config({ user: { username: 'admin', password: 'x' } }), /basic auth/],
  ])('refuses %#: %s', (text, message) => {
    expect(() => parseKubeconfig(text)).toThrow(KubeconfigError);
    expect(() => parseKubeconfig(text)).toThrow(message);
  });

  it('takes another context when asked', () => {
    expect(() => parseKubeconfig(config(), { context: 'dr' })).toThrow(/no entry named "dr"/);
  });
});
