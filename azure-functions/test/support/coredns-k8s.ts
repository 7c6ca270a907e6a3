import { readFileSync } from 'node:fs';
import { loadAllYaml } from '@kubernetes/client-node';
import { auditedRequests, type AuditedRequest } from '../../../cli/embedded/audit-log';
import type { KubeAdmin } from '../../../cli/embedded/kube-admin';
import { deploymentManifest } from '../../../cli/embedded/kube-workloads';
import { parseKubeconfig } from '../../../lambdas/adapters/kubernetes/kubeconfig';
import type { K8sTenant, SharedK8sWorld } from '../../../test/support/k8s-world';
import {
  KubernetesClusterDns,
  type KubernetesClusterDnsOptions,
} from '../../src/adapters/kubernetes/coredns-cluster';
import { kubeConfigFor, type KubeAccess } from '../../src/adapters/kubernetes/kube-config';
import { CUSTOM_CONFIGMAP } from '../../src/core/coredns-render';
import { deploymentRolloutStatus, type DeploymentView } from '../../src/core/rollout';

/** The shipped manifest (azure-functions/deploy/rbac.yaml), parsed: a Role and a RoleBinding. */
export const RBAC_MANIFEST = new URL('../../deploy/rbac.yaml', import.meta.url);

export function shippedRbac(): { role: any; binding: any } {
  const documents = loadAllYaml(readFileSync(RBAC_MANIFEST, 'utf8')).map((doc) =>
    JSON.parse(JSON.stringify(doc)),
  );
  const role = documents.find((doc) => doc.kind === 'Role');
  const binding = documents.find((doc) => doc.kind === 'RoleBinding');
  if (!role || !binding) throw new Error('deploy/rbac.yaml holds no Role and RoleBinding');
  return { role, binding };
}

/**
 * One test's AKS stand-in in the real test world: in the test's namespace (for kube-system) a
 * `coredns-custom` ConfigMap holding someone else's entry, a `coredns` Deployment of 2 replicas on
 * the test's kwok nodes (pods Ready `readyDelay` after they are bound, so a rollout takes time),
 * and drpilot's identity: a ServiceAccount bound by the shipped Role — the manifest itself, only
 * its namespace and subject changed, as the test world has no Entra ID.
 */
export interface CoreDnsTenant {
  namespace: string;
  nodes: string[];
  /** drpilot's identity: server, CA, the ServiceAccount's token. */
  access: KubeAccess;
  username: string;
  adapter(options?: Partial<KubernetesClusterDnsOptions>): KubernetesClusterDns;
  configMap(): Promise<{
    metadata: { resourceVersion: string; annotations?: Record<string, string> };
    data?: Record<string, string>;
  }>;
  deployment(): Promise<DeploymentView & { spec: any; status: any }>;
  /** Sets `spec.unschedulable` on every node of the test: new CoreDNS pods cannot start. */
  cordon(unschedulable: boolean): Promise<void>;
  /** What drpilot's identity asked the API server (its audit log). */
  requests(): Promise<AuditedRequest[]>;
}

export const OTHERS_ENTRY = { 'team-logging.override': 'log\n' };

export async function openCoreDnsTenant(
  admin: KubeAdmin,
  world: SharedK8sWorld,
  tenant: K8sTenant,
  options: { readyDelay?: string } = {},
): Promise<CoreDnsTenant> {
  const namespace = tenant.namespace;
  const nodes = [tenant.nodeName('dns-a'), tenant.nodeName('dns-b')];
  await tenant.createNodes(nodes.map((name) => ({ name })));
  await admin.create(`/api/v1/namespaces/${namespace}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CUSTOM_CONFIGMAP.name, namespace },
    data: OTHERS_ENTRY,
  });
  const deployment = deploymentManifest(
    {
      namespace,
      name: 'coredns',
      nodeSelector: tenant.ownerLabel,
      readyDelay: options.readyDelay ?? '1s',
    },
    2,
  );
  await admin.create(`/apis/apps/v1/namespaces/${namespace}/deployments`, deployment);
  const deploymentPath = `/apis/apps/v1/namespaces/${namespace}/deployments/coredns`;
  await admin.until('CoreDNS Deployment rolled out', async () => {
    const current = await admin.get<DeploymentView>(deploymentPath);
    return deploymentRolloutStatus(current).state === 'done' &&
      current.status?.availableReplicas === 2
      ? true
      : undefined;
  });

  const { role, binding } = shippedRbac();
  const serviceAccount = 'drpilot-function';
  await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: serviceAccount },
  });
  await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, {
    ...role,
    metadata: { ...role.metadata, namespace },
  });
  await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
    ...binding,
    metadata: { ...binding.metadata, namespace },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
  });
  const token = await admin.create<{ status: { token: string } }>(
    `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3_600 },
    },
  );
  const access: KubeAccess = {
    server: world.server,
    caPem: parseKubeconfig(world.adminKubeconfig).caData as string,
    token: token.status.token,
  };
  const username = `system:serviceaccount:${namespace}:${serviceAccount}`;
  return {
    namespace,
    nodes,
    access,
    username,
    adapter: (overrides = {}) =>
      new KubernetesClusterDns(kubeConfigFor(access), {
        namespace,
        availableTimeoutMs: 60_000,
        pollIntervalMs: 250,
        ...overrides,
      }),
    configMap: () =>
      admin.get(`/api/v1/namespaces/${namespace}/configmaps/${CUSTOM_CONFIGMAP.name}`),
    deployment: () => admin.get(deploymentPath),
    cordon: async (unschedulable) => {
      await Promise.all(
        nodes.map((node) =>
          admin.mergePatch(`/api/v1/nodes/${node}`, {
            spec: { unschedulable: unschedulable || null },
          }),
        ),
      );
    },
    requests: () => auditedRequests(world.auditLogPath, username),
  };
}

/** The audited requests as `VERB resource[/subresource] name → status`, for comparing flows. */
export function describeRequests(requests: readonly AuditedRequest[]): string[] {
  return requests.map(
    (r) =>
      `${r.method} ${r.resource ?? '?'}${r.subresource ? `/${r.subresource}` : ''} ${r.name ?? ''} → ${r.status}`,
  );
}
