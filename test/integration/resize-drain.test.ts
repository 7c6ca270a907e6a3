/**
 * Cordon, eviction rounds, the Ready check and uncordon — driven as the `ec2` rollout drives
 * them, one sub-step at a time with its planner deciding — as scenarios that run against two API
 * servers: the real one (kube-apiserver v1.37.2 with its controller-manager, scheduler and kwok nodes; drpilot
 * authenticated as a ServiceAccount holding only the RBAC rights docs/resize.md lists) and the in-process
 * fake the embedded drill uses. The same assertions hold on both, so the fake cannot drift from
 * Kubernetes. Below them: what only the fake can stage (a write injected just before a PATCH,
 * the kubelet's heartbeats counted) and the pure parts (node names, kubeconfig parsing).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  NODE_NAME_TAG,
  cordon,
  evictionRound,
  findNodeForInstance,
  nodeNameCandidates,
  skipReason,
  uncordon,
  type EvictionRound,
} from '../../lambdas/adapters/kubernetes/drain';
import {
  KubeApiError,
  createKubeApi,
  isNodeReady,
  type KubeApi,
  type KubeApiClient,
} from '../../lambdas/adapters/kubernetes/kube-api';
import { KubeconfigError, parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import {
  kubernetesNodeDrainer,
  type InstanceNodeDrainer,
} from '../../lambdas/adapters/kubernetes/node-drainer';
import {
  firstNodeStep,
  nextNodeStep,
  type NodeDecision,
  type NodeEnd,
  type NodeObservation,
  type NodeStep,
} from '../../lambdas/core/resize/node-steps';
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

interface Clock {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

const realClock: Clock = {
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  now: Date.now,
};

/** For drains that finish once the cluster has moved (pods gone, replacements Ready): real time. */
const settling = { drainSeconds: 30, pollSeconds: 0.05 };

/** For drains that end at drainTimeoutSeconds (blocked or timed out): virtual time. */
const bounded = { drainSeconds: 5, pollSeconds: 1 };

/** The node as the planner names it in its decisions (the instance types only appear in texts). */
const MOVE = { id: 'i-0drain', from: 'm6i.large', to: 'm6i.xlarge' };

interface DrainRun {
  alreadyCordoned: boolean;
  /** What each eviction round saw, the first right after the cordon. */
  rounds: EvictionRound[];
  /** The planner's waits between rounds, in seconds. */
  waits: number[];
  /** `drained`: nothing left, the rollout stops the instance next; else how the node ended. */
  outcome: 'drained' | NodeEnd;
  detail: string;
  /** The planner had the node uncordoned (and it was). */
  uncordoned: boolean;
}

/**
 * The drain sub-steps of the ec2 rollout as `stepEc2Node` (lambdas/resize/ec2-rollout.ts) carries
 * them out, one per Lambda call, here without EC2: cordon and a first eviction round, then a round
 * after each wait `nextNodeStep` asks for, until nothing is left (the rollout would stop the
 * instance next) or the planner ends the node — then uncordoned when the planner says so.
 */
async function drainAsTheRollout(
  api: KubeApi,
  nodeName: string,
  limits: { drainSeconds: number; pollSeconds: number },
  clock: Clock,
  onRound?: (round: EvictionRound, index: number) => Promise<void> | void,
): Promise<DrainRun> {
  const nodeLimits = { ...limits, nodeSeconds: 60 };
  const rounds: EvictionRound[] = [];
  const waits: number[] = [];
  const round = async () => {
    const seen = await evictionRound(api, nodeName);
    rounds.push(seen);
    await onRound?.(seen, rounds.length - 1);
    return seen;
  };
  let step: NodeStep = firstNodeStep(new Date(clock.now()));
  const { alreadyCordoned } = await cordon(api, nodeName);
  let observed: NodeObservation = { phase: 'cordon', alreadyCordoned, ...(await round()) };
  for (;;) {
    const decision = nextNodeStep(MOVE, step, observed, nodeLimits, new Date(clock.now()));
    if (decision.kind === 'end') {
      if (decision.uncordon) await uncordon(api, nodeName);
      const { outcome, detail, uncordon: uncordoned } = decision;
      return { alreadyCordoned, rounds, waits, outcome, detail, uncordoned };
    }
    if (decision.step.phase === 'stop') {
      return { alreadyCordoned, rounds, waits, outcome: 'drained', detail: '', uncordoned: false };
    }
    step = decision.step;
    waits.push(decision.waitSeconds);
    await clock.sleep(decision.waitSeconds * 1000);
    observed = { phase: 'drain', alreadyCordoned: step.alreadyCordoned, ...(await round()) };
  }
}

