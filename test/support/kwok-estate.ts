import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { evictionsIn } from '../../cli/embedded/audit-log';
import {
  budgetManifest,
  daemonSetManifest,
  placeReplicas,
  waitForBudget,
  waitForHealthyPods,
} from '../../cli/embedded/kube-workloads';
import { relayInstanceStates, type InstanceEvent } from '../../cli/embedded/kubelet-relay';
import { kubeletStarted, kubeletStopped } from '../../cli/embedded/kwok-nodes';
import { ec2Client, secretsManagerClient } from '../../lambdas/adapters/aws/clients';
import type { KubeNode, KubePod } from '../../lambdas/adapters/kubernetes/kube-api';
import type { useK8sWorld } from './k8s-world';

export interface KwokInstance {
  id: string;
  availabilityZone?: string | null;
}

export interface KwokEstateOptions {
  region: string;
  instances: KwokInstance[];
  /** Where drpilot reads the kubeconfig from, as the group's `kubernetes.kubeconfigSecret`. */
  secretName: string;
  /** Pods of the `web` Deployment on every node (default 2). */
  webPerNode?: number;
  /** The `web` budget: `maxUnavailable: 1` by default; `minAvailable: all` lets nothing go. */
  budget?: { maxUnavailable: number } | { minAvailable: 'all' };
}

export interface KwokEstate {
  namespace: string;
  /** The kwok node of an instance. */
  nodeName(instanceId: string): string;
  node(instanceId: string): Promise<KubeNode>;
  /** `namespace/name` of the pods on the instance's node, terminating ones too. */
  podsOn(instanceId: string): Promise<string[]>;
  /** drpilot's Eviction API calls and their answers, from the API server's audit log. */
  evictions(): Promise<{ pod: string; status: number }[]>;
  /** EC2 stops, type changes and starts of the instances, as the relay to kwok saw them. */
  events: InstanceEvent[];
  close(): void;
}

/** kwok turns a pod Ready this long after it is bound: an evicted pod's replacement takes a while. */
const READY_DELAY = '500ms';

const byKey = (pods: KubePod[]) =>
  pods.map((pod) => `${pod.metadata.namespace}/${pod.metadata.name}`).sort();

/**
 * The Kubernetes side of moto's instances on the run's real world, as a user's cluster would be:
 * one kwok node per instance with `spec.providerID` `aws:///<az>/<instance id>`, a `web`
 * Deployment spread over them under a real PodDisruptionBudget (its pods Ready only after
 * {@link READY_DELAY}, so the budget really refuses while a replacement starts), an `agent`
 * DaemonSet, drpilot's identity (the README's RBAC) as a JSON kubeconfig in Secrets Manager, and
 * EC2 stops and starts relayed to kwok (the node goes NotReady, then kwok reports it Ready).
 */
export async function kwokEstate(
  k8s: ReturnType<typeof useK8sWorld>,
  options: KwokEstateOptions,
): Promise<KwokEstate> {
  const { admin } = k8s;
  const tenant = await k8s.tenant();
  const { namespace } = tenant;
  const nodeName = (id: string) => tenant.nodeName(id);
  const nodes = options.instances.map((i) => nodeName(i.id));
  await tenant.createNodes(
    options.instances.map((instance) => ({
      name: nodeName(instance.id),
      instanceId: instance.id,
      ...(instance.availabilityZone ? { availabilityZone: instance.availabilityZone } : {}),
    })),
  );
  const webPerNode = options.webPerNode ?? 2;
  const workload = { namespace, nodeSelector: tenant.ownerLabel, readyDelay: READY_DELAY };
  await placeReplicas(admin, {
    ...workload,
    name: 'web',
    kind: 'deployments',
    perNode: Object.fromEntries(nodes.map((node) => [node, webPerNode])),
    nodes,
  });
  await admin.create(
    `/apis/apps/v1/namespaces/${namespace}/daemonsets`,
    daemonSetManifest({ ...workload, name: 'agent' }),
  );
  await waitForHealthyPods(admin, { namespace, app: 'agent', count: nodes.length });
  const replicas = webPerNode * nodes.length;
  const budget = options.budget ?? { maxUnavailable: 1 };
  await admin.create(
    `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`,
    budgetManifest({
      namespace,
      name: 'web',
      app: 'web',
      ...('minAvailable' in budget ? { minAvailable: replicas } : budget),
    }),
  );
  await waitForBudget(admin, {
    namespace,
    name: 'web',
    disruptionsAllowed: 'minAvailable' in budget ? 0 : budget.maxUnavailable,
  });

  const identity = await tenant.drainIdentity();
  await secretsManagerClient(options.region).send(
    new CreateSecretCommand({ Name: options.secretName, SecretString: identity.kubeconfigJson }),
  );

  const podsOn = async (id: string) =>
    byKey(
      await admin.list<KubePod>(
        '/api/v1/pods',
        `fieldSelector=${encodeURIComponent(`spec.nodeName=${nodeName(id)}`)}`,
      ),
    );
  const node = (id: string) => admin.get<KubeNode>(`/api/v1/nodes/${nodeName(id)}`);
  const events: InstanceEvent[] = [];
  const detach = relayInstanceStates(
    ec2Client(options.region),
    new Set(options.instances.map((i) => i.id)),
    {
      snapshot: async (id) => ({
        cordoned: Boolean((await node(id)).spec.unschedulable),
        podsLeft: await podsOn(id),
      }),
      stopped: (id) => kubeletStopped(admin, nodeName(id)),
      started: (id) => kubeletStarted(admin, nodeName(id)),
    },
    events,
  );
  return {
    namespace,
    nodeName,
    node,
    podsOn,
    evictions: async () =>
      evictionsIn(await tenant.auditedRequests()).map(({ pod, status }) => ({ pod, status })),
    events,
    close: detach,
  };
}
