/**
 * Cordon and drain against a stateful fake Kubernetes API (HTTPS on 127.0.0.1) that encodes the
 * API's rules: 401 without the bearer token, 409 on a stale resourceVersion, 429 from the
 * Eviction API while a PodDisruptionBudget allows no disruption.
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
} from '../../lambdas/k8s/drain';
import {
  KubeApiError,
  createKubeApi,
  isNodeReady,
  type KubeApiClient,
} from '../../lambdas/k8s/kube-api';
import { KubeconfigError, parseKubeconfig } from '../../lambdas/k8s/kubeconfig';
import { kubernetesNodeDrainer } from '../../lambdas/k8s/node-drainer';
import {
  startFakeKubernetesApi,
  type FakeKubernetesApi,
  type FakeKubernetesOptions,
} from '../../cli/embedded/fake-kubernetes-api';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function cluster(
  options: FakeKubernetesOptions,
): Promise<{ fake: FakeKubernetesApi; api: KubeApiClient }> {
  const fake = await startFakeKubernetesApi(options);
  cleanups.push(() => fake.close());
  const api = createKubeApi(parseKubeconfig(fake.kubeconfigJson()));
  cleanups.push(() => api.close());
  return { fake, api };
}

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

const TWO_NODES = [{ name: 'node-a' }, { name: 'node-b' }];
const web = (name: string, node: string) => ({
  name,
  node,
  labels: { app: 'web' },
  owner: { kind: 'ReplicaSet', name: 'web-7d4b9' },
});

describe('cordonAndDrain (fake Kubernetes API)', () => {
  it('cordons, evicts ordinary pods and leaves DaemonSet and mirror pods', async () => {
    const { fake, api } = await cluster({
      nodes: TWO_NODES,
      pods: [
        web('web-1', 'node-a'),
        web('web-2', 'node-a'),
        {
          name: 'db-0',
          namespace: 'data',
          node: 'node-a',
          owner: { kind: 'StatefulSet', name: 'db' },
        },
        {
          name: 'node-exporter-x1',
          namespace: 'monitoring',
          node: 'node-a',
          owner: { kind: 'DaemonSet', name: 'node-exporter' },
        },
        { name: 'kube-proxy-node-a', namespace: 'kube-system', node: 'node-a', mirror: true },
        web('web-3', 'node-b'),
      ],
      eviction: { reschedule: true },
    });
    const events: DrainProgress[] = [];

    const result = await cordonAndDrain(api, 'node-a', {
      timeoutMs: 60_000,
      pollMs: 1_000,
      ...virtualClock(),
      onProgress: (event) => events.push(event),
    });

    expect(result.alreadyCordoned).toBe(false);
    expect([...result.evicted].sort()).toEqual(['data/db-0', 'default/web-1', 'default/web-2']);
    expect(result.skipped).toEqual(
      expect.arrayContaining([
        { pod: 'monitoring/node-exporter-x1', reason: 'daemonset' },
        { pod: 'kube-system/kube-proxy-node-a', reason: 'mirror' },
      ]),
    );
    expect(fake.node('node-a').spec.unschedulable).toBe(true);
    expect(fake.podsOn('node-a')).toEqual([
      'kube-system/kube-proxy-node-a',
      'monitoring/node-exporter-x1',
    ]);
    // Their controllers rescheduled the evicted pods onto the schedulable node.
    expect(fake.podsOn('node-b')).toHaveLength(4);
    expect(fake.state.evictions.map((e) => e.pod).sort()).toEqual([
      'data/db-0',
      'default/web-1',
      'default/web-2',
    ]);
    expect(events[0]).toEqual({ kind: 'cordoned', node: 'node-a', alreadyCordoned: false });
    expect(events.at(-1)).toEqual({ kind: 'drained', node: 'node-a' });
  });

  it('waits until evicted pods have left the node', async () => {
    const { fake, api } = await cluster({
      nodes: TWO_NODES,
      pods: [web('web-1', 'node-a'), web('web-2', 'node-a')],
      eviction: { delayMs: 60 },
    });
    const events: DrainProgress[] = [];

    await cordonAndDrain(api, 'node-a', {
      timeoutMs: 10_000,
      pollMs: 10,
      sleep: realSleep,
      onProgress: (event) => events.push(event),
    });

    expect(fake.podsOn('node-a', { includeTerminating: true })).toEqual([]);
    expect(events.some((e) => e.kind === 'waiting')).toBe(true);
    // Terminating pods are waited for, not evicted again.
    expect(fake.state.evictions).toHaveLength(2);
  });

  it('a PodDisruptionBudget that blocks (429) ends in DrainBlockedError after the timeout, node uncordoned, budget kept', async () => {
    const { fake, api } = await cluster({
      nodes: TWO_NODES,
      pods: [web('web-1', 'node-a'), web('web-2', 'node-a'), web('web-3', 'node-b')],
      pdbs: [{ name: 'web-pdb', selector: { app: 'web' }, minAvailable: 2 }],
    });
    const time = virtualClock();
    const events: DrainProgress[] = [];

    const error = await cordonAndDrain(api, 'node-a', {
      timeoutMs: 30_000,
      pollMs: 1_000,
      maxBackoffMs: 8_000,
      sleep: time.sleep,
      now: time.now,
      onProgress: (event) => events.push(event),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DrainBlockedError);
    const blocked = error as DrainBlockedError;
    expect(blocked.node).toBe('node-a');
    expect(blocked.evicted).toEqual(['default/web-1']);
    expect(blocked.blockedPods).toEqual(['default/web-2']);
    expect(blocked.uncordoned).toBe(true);
    expect(blocked.message).toMatch(/default\/web-2.*429/);
    // Never more disruptions than the budget allows: two healthy pods remain.
    expect(fake.podsOn('node-a')).toEqual(['default/web-2']);
    expect(fake.podsOn('node-b')).toEqual(['default/web-3']);
    expect(fake.state.evictions.filter((e) => e.status === 201)).toHaveLength(1);
    expect(fake.state.evictions.filter((e) => e.status === 429).length).toBeGreaterThan(3);
    // Bounded exponential backoff, within the timeout.
    expect(time.clock.sleeps).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(time.clock.t).toBeLessThanOrEqual(30_000);
    // The node is not lost to the cluster: uncordoned.
    expect(fake.node('node-a').spec.unschedulable).toBeUndefined();
    expect(events.at(-1)).toEqual({ kind: 'uncordoned', node: 'node-a', reason: 'blocked' });
  });

  it("the Eviction API's 429 carries the Status the API server sends", async () => {
    const { fake } = await cluster({
      nodes: TWO_NODES,
      pods: [web('web-1', 'node-a'), web('web-2', 'node-b')],
      pdbs: [{ name: 'web-pdb', selector: { app: 'web' }, minAvailable: 2 }],
    });
    const raw = createKubeApi(parseKubeconfig(fake.kubeconfigJson()));
    cleanups.push(() => raw.close());
    const answer = await raw.call<unknown>(
      'POST',
      '/api/v1/namespaces/default/pods/web-1/eviction',
      {
        contentType: 'application/json',
        value: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: 'web-1', namespace: 'default' },
        },
      },
    );
    expect(answer.statusCode).toBe(429);
    expect(answer.body).toMatchObject({
      kind: 'Status',
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      code: 429,
    });
    expect(await raw.evictPod('default', 'web-1')).toBe('blocked-by-pdb');
    expect(await raw.evictPod('default', 'no-such-pod')).toBe('gone');
  });

  it('a budget with maxUnavailable lets exactly that many pods go', async () => {
    const { fake, api } = await cluster({
      nodes: TWO_NODES,
      pods: [web('web-1', 'node-a'), web('web-2', 'node-a'), web('web-3', 'node-a')],
      pdbs: [{ name: 'web-pdb', selector: { app: 'web' }, maxUnavailable: 1 }],
    });
    const error = await cordonAndDrain(api, 'node-a', {
      timeoutMs: 5_000,
      pollMs: 1_000,
      ...virtualClock(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrainBlockedError);
    expect((error as DrainBlockedError).blockedPods).toEqual(['default/web-2', 'default/web-3']);
    expect(fake.podsOn('node-a')).toEqual(['default/web-2', 'default/web-3']);
  });

  it('a budget delays eviction until the replacement pod is healthy elsewhere, then the drain completes', async () => {
    const { fake, api } = await cluster({
      nodes: TWO_NODES,
      pods: [web('web-1', 'node-a'), web('web-2', 'node-a'), web('web-3', 'node-b')],
      pdbs: [{ name: 'web-pdb', selector: { app: 'web' }, minAvailable: 2 }],
      eviction: { delayMs: 30, reschedule: true },
    });
    const events: DrainProgress[] = [];
    const result = await cordonAndDrain(api, 'node-a', {
      timeoutMs: 10_000,
      pollMs: 10,
      sleep: realSleep,
      onProgress: (event) => events.push(event),
    });
    expect([...result.evicted].sort()).toEqual(['default/web-1', 'default/web-2']);
    expect(events.some((e) => e.kind === 'blocked')).toBe(true);
    expect(fake.podsOn('node-a', { includeTerminating: true })).toEqual([]);
    expect(fake.podsOn('node-b')).toHaveLength(3);
  });

  it('evicted pods that never leave end in DrainTimeoutError, node uncordoned', async () => {
    const { fake, api } = await cluster({
      nodes: TWO_NODES,
      pods: [web('web-1', 'node-a')],
      eviction: { delayMs: 60_000 },
    });
    const error = await cordonAndDrain(api, 'node-a', {
      timeoutMs: 5_000,
      pollMs: 1_000,
      ...virtualClock(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrainTimeoutError);
    expect((error as DrainTimeoutError).remainingPods).toEqual(['default/web-1']);
    expect(fake.node('node-a').spec.unschedulable).toBeUndefined();
  });

  it("leaves an operator's earlier cordon in place when the drain is blocked", async () => {
    const { fake, api } = await cluster({
      nodes: [{ name: 'node-a', unschedulable: true }, { name: 'node-b' }],
      pods: [web('web-1', 'node-a'), web('web-2', 'node-b')],
      pdbs: [{ name: 'web-pdb', selector: { app: 'web' }, minAvailable: 2 }],
    });
    const error = await cordonAndDrain(api, 'node-a', {
      timeoutMs: 3_000,
      pollMs: 1_000,
      ...virtualClock(),
    }).catch((e: unknown) => e);
    expect((error as DrainBlockedError).uncordoned).toBe(false);
    expect(fake.node('node-a').spec.unschedulable).toBe(true);
  });
});

describe('optimistic concurrency (409 on a stale resourceVersion)', () => {
  it('cordon meets a concurrent write, re-reads the node and retries once', async () => {
    const { fake, api } = await cluster({ nodes: TWO_NODES });
    fake.conflictOnNextPatch('node-a');

    await cordon(api, 'node-a');

    expect(fake.node('node-a').spec.unschedulable).toBe(true);
    const calls = fake.requests.map((r) => `${r.method} ${r.status}`);
    expect(calls).toEqual(['GET 200', 'PATCH 409', 'GET 200', 'PATCH 200']);
  });

  it('a stale resourceVersion passed in is refused (409) and retried with the fresh one', async () => {
    const { fake, api } = await cluster({ nodes: TWO_NODES });
    const stale = fake.node('node-a').metadata.resourceVersion!;
    fake.touchNode('node-a');
    const before = Number(fake.node('node-a').metadata.resourceVersion);

    const node = await api.patchNodeUnschedulable('node-a', true, stale);

    expect(node.spec.unschedulable).toBe(true);
    expect(Number(node.metadata.resourceVersion)).toBeGreaterThan(before);
    expect(fake.requests.filter((r) => r.method === 'PATCH').map((r) => r.status)).toEqual([
      409, 200,
    ]);
  });

  it('a second conflict is an error: only one retry', async () => {
    const { fake, api } = await cluster({ nodes: TWO_NODES });
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
    const { fake, api } = await cluster({ nodes: TWO_NODES });
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

describe('waitForReady and uncordon', () => {
  it('waits through a stop and start until the node is Ready, then uncordons', async () => {
    const { fake, api } = await cluster({
      nodes: [{ name: 'ip-10-0-1-23.eu-west-1.compute.internal', instanceId: 'i-0abc' }],
    });
    const name = 'ip-10-0-1-23.eu-west-1.compute.internal';
    await cordon(api, name);
    fake.instanceStopped('i-0abc');
    expect(isNodeReady(await api.getNode(name))).toBe(false);

    const stillStopped = await waitForReady(api, name, {
      timeoutMs: 3_000,
      pollMs: 1_000,
      ...virtualClock(),
    }).catch((e: unknown) => e);
    expect(stillStopped).toBeInstanceOf(NodeNotReadyError);
    expect((stillStopped as Error).message).toMatch(/not Ready within 3000 ms/);

    fake.instanceStarted('i-0abc', { readyAfterReads: 3 });
    const time = virtualClock();
    const node = await waitForReady(api, name, { timeoutMs: 60_000, pollMs: 5_000, ...time });
    expect(isNodeReady(node)).toBe(true);
    expect(time.clock.sleeps).toEqual([5_000, 5_000]);

    await uncordon(api, name);
    expect(fake.node(name).spec.unschedulable).toBeUndefined();
  });

  it('setNodeReady flips the Ready condition', async () => {
    const { fake, api } = await cluster({ nodes: [{ name: 'node-a', ready: false }] });
    expect(isNodeReady(await api.getNode('node-a'))).toBe(false);
    fake.setNodeReady('node-a', true);
    expect(isNodeReady(await api.getNode('node-a'))).toBe(true);
  });
});

describe('authentication and TLS', () => {
  it('a wrong token is a clear 401 error, not retried', async () => {
    const fake = await startFakeKubernetesApi({ nodes: TWO_NODES });
    cleanups.push(() => fake.close());
    const api = createKubeApi(parseKubeconfig(fake.kubeconfigJson({ token: 'wrong' })));
    cleanups.push(() => api.close());

    const error = await cordonAndDrain(api, 'node-a', {
      timeoutMs: 1_000,
      ...virtualClock(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).statusCode).toBe(401);
    expect((error as Error).message).toMatch(
      /401 \(Unauthorized\).*credentials from the kubeconfig/,
    );

    await expect(
      waitForReady(api, 'node-a', { timeoutMs: 60_000, ...virtualClock() }),
    ).rejects.toThrow(/401/);
    expect(fake.requests.every((r) => r.status === 401)).toBe(true);
    expect(fake.node('node-a').spec.unschedulable).toBeUndefined();
  });

  it('refuses a server whose certificate the kubeconfig CA did not sign', async () => {
    const fake = await startFakeKubernetesApi({ nodes: TWO_NODES });
    cleanups.push(() => fake.close());
    const other = await startFakeKubernetesApi({ nodes: TWO_NODES });
    cleanups.push(() => other.close());
    const api = createKubeApi({ ...parseKubeconfig(fake.kubeconfigJson()), caData: other.caPem });
    cleanups.push(() => api.close());
    await expect(api.getNode('node-a')).rejects.toThrow(
      /GET \/api\/v1\/nodes\/node-a to https:\/\/127\.0\.0\.1:\d+ failed/,
    );
  });

  it('lists pods by the spec.nodeName field selector', async () => {
    const { api } = await cluster({
      nodes: TWO_NODES,
      pods: [web('web-1', 'node-a'), web('web-2', 'node-b'), { name: 'pending-1' }],
    });
    const pods = await api.listPodsOnNode('node-b');
    expect(pods.map((p) => p.metadata.name)).toEqual(['web-2']);
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

  it('finds the node by providerID, else by a candidate name', async () => {
    const { api } = await cluster({
      nodes: [{ name: 'worker-7', instanceId: 'i-0abc' }, { name: 'ip-10-0-9-9' }],
    });
    expect((await findNodeForInstance(api, instance)).metadata.name).toBe('worker-7');
    const short = {
      id: 'i-0def',
      privateDnsName: 'ip-10-0-9-9.eu-west-1.compute.internal',
      tags: {},
    };
    expect((await findNodeForInstance(api, short)).metadata.name).toBe('ip-10-0-9-9');
    await expect(
      findNodeForInstance(api, { id: 'i-0999', privateDnsName: null, tags: {} }),
    ).rejects.toThrow(/no Kubernetes node for instance i-0999.*drpilot:node-name/);
  });
});

describe('kubernetesNodeDrainer (by instance id)', () => {
  it("drains, waits for Ready after a stop/start and uncordons the instance's node", async () => {
    const { fake, api } = await cluster({
      nodes: [
        { name: 'ip-10-0-1-23.eu-west-1.compute.internal', instanceId: 'i-0abc' },
        { name: 'ip-10-0-1-24.eu-west-1.compute.internal', instanceId: 'i-0def' },
      ],
      pods: [web('web-1', 'ip-10-0-1-23.eu-west-1.compute.internal')],
      eviction: { reschedule: true },
    });
    const drained: string[] = [];
    const drainer = kubernetesNodeDrainer(api, {
      drain: { timeoutMs: 60_000, pollMs: 1_000, ...virtualClock() },
      ready: { timeoutMs: 60_000, pollMs: 1_000, ...virtualClock() },
      onDrained: (id, result) => drained.push(`${id}: ${result.evicted.join(',')}`),
    });
    const name = 'ip-10-0-1-23.eu-west-1.compute.internal';

    await drainer.drain('i-0abc');
    expect(drained).toEqual(['i-0abc: default/web-1']);
    expect(fake.node(name).spec.unschedulable).toBe(true);
    expect(fake.podsOn(name)).toEqual([]);

    // What an EC2 executor's test forwards from its instance state changes.
    fake.instanceStopped('i-0abc');
    fake.instanceStarted('i-0abc', { readyAfterReads: 2 });
    await drainer.waitReady('i-0abc');
    await drainer.uncordon('i-0abc');
    expect(fake.node(name).spec.unschedulable).toBeUndefined();
    expect(await drainer.nodeName('i-0abc')).toBe(name);
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