/**
 * The rollout's `ready?` sub-step once EC2 says the instance runs again: the node drainer's Ready
 * check at every poll, `nextNodeStep` deciding, uncordoned at the end as `stepEc2Node` does.
 * Ends with the planner's decision to leave `ready?` (done, or give the new type up).
 */
async function readyAsTheRollout(
  drainer: InstanceNodeDrainer,
  instanceId: string,
  limits: { nodeSeconds: number; pollSeconds: number },
  clock: Clock,
): Promise<{ decision: NodeDecision; polls: boolean[]; waits: number[] }> {
  const nodeLimits = { ...limits, drainSeconds: 60 };
  const step: NodeStep = {
    ...firstNodeStep(new Date(clock.now())),
    phase: 'ready?',
    alreadyCordoned: false,
  };
  const polls: boolean[] = [];
  const waits: number[] = [];
  for (;;) {
    const ready = await drainer.isReady(instanceId);
    polls.push(ready);
    const observed: NodeObservation = { phase: 'ready?', state: 'running', ready };
    const decision = nextNodeStep(MOVE, step, observed, nodeLimits, new Date(clock.now()));
    if (decision.kind === 'end' && decision.uncordon) await drainer.uncordon(instanceId);
    if (decision.kind === 'end' || decision.step.phase !== 'ready?') {
      return { decision, polls, waits };
    }
    waits.push(decision.waitSeconds);
    await clock.sleep(decision.waitSeconds * 1000);
  }
}

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

    const run = await drainAsTheRollout(cluster.api, cluster.node('a'), settling, realClock);

    expect(run.outcome).toBe('drained');
    expect(run.alreadyCordoned).toBe(false);
    // The first round asked for the ordinary pods only; DaemonSet and mirror pods do not count.
    expect(workloads(run.rounds[0]!.remaining)).toEqual(['db', 'web', 'web']);
    expect(run.rounds[0]!.blocked).toEqual([]);
    expect(run.rounds.at(-1)).toEqual({ remaining: [], blocked: [] });
    expect((await cluster.readNode('a')).spec.unschedulable).toBe(true);
    const left = await cluster.api.listPodsOnNode(cluster.node('a'));
    expect(
      left.map((pod) => `${workloadOf(`/${pod.metadata.name}`)} ${skipReason(pod)}`).sort(),
    ).toEqual(['exporter daemonset', 'proxy mirror']);
    expect(workloads(await cluster.podsOn('a'))).toEqual(['exporter', 'proxy']);
    // Their controllers put the evicted pods on the schedulable node.
    await expect
      .poll(async () => workloads(await cluster.podsOn('b')), { timeout: 30_000 })
      .toEqual(['db', 'exporter', 'web', 'web', 'web']);
    expect(evictionSummary(await cluster.evictions())).toEqual(['db 201', 'web 201', 'web 201']);
  });

  it('waits until evicted pods have left the node, without evicting them again', async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 2 } }],
      termination: 'held',
    });

    // After the second round has seen them still terminating, they are let go.
    const run = await drainAsTheRollout(
      cluster.api,
      cluster.node('a'),
      settling,
      realClock,
      async (_round, index) => {
        if (index === 1) await cluster.releaseTerminating();
      },
    );

    expect(run.outcome).toBe('drained');
    expect(workloads(run.rounds[0]!.remaining)).toEqual(['web', 'web']);
    expect(run.rounds[1]).toEqual(run.rounds[0]);
    expect(run.rounds.at(-1)).toEqual({ remaining: [], blocked: [] });
    expect(await cluster.podsOn('a', { includeTerminating: true })).toEqual([]);
    // Asked once each: the rounds that saw them terminating did not ask again.
    expect(evictionSummary(await cluster.evictions())).toEqual(['web 201', 'web 201']);
  });

  it('a PodDisruptionBudget that keeps refusing (429) ends the node as blocked at drainTimeoutSeconds, node uncordoned, budget kept', async () => {
    // b is cordoned too: the evicted pod's replacement has nowhere to run, so the budget stays spent.
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b', unschedulable: true }],
      deployments: [{ name: 'web', perNode: { a: 2, b: 1 } }],
      budgets: [{ name: 'web', app: 'web', minAvailable: 2 }],
    });
    const time = virtualClock();

    const run = await drainAsTheRollout(
      cluster.api,
      cluster.node('a'),
      { drainSeconds: 30, pollSeconds: 1 },
      time,
    );

    expect(run.outcome).toBe('blocked');
    expect(run.uncordoned).toBe(true);
    expect(run.detail).toMatch(
      /^not stopped: drain blocked by a PodDisruptionBudget: \S+\/web-\S+ could not be evicted \(429 TooManyRequests\) within drainTimeoutSeconds \(30 s\); uncordoned/,
    );
    const refused = run.rounds.at(-1)!.blocked;
    expect(workloads(refused)).toEqual(['web']);
    expect(run.detail).toContain(refused[0]);
    // Never more disruptions than the budget allows: the refused pod still runs on a.
    expect(await cluster.podsOn('a')).toEqual(expect.arrayContaining(refused));
    expect(workloads(await cluster.podsOn('b'))).toEqual(['web']);
    const answers = evictionSummary(await cluster.evictions());
    expect(answers.filter((a) => a === 'web 201')).toHaveLength(1);
    // Every round asked for the refused pod once more, and was refused.
    expect(answers.filter((a) => a === 'web 429')).toHaveLength(run.rounds.length);
    expect(run.rounds.length).toBeGreaterThan(3);
    // A round every pollSeconds until drainTimeoutSeconds, not beyond.
    expect(run.waits.every((w) => w === 1)).toBe(true);
    expect(time.clock.t).toBe(30_000);
    // The node is not lost to the cluster: uncordoned.
    expect((await cluster.readNode('a')).spec.unschedulable).toBeUndefined();
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
    const run = await drainAsTheRollout(cluster.api, cluster.node('a'), bounded, virtualClock());
    expect(run.outcome).toBe('blocked');
    const refused = run.rounds.at(-1)!.blocked;
    expect(workloads(refused)).toEqual(['web', 'web']);
    const answers = evictionSummary(await cluster.evictions());
    expect(answers.filter((a) => a === 'web 201')).toHaveLength(1);
    expect(await cluster.podsOn('a')).toEqual(expect.arrayContaining(refused));
  });

  it('a budget delays eviction until the replacement pod is Ready elsewhere, then the drain completes', async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 2, b: 1 } }],
      budgets: [{ name: 'web', app: 'web', minAvailable: 2 }],
    });
    const run = await drainAsTheRollout(cluster.api, cluster.node('a'), settling, realClock);
    expect(run.outcome).toBe('drained');
    expect(run.rounds.some((round) => round.blocked.length > 0)).toBe(true);
    const answers = evictionSummary(await cluster.evictions());
    expect(answers).toContain('web 429');
    expect(answers.filter((a) => a === 'web 201')).toHaveLength(2);
    expect(await cluster.podsOn('a', { includeTerminating: true })).toEqual([]);
    await expect
      .poll(async () => workloads(await cluster.podsOn('b')), { timeout: 30_000 })
      .toEqual(['web', 'web', 'web']);
  });

  it('evicted pods that never leave end the node as blocked (timed out) at drainTimeoutSeconds, node uncordoned', async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 1 } }],
      termination: 'held',
    });
    const run = await drainAsTheRollout(cluster.api, cluster.node('a'), bounded, virtualClock());
    expect(run.outcome).toBe('blocked');
    expect(run.uncordoned).toBe(true);
    expect(run.detail).toMatch(
      /^not stopped: drain timed out: \S+\/web-\S+ still on the node within drainTimeoutSeconds \(5 s\); uncordoned/,
    );
    const last = run.rounds.at(-1)!;
    expect(workloads(last.remaining)).toEqual(['web']);
    expect(last.blocked).toEqual([]);
    expect(evictionSummary(await cluster.evictions())).toEqual(['web 201']);
    expect((await cluster.readNode('a')).spec.unschedulable).toBeUndefined();
  });

  it("leaves an operator's earlier cordon in place when the drain is blocked", async () => {
    const cluster = await backend.cluster({
      nodes: [{ short: 'a', unschedulable: true }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 1, b: 1 } }],
      budgets: [{ name: 'web', app: 'web', minAvailable: 2 }],
    });
    const run = await drainAsTheRollout(
      cluster.api,
      cluster.node('a'),
      { drainSeconds: 3, pollSeconds: 1 },
      virtualClock(),
    );
    expect(run.alreadyCordoned).toBe(true);
    expect(run.outcome).toBe('blocked');
    expect(run.uncordoned).toBe(false);
    expect(run.detail).toContain('left cordoned (it was before)');
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

  it('the Ready check: a node whose kubelet stays away makes the rollout give the new type up after nodeSeconds; once back it is Ready and uncordoned', async () => {
    const id = uniqueInstanceId();
    const cluster = await backend.cluster({ nodes: [{ short: 'a', instanceId: id }] });
    const drainer = kubernetesNodeDrainer(cluster.api);
    await drainer.cordon(id);
    await cluster.instanceStopped(id);
    expect(isNodeReady(await cluster.readNode('a'))).toBe(false);

    // EC2 says the instance runs again, but its kubelet does not come back.
    const time = virtualClock();
    const stillDown = await readyAsTheRollout(
      drainer,
      id,
      { nodeSeconds: 3, pollSeconds: 1 },
      time,
    );
    expect(stillDown.polls).toEqual([false, false, false, false]);
    expect(stillDown.decision).toEqual({
      kind: 'next',
      step: expect.objectContaining({
        phase: 'stop',
        toward: 'from',
        cause: 'NodeNotReadyError: the node on m6i.xlarge was not Ready within 3 s',
      }),
      waitSeconds: 0,
    });
    // Still cordoned: the old type goes back on first.
    expect((await cluster.readNode('a')).spec.unschedulable).toBe(true);

    await cluster.instanceStarted(id);
    const up = await readyAsTheRollout(
      drainer,
      id,
      { nodeSeconds: 30, pollSeconds: settling.pollSeconds },
      realClock,
    );
    expect(up.decision).toMatchObject({ kind: 'end', outcome: 'resized', uncordon: true });
    expect(up.polls.at(-1)).toBe(true);
    expect(isNodeReady(await cluster.readNode('a'))).toBe(true);
    expect((await cluster.readNode('a')).spec.unschedulable).toBeUndefined();
  });

  it('a wrong token is a clear 401 error, not taken for a node that is not Ready; no credentials at all is anonymous: 403', async () => {
    const id = uniqueInstanceId();
    const cluster = await backend.cluster({
      nodes: [{ short: 'a', instanceId: id }, { short: 'b' }],
    });
    const wrong = createKubeApi(parseKubeconfig(withToken(cluster.kubeconfigJson, 'wrong')));
    cleanups.push(() => wrong.close());
    const node = cluster.node('a');

    const error = await cordon(wrong, node).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).statusCode).toBe(401);
    expect((error as Error).message).toMatch(
      /401 \(Unauthorized\): the API server refused the credentials/,
    );
    await expect(evictionRound(wrong, node)).rejects.toThrow(/401 \(Unauthorized\)/);
    await expect(uncordon(wrong, node)).rejects.toThrow(/401 \(Unauthorized\)/);
    // The Ready check takes a node it cannot find for one not Ready yet, never refused credentials.
    expect(await kubernetesNodeDrainer(cluster.api).isReady(uniqueInstanceId())).toBe(false);
    await expect(kubernetesNodeDrainer(wrong).isReady(id)).rejects.toThrow(/401 \(Unauthorized\)/);
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

  it("kubernetesNodeDrainer cordons, evicts round by round, sees Ready after a stop/start and uncordons the instance's node", async () => {
    const [id, other] = [uniqueInstanceId(), uniqueInstanceId()];
    const cluster = await backend.cluster({
      nodes: [
        { short: 'a', instanceId: id },
        { short: 'b', instanceId: other },
      ],
      deployments: [{ name: 'web', perNode: { a: 1 } }],
    });
    const drainer = kubernetesNodeDrainer(cluster.api);

    expect(await drainer.cordon(id)).toEqual({ alreadyCordoned: false });
    expect((await cluster.readNode('a')).spec.unschedulable).toBe(true);
    // Rounds until the evicted pod is gone (the rollout waits between them).
    let round = await drainer.evict(id);
    expect(round.blocked).toEqual([]);
    for (let i = 0; round.remaining.length > 0 && i < 100; i++) {
      await realClock.sleep(settling.pollSeconds * 1000);
      round = await drainer.evict(id);
    }
    expect(round).toEqual({ remaining: [], blocked: [] });
    expect(await cluster.podsOn('a')).toEqual([]);

    // What an EC2 executor's test forwards from its instance state changes.
    await cluster.instanceStopped(id);
    expect(await drainer.isReady(id)).toBe(false);
    await cluster.instanceStarted(id);
    for (let i = 0; !(await drainer.isReady(id)) && i < 100; i++) {
      await realClock.sleep(settling.pollSeconds * 1000);
    }
    expect(await drainer.isReady(id)).toBe(true);
    await drainer.uncordon(id);
    expect((await cluster.readNode('a')).spec.unschedulable).toBeUndefined();
    expect(await drainer.nodeName(id)).toBe(cluster.node('a'));
  });
});

