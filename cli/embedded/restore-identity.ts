import { KubeApiError } from '../../lambdas/adapters/kubernetes/kube-api';
import { tokenKubeconfigJson, type KubeAdmin } from './kube-admin';

/**
 * The rights docs/restore-drill.md tells users to grant the restore drill's identity in the DR cluster, and
 * no more. Velero creates the restored objects; drpilot only asks Velero and cleans up:
 * - in the Velero namespace (a Role): get Backups; create, get and delete Restores and the
 *   modifier ConfigMap (create cannot be limited by name in RBAC, delete could but the names
 *   carry the drill id);
 * - cluster-wide (a ClusterRole): list and get namespaces (the scratch names must not exist;
 *   waiting for one to be gone), delete namespaces (the scratch ones: their names are made per
 *   drill, so RBAC cannot name them), list Deployments (in the scratch namespaces).
 * A real API server enforces them (RBAC), so a drill that works with these roles proves the list
 * is enough.
 */
export const RESTORE_DRILL_CLUSTER_ROLE = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'drpilot-restore-drill' },
  rules: [
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'delete'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] },
  ],
};

export const RESTORE_DRILL_ROLE_RULES = [
  { apiGroups: ['velero.io'], resources: ['backups'], verbs: ['get'] },
  { apiGroups: ['velero.io'], resources: ['restores'], verbs: ['create', 'get', 'delete'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'delete'] },
];

export interface RestoreIdentity {
  /** `system:serviceaccount:<namespace>:<name>`, as the audit log names the user. */
  username: string;
  /** The JSON kubeconfig a user stores in backups.restoreDrill.kubeconfigSecret. */
  kubeconfigJson: string;
  /** Binds the same Role in another namespace (a test's misconfigured Velero namespace). */
  bindIn(namespace: string): Promise<void>;
  /** Deletes the ClusterRoleBinding and the Roles' bindings (the ServiceAccount goes with its namespace). */
  remove(): Promise<void>;
}

const ignoreConflict = (error: unknown) => {
  if (!(error instanceof KubeApiError && error.statusCode === 409)) throw error;
};

/**
 * A ServiceAccount in `namespace` holding {@link RESTORE_DRILL_CLUSTER_ROLE} and, in
 * `veleroNamespace`, a Role of {@link RESTORE_DRILL_ROLE_RULES}; its token (TokenRequest API) as
 * the kubeconfig users store in Secrets Manager.
 */
export async function createRestoreIdentity(
  admin: KubeAdmin,
  options: {
    server: string;
    caData: string;
    namespace: string;
    veleroNamespace: string;
    name?: string;
  },
): Promise<RestoreIdentity> {
  const { namespace } = options;
  const name = options.name ?? 'drpilot-restore';
  const clusterBinding = `drpilot-restore-drill-${namespace}`;
  const subjects = [{ kind: 'ServiceAccount', name, namespace }];
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await admin.create(`${rbac}/clusterroles`, RESTORE_DRILL_CLUSTER_ROLE).catch(ignoreConflict);
  await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name },
  });
  await admin.create(`${rbac}/clusterrolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: clusterBinding },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: RESTORE_DRILL_CLUSTER_ROLE.metadata.name,
    },
    subjects,
  });
  const bound: string[] = [];
  const bindIn = async (veleroNamespace: string) => {
    await admin
      .create(`${rbac}/namespaces/${veleroNamespace}/roles`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'drpilot-restore-drill' },
        rules: RESTORE_DRILL_ROLE_RULES,
      })
      .catch(ignoreConflict);
    await admin.create(`${rbac}/namespaces/${veleroNamespace}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `drpilot-restore-drill-${namespace}` },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'drpilot-restore-drill',
      },
      subjects,
    });
    bound.push(veleroNamespace);
  };
  await bindIn(options.veleroNamespace);
  const kubeconfigJson = tokenKubeconfigJson({
    server: options.server,
    caData: options.caData,
    cluster: 'drpilot-dr',
    user: name,
    token: await admin.serviceAccountToken(namespace, name),
    context: 'restore-drill',
  });
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    kubeconfigJson,
    bindIn,
    async remove() {
      await admin.delete(`${rbac}/clusterrolebindings/${clusterBinding}`);
      for (const ns of bound) {
        await admin.delete(
          `${rbac}/namespaces/${ns}/rolebindings/drpilot-restore-drill-${namespace}`,
        );
      }
    },
  };
}
