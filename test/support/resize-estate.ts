import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach } from 'vitest';
import {
  startFakeKubernetesApi,
  type FakeKubernetesApi,
} from '../../cli/emulator/fake-kubernetes-api';
import { publishUtilisation } from '../../cli/embedded/seed-load';
import {
  cloudWatchClient,
  ec2Client,
  secretsManagerClient,
} from '../../lambdas/adapters/aws/clients';
import { instancesWithTag } from '../../lambdas/adapters/aws/tagged-instances';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import type { KubeNode } from '../../lambdas/adapters/kubernetes/kube-api';
import type { useK8sWorld } from './k8s-world';
import { kwokEstate, type KwokEstate } from './kwok-estate';
import { seedExampleEstate } from './seeded-estate';

export const REGION = 'eu-west-1';
export const GROUP = 'primary-workers';
const KUBECONFIG_SECRET = 'acme/drpilot/primary-kubeconfig';
/**
 * Resize waits that do not wait (moto's state changes are instant), with a node timeout long
 * enough that a loaded machine (20 concurrent invocations, CI) never turns a slow drain into a
 * blocked one.
 */
export const fast = { timeouts: { nodeMs: 60_000, pollMs: 1 }, sleep: async () => undefined };
/** Against a real API server pods take real time to leave and start: short polls, real sleeps. */
const settling = { timeouts: { nodeMs: 60_000, pollMs: 100 } };

/** CPU of the primary group's members, as EC2 publishes it, for the 10 minutes before `at` (now). */
export const publishCpu = (ids: string[], percent: number, at = new Date()) =>
  publishUtilisation(cloudWatchClient(REGION), 'cpu', ids, percent, at.getTime());

export interface ResizeEstate {
  /** Which Kubernetes API the group's nodes are registered in. */
  name: string;
  /** Timeouts and sleep for runResize against this API. */
  timing: typeof fast | typeof settling;
  /** The fake API (fake estates only): its records. */
  readonly kube: FakeKubernetesApi;
  /** Seeds the example estate into moto with the primary group's nodes in the Kubernetes API. */
  estateWithCluster(): Promise<{ config: DrpilotConfig; configFile: string; ids: string[] }>;
  /** drpilot's Eviction API calls and their answers. */
  evictions(): Promise<{ pod: string; status: number }[]>;
  /** The Kubernetes node of an instance. */
  node(instanceId: string): Promise<KubeNode>;
}

async function seedGroup() {
  const { config, configFile } = await seedExampleEstate();
  const members = await instancesWithTag(ec2Client(REGION), {
    key: 'drpilot:group',
    value: GROUP,
  });
  return { config, configFile, members };
}

/**
 * The seeded example estate's primary group with its nodes registered in a Kubernetes API and
 * the kubeconfig in Secrets Manager: by default the fake API (one web pod and one DaemonSet pod
 * per node); given the run's world, kube-apiserver + kwok (a web Deployment with two pods per
 * node under a PodDisruptionBudget, a DaemonSet — test/support/kwok-estate.ts). Closed after
 * each test.
 */
export function useResizeEstate(world?: ReturnType<typeof useK8sWorld>): ResizeEstate {
  return world ? realEstate(world) : fakeEstate();
}

function fakeEstate(): ResizeEstate {
  let kube: FakeKubernetesApi | undefined;
  afterEach(async () => {
    await kube?.close();
    kube = undefined;
  });
  const opened = () => {
    if (!kube) throw new Error('no estate yet: call estateWithCluster() first');
    return kube;
  };
  return {
    name: 'fake Kubernetes API',
    timing: fast,
    get kube() {
      return opened();
    },
    async estateWithCluster() {
      const { config, configFile, members } = await seedGroup();
      kube = await startFakeKubernetesApi({
        nodes: members.map((m) => ({ name: m.privateDnsName ?? m.id, instanceId: m.id })),
        pods: members.flatMap((m, i) => [
          {
            name: `web-${i}`,
            node: m.privateDnsName ?? m.id,
            labels: { app: 'web' },
            owner: { kind: 'ReplicaSet', name: 'web' },
          },
          {
            name: `agent-${i}`,
            node: m.privateDnsName ?? m.id,
            owner: { kind: 'DaemonSet', name: 'agent' },
          },
        ]),
        eviction: { reschedule: true },
      });
      await secretsManagerClient(REGION).send(
        new CreateSecretCommand({ Name: KUBECONFIG_SECRET, SecretString: kube.kubeconfigJson() }),
      );
      return { config, configFile, ids: members.map((m) => m.id) };
    },
    evictions: async () => opened().state.evictions.map(({ pod, status }) => ({ pod, status })),
    async node(instanceId) {
      const found = [...opened().state.nodes.values()].find((n) => n.instanceId === instanceId);
      if (!found) throw new Error(`no fake node for ${instanceId}`);
      return found.node;
    },
  };
}

function realEstate(world: ReturnType<typeof useK8sWorld>): ResizeEstate {
  let cluster: KwokEstate | undefined;
  afterEach(() => {
    cluster?.close();
    cluster = undefined;
  });
  const opened = () => {
    if (!cluster) throw new Error('no estate yet: call estateWithCluster() first');
    return cluster;
  };
  return {
    name: 'kube-apiserver + kwok',
    timing: settling,
    get kube(): FakeKubernetesApi {
      throw new Error('a real estate has no fake API: use evictions() and node()');
    },
    async estateWithCluster() {
      const { config, configFile, members } = await seedGroup();
      cluster = await kwokEstate(world, {
        region: REGION,
        instances: members,
        secretName: KUBECONFIG_SECRET,
      });
      return { config, configFile, ids: members.map((m) => m.id) };
    },
    evictions: () => opened().evictions(),
    node: (instanceId) => opened().node(instanceId),
  };
}