describe('drain identity on the real API server (RBAC)', () => {
  it('the rights docs/resize.md lists drain a node and allow nothing more: deleting a pod is forbidden (403)', async () => {
    const cluster = await realBackend(k8s).cluster({
      nodes: [{ short: 'a' }, { short: 'b' }],
      deployments: [{ name: 'web', perNode: { a: 1 } }],
    });
    const run = await drainAsTheRollout(cluster.api, cluster.node('a'), settling, realClock);
    expect(run.outcome).toBe('drained');
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
  it('a started instance turns Ready after the given number of node reads; the rollout polls at pollSeconds', async () => {
    const { fake, api } = await fakeCluster({ nodes: [{ name: 'node-a', instanceId: 'i-0abc' }] });
    fake.instanceStopped('i-0abc');
    fake.instanceStarted('i-0abc', { readyAfterReads: 3 });
    const time = virtualClock();
    const { decision, polls } = await readyAsTheRollout(
      kubernetesNodeDrainer(api),
      'i-0abc',
      { nodeSeconds: 60, pollSeconds: 5 },
      time,
    );
    expect(decision).toMatchObject({ kind: 'end', outcome: 'resized' });
    expect(polls).toEqual([false, false, true]);
    expect(time.clock.sleeps).toEqual([5_000, 5_000]);
  });

  it('setNodeReady flips the Ready condition; a wrong token is refused on every request, none retried', async () => {
    const { fake, api } = await fakeCluster({
      nodes: [{ name: 'node-a', ready: false, instanceId: 'i-0abc' }],
    });
    expect(isNodeReady(await api.getNode('node-a'))).toBe(false);
    fake.setNodeReady('node-a', true);
    expect(isNodeReady(await api.getNode('node-a'))).toBe(true);

    const wrong = createKubeApi(parseKubeconfig(fake.kubeconfigJson({ token: 'wrong' })));
    cleanups.push(() => wrong.close());
    const before = fake.requests.length;
    await expect(cordon(wrong, 'node-a')).rejects.toThrow(KubeApiError);
    await expect(evictionRound(wrong, 'node-a')).rejects.toThrow(KubeApiError);
    await expect(kubernetesNodeDrainer(wrong).isReady('i-0abc')).rejects.toThrow(KubeApiError);
    await expect(uncordon(wrong, 'node-a')).rejects.toThrow(KubeApiError);
    expect(fake.requests.slice(before).map((r) => r.status)).toEqual([401, 401, 401, 401]);
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
    expect(nodeNameCandidates({ ...instance, tags: { [NODE_NAME_TAG]: 'worker-1' } })[0]).toBe(
      'worker-1',
    );
    expect(nodeNameCandidates({ ...instance, privateDnsName: '' })).toEqual(['i-0abc']);
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
