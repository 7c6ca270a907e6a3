import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { ec2Client, secretsManagerClient } from '../../lambdas/aws/clients';
import { instancesWithTag, type NodeInstance } from '../../lambdas/aws/tagged-instances';
import type { DrpilotConfig, NodeGroupConfig, Side } from '../../lambdas/core/config/schema';
import {
  startFakeKubernetesApi,
  type FakeKubernetesApi,
  type FakePodInput,
} from './fake-kubernetes-api';

/** The Deployment a PodDisruptionBudget guards: two pods on every node, at most one of them down. */
export const GUARDED_APP = {
  name: 'web',
  namespace: 'shop',
  podsPerNode: 2,
  maxUnavailable: 1,
} as const;

/**
 * How long an evicted pod takes to terminate. Long enough that a second eviction from the
 * guarded Deployment meets the budget (429) until the first one's replacement is up.
 */
const TERMINATION_MS = 200;
/** Node reads after a start until the kubelet reports Ready. */
const READY_AFTER_READS = 2;
const KUBELET_MIDDLEWARE = 'drpilotDrillKubelet';

/** What EC2 did to a node's instance, as the emulated kubelet saw it. */
export type InstanceEvent = { instanceId: string; at: number } & (
  | { kind: 'stopped'; cordoned: boolean; podsLeft: string[] }
  | { kind: 'retyped'; type: string }
  | { kind: 'started' }
);

export interface EmbeddedCluster {
  api: FakeKubernetesApi;
  region: string;
  secretName: string;
  /** The group's instances when the cluster started, sorted by id. */
  members: NodeInstance[];
  nodeName(instanceId: string): string;
  /** The pods the cluster started with. */
  pods: FakePodInput[];
  events: InstanceEvent[];
  /** Stops relaying EC2 state changes and shuts the API server down. */
  close(): Promise<void>;
}

export const podKey = (pod: FakePodInput) => `${pod.namespace ?? 'default'}/${pod.name}`;

function podsOn(node: string, index: number): FakePodInput[] {
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
 */
export async function startEmbeddedCluster(
  config: DrpilotConfig,
  group: NodeGroupConfig,
): Promise<EmbeddedCluster> {
  const tag = group.selector.tag;
  const secretName = group.kubernetes?.kubeconfigSecret;
  if (!tag || !secretName) {
    throw new Error(
      `node group ${group.id} needs a tag selector and kubernetes.kubeconfigSecret for an embedded cluster`,
    );
  }
  const region = config.clusters[group.cluster as Side].region;
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
    eviction: { delayMs: TERMINATION_MS, reschedule: true },
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
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        InstanceIds?: string[];
        InstanceId?: string;
        InstanceType?: { Value?: string };
      };
      const ids = (input.InstanceIds ?? [input.InstanceId ?? '']).filter((id) => names.has(id));
      const command = context.commandName;
      // Taken before the call: the node as it was when EC2 was asked to stop it.
      const stopping =
        command === 'StopInstancesCommand'
          ? ids.map((id) => ({
              instanceId: id,
              kind: 'stopped' as const,
              cordoned: Boolean(api.node(nodeName(id)).spec.unschedulable),
              podsLeft: api.podsOn(nodeName(id), { includeTerminating: true }),
            }))
          : [];
      const output = await next(args);
      const at = Date.now();
      for (const event of stopping) {
        events.push({ ...event, at });
        api.instanceStopped(event.instanceId);
      }
      const type = input.InstanceType?.Value;
      if (command === 'ModifyInstanceAttributeCommand' && type) {
        for (const id of ids) events.push({ instanceId: id, at, kind: 'retyped', type });
      }
      if (command === 'StartInstancesCommand') {
        for (const id of ids) {
          events.push({ instanceId: id, at, kind: 'started' });
          api.instanceStarted(id, { readyAfterReads: READY_AFTER_READS });
        }
      }
      return output;
    },
    { step: 'initialize', name: KUBELET_MIDDLEWARE },
  );

  return {
    api,
    region,
    secretName,
    members,
    nodeName,
    pods,
    events,
    async close() {
      ec2.middlewareStack.remove(KUBELET_MIDDLEWARE);
      await api.close();
    },
  };
}
