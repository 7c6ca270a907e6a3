import { openKubeApi } from '../adapters/kubernetes/cluster-api';
import { validatedKubernetesAccess } from '../core/config/kubernetes-access';
import type { NodeGroupConfig } from '../core/config/schema';
import { kubernetesNodeDrainer } from '../adapters/kubernetes/node-drainer';
import type { NodeDrainer } from './ec2-rollout';
import type { RolloutNode } from './rollout-state';

/** Drains through the group's Kubernetes API: a kubeconfig from Secrets Manager or EKS with IAM. */
export async function kubernetesDrainerFor(
  group: NodeGroupConfig,
  region: string,
  nodes: readonly RolloutNode[],
): Promise<NodeDrainer> {
  if (!group.kubernetes)
    throw new Error(`node group ${group.id} has no kubernetes block to drain with`);
  const api = await openKubeApi(validatedKubernetesAccess(group.kubernetes), region);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return kubernetesNodeDrainer(api, {
    describeInstance: (id) => ({
      id,
      privateDnsName: byId.get(id)?.privateDnsName ?? null,
      tags: byId.get(id)?.tags ?? {},
    }),
  });
}
