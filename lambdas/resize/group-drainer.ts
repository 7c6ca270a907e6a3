import { readSecretString } from '../adapters/aws/secrets';
import type { NodeGroupConfig } from '../core/config/schema';
import { createKubeApi } from '../adapters/kubernetes/kube-api';
import { parseKubeconfig } from '../adapters/kubernetes/kubeconfig';
import { kubernetesNodeDrainer } from '../adapters/kubernetes/node-drainer';
import type { NodeDrainer } from './ec2-rollout';
import type { RolloutNode } from './rollout-state';

export interface DrainTimeouts {
  nodeMs: number;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Drains through the group's Kubernetes API, with the kubeconfig kept in Secrets Manager. */
export async function kubernetesDrainerFor(
  group: NodeGroupConfig,
  region: string,
  nodes: readonly RolloutNode[],
  timeouts: DrainTimeouts,
): Promise<NodeDrainer> {
  const secretName = group.kubernetes?.kubeconfigSecret;
  if (!secretName)
    throw new Error(`node group ${group.id} has no kubernetes.kubeconfigSecret to drain with`);
  const api = createKubeApi(parseKubeconfig(await readSecretString(region, secretName)));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const wait = {
    timeoutMs: timeouts.nodeMs,
    pollMs: timeouts.pollMs,
    ...(timeouts.sleep ? { sleep: timeouts.sleep } : {}),
  };
  return kubernetesNodeDrainer(api, {
    drain: wait,
    ready: wait,
    describeInstance: (id) => ({
      id,
      privateDnsName: byId.get(id)?.privateDnsName ?? null,
      tags: byId.get(id)?.tags ?? {},
    }),
  });
}
