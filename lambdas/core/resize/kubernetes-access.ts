/**
 * How drpilot reaches a node group's Kubernetes API (to cordon, evict and uncordon): with a
 * kubeconfig kept in Secrets Manager, or — on EKS — with a short-lived IAM token that EKS maps to
 * a Kubernetes group through the resize role's access entry (no long-lived cluster credential).
 * Pure: the config rules and the drainer both read it.
 */
import type { NodeGroupConfig } from '../config/schema';

export type KubernetesAccess =
  { auth: 'kubeconfig'; secretName: string } | { auth: 'eks'; clusterName: string };

/** The Kubernetes group the resize role's EKS access entry maps to (the README's ClusterRole binds it). */
export const EKS_DRAIN_GROUP = 'drpilot:node-drainer';

/**
 * The access a group is configured with, or why it has none. `auth` defaults to "kubeconfig" when
 * a kubeconfigSecret is given, else to "eks" for eks-managed groups (their cluster is
 * `selector.eks.clusterName`) and to "kubeconfig" for the others.
 */
export function kubernetesAccess(
  group: Pick<NodeGroupConfig, 'kind' | 'kubernetes' | 'selector'>,
): { ok: true; access: KubernetesAccess } | { ok: false; path: string[]; message: string } {
  const k = group.kubernetes;
  const auth =
    k?.auth ?? (k?.kubeconfigSecret || group.kind !== 'eks-managed' ? 'kubeconfig' : 'eks');
  if (auth === 'eks') {
    const clusterName = k?.clusterName ?? group.selector.eks?.clusterName;
    if (!clusterName) {
      return {
        ok: false,
        path: ['kubernetes', 'clusterName'],
        message: 'required for kubernetes.auth "eks": the EKS cluster whose API drains the nodes',
      };
    }
    return { ok: true, access: { auth: 'eks', clusterName } };
  }
  if (!k?.kubeconfigSecret) {
    return {
      ok: false,
      path: k ? ['kubernetes', 'kubeconfigSecret'] : ['kubernetes'],
      message: k
        ? 'required for kubernetes.auth "kubeconfig" (or set auth "eks" with clusterName on EKS)'
        : 'required for kind "ec2": nodes are drained through the Kubernetes API',
    };
  }
  return { ok: true, access: { auth: 'kubeconfig', secretName: k.kubeconfigSecret } };
}
