import { KubeApiError } from '../../lambdas/adapters/kubernetes/kube-api';
import { tokenKubeconfigJson, type KubeAdmin } from './kube-admin';

/**
 * The rights docs/resize.md tells users to grant drpilot's drain identity, and no more: get/list/patch
 * on nodes, list on pods, create on pods/eviction. A real API server enforces them (RBAC), so a
 * drain that works with this role proves that list is enough.
 */
export const DRAIN_CLUSTER_ROLE = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'drpilot-drain' },
  rules: [
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  ],
};

export interface DrainIdentity {
  /** `system:serviceaccount:<namespace>:<name>`, as the audit log names the user. */
  username: string;
  /** The JSON kubeconfig a user stores in Secrets Manager: server, CA data and the token. */
  kubeconfigJson: string;
  /** Deletes the ClusterRoleBinding (the ServiceAccount goes with its namespace). */
  remove(): Promise<void>;
}

const ignoreConflict = (error: unknown) => {
  if (!(error instanceof KubeApiError && error.statusCode === 409)) throw error;
};

/**
 * A ServiceAccount in `namespace` bound to {@link DRAIN_CLUSTER_ROLE}, with a token from the
 * TokenRequest API, written as the kubeconfig users store for a group's `kubeconfigSecret`
 * (`kubectl config view --raw --flatten --minify -o json` of a token user).
 */
export async function createDrainIdentity(
  admin: KubeAdmin,
  options: { server: string; caData: string; namespace: string; name?: string },
): Promise<DrainIdentity> {
  const { namespace } = options;
  const name = options.name ?? 'drpilot';
  const binding = `drpilot-drain-${namespace}`;
  await admin
    .create('/apis/rbac.authorization.k8s.io/v1/clusterroles', DRAIN_CLUSTER_ROLE)
    .catch(ignoreConflict);
  await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name },
  });
  await admin.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: binding },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'drpilot-drain' },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  });
  const kubeconfigJson = tokenKubeconfigJson({
    server: options.server,
    caData: options.caData,
    cluster: 'drpilot-test-world',
    user: name,
    token: await admin.serviceAccountToken(namespace, name),
    context: 'drain',
    namespace,
  });
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    kubeconfigJson,
    remove: () => admin.delete(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${binding}`),
  };
}
