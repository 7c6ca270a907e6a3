/**
 * How drpilot reaches a cluster's Kubernetes API: with a kubeconfig kept in Secrets Manager, or —
 * on EKS — with a short-lived IAM token that EKS maps to a Kubernetes group through the access
 * entry the CDK makes for the function's role (no long-lived cluster credential). Shared by the
 * node groups' `kubernetes` block and `backups.restoreDrill`; the config rules, the drainer, the
 * restore drill and the CDK all read it from here.
 */
export const KUBERNETES_AUTH = ['kubeconfig', 'eks'] as const;
export type KubernetesAuth = (typeof KUBERNETES_AUTH)[number];

/** The Kubernetes group the resize role's access entry maps to; the ClusterRole in docs/resize.md binds it. */
export const EKS_DRAIN_GROUP = 'drpilot-drainer';
/** The Kubernetes group the restore drill role's access entry maps to. */
export const EKS_RESTORE_DRILL_GROUP = 'drpilot-restore-drill';

export type KubernetesAccess =
  { auth: 'kubeconfig'; secretName: string } | { auth: 'eks'; clusterName: string };

export interface KubernetesAccessInput {
  auth?: KubernetesAuth | undefined;
  kubeconfigSecret?: string | undefined;
  clusterName?: string | undefined;
}

/**
 * The access configured, or why there is none (`path` relative to the block). `auth` defaults to
 * "eks" when only `clusterName` is set, else to "kubeconfig". A field the chosen auth does not
 * read is refused rather than silently ignored.
 */
export function kubernetesAccess(
  block: KubernetesAccessInput,
): { ok: true; access: KubernetesAccess } | { ok: false; path: string[]; message: string } {
  const auth = block.auth ?? (block.clusterName && !block.kubeconfigSecret ? 'eks' : 'kubeconfig');
  if (auth === 'eks') {
    if (block.kubeconfigSecret) {
      return {
        ok: false,
        path: ['kubeconfigSecret'],
        message: 'not read with auth "eks" (the token comes from IAM): remove it',
      };
    }
    if (!block.clusterName) {
      return {
        ok: false,
        path: ['clusterName'],
        message: 'required for auth "eks": the EKS cluster whose API drpilot calls',
      };
    }
    return { ok: true, access: { auth: 'eks', clusterName: block.clusterName } };
  }
  if (block.clusterName) {
    return {
      ok: false,
      path: ['clusterName'],
      message: 'read only with auth "eks": remove it, or set auth "eks" instead of a kubeconfig',
    };
  }
  if (!block.kubeconfigSecret) {
    return {
      ok: false,
      path: ['kubeconfigSecret'],
      message: 'required for auth "kubeconfig" (or set auth "eks" with clusterName on EKS)',
    };
  }
  return { ok: true, access: { auth: 'kubeconfig', secretName: block.kubeconfigSecret } };
}

/** The access of a block that passed validation (the config rules refused every other). */
export function validatedKubernetesAccess(block: KubernetesAccessInput): KubernetesAccess {
  const result = kubernetesAccess(block);
  if (!result.ok) throw new Error(`kubernetes.${result.path.join('.')}: ${result.message}`);
  return result.access;
}
