import { isNodeReady, type KubeNode } from '../../lambdas/adapters/kubernetes/kube-api';
import { KWOK_NODE_ANNOTATION, KWOK_NODE_VALUE } from '../emulator/k8s-world';
import type { KubeAdmin } from './kube-admin';

export interface KwokNodeInput {
  name: string;
  /** EC2 instance id: `spec.providerID` becomes `aws:///<az>/<id>`, as the AWS cloud provider sets it. */
  instanceId?: string;
  availabilityZone?: string;
  labels?: Record<string, string>;
  unschedulable?: boolean;
}

const nodePath = (name: string) => `/api/v1/nodes/${encodeURIComponent(name)}`;

export function kwokNodeManifest(input: KwokNodeInput): KubeNode {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: input.name,
      labels: {
        'kubernetes.io/hostname': input.name,
        'kubernetes.io/os': 'linux',
        ...input.labels,
      },
      annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_VALUE },
    },
    spec: {
      ...(input.instanceId
        ? { providerID: `aws:///${input.availabilityZone ?? 'eu-west-1a'}/${input.instanceId}` }
        : {}),
      ...(input.unschedulable ? { unschedulable: true } : {}),
    },
  };
}

/**
 * A new node is written by several hands before it settles: admission (TaintNodesByCondition)
 * taints it `node.kubernetes.io/not-ready`, the TTL controller annotates it, kwok reports it
 * Ready, and the node lifecycle controller lifts the taint (it looks every 5 s,
 * `--node-monitor-period`). Settled = all of that happened, so a test's resourceVersion-checked
 * PATCH meets no write it did not stage.
 */
function isSettled(node: KubeNode): boolean {
  const taints = (node.spec.taints ?? []) as { key?: string }[];
  return (
    isNodeReady(node) &&
    node.metadata.annotations?.['node.alpha.kubernetes.io/ttl'] !== undefined &&
    !taints.some((taint) => taint.key === 'node.kubernetes.io/not-ready')
  );
}

/** Registers the nodes (kwok plays their kubelets) and waits until each is Ready and settled. */
export async function createKwokNodes(admin: KubeAdmin, inputs: KwokNodeInput[]): Promise<void> {
  await Promise.all(inputs.map((input) => admin.create('/api/v1/nodes', kwokNodeManifest(input))));
  await Promise.all(
    inputs.map((input) =>
      admin.until(`node ${input.name} Ready (kwok) and settled`, async () =>
        isSettled(await admin.get<KubeNode>(nodePath(input.name))) ? true : undefined,
      ),
    ),
  );
}

/**
 * The node's instance stopped: kwok lets go of the node (it manages only annotated nodes, see
 * `KWOK_NODE_ANNOTATION`), and the node turns `Ready=Unknown` as the node lifecycle controller
 * marks a node whose kubelet stopped posting status — at once rather than after its 50 s
 * `--node-monitor-grace-period`.
 */
export async function kubeletStopped(admin: KubeAdmin, nodeName: string): Promise<void> {
  await admin.mergePatch(nodePath(nodeName), {
    metadata: { annotations: { [KWOK_NODE_ANNOTATION]: 'stopped' } },
  });
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await admin.strategicPatch(`${nodePath(nodeName)}/status`, {
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: now,
        },
      ],
    },
  });
}

/** The node's instance started: kwok takes the node back and reports it Ready when it gets to it. */
export async function kubeletStarted(admin: KubeAdmin, nodeName: string): Promise<void> {
  await admin.mergePatch(nodePath(nodeName), {
    metadata: { annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_VALUE } },
  });
}
