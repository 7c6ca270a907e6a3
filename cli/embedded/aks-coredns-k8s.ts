import { readFileSync } from 'node:fs';
import { loadAllYaml } from '@kubernetes/client-node';
import {
  KubernetesClusterDns,
  type KubernetesClusterDnsOptions,
} from '../../azure-functions/src/adapters/kubernetes/coredns-cluster';
import {
  kubeConfigFor,
  type KubeAccess,
} from '../../azure-functions/src/adapters/kubernetes/kube-config';
import { CUSTOM_CONFIGMAP } from '../../azure-functions/src/core/coredns-render';
import {
  deploymentRolloutStatus,
  type DeploymentView,
} from '../../azure-functions/src/core/rollout';
import type { AuditedRequest } from './audit-log';
import type { KubeAdmin } from './kube-admin';
import { deploymentManifest } from './kube-workloads';

/** The shipped manifest (azure-functions/deploy/rbac.yaml): a Role and a RoleBinding. */
export const RBAC_MANIFEST = new URL('../../azure-functions/deploy/rbac.yaml', import.meta.url);

/** A manifest as parsed from YAML. */
export interface KubeManifest {
  kind: string;
  metadata: Record<string, unknown>;
  [field: string]: unknown;
}

export function shippedRbac(): { role: KubeManifest; binding: KubeManifest } {
  const documents = loadAllYaml(readFileSync(RBAC_MANIFEST, 'utf8')).map(
    (doc) => JSON.parse(JSON.stringify(doc)) as KubeManifest,
  );
  const role = documents.find((doc) => doc.kind === 'Role');
  const binding = documents.find((doc) => doc.kind === 'RoleBinding');
  if (!role || !binding) throw new Error('deploy/rbac.yaml holds no Role and RoleBinding');
  return { role, binding };
}

export interface CoreDnsInCluster {
  namespace: string;
  /** drpilot's identity: server, CA, the ServiceAccount's token. */
  access: KubeAccess;
  /** How the API server's audit log names that identity. */
  username: string;
  /** The Function app's Kubernetes adapter, as that identity. */
  adapter(options?: Partial<KubernetesClusterDnsOptions>): KubernetesClusterDns;
  configMap(): Promise<{
    metadata: { resourceVersion: string; annotations?: Record<string, string> };
    data?: Record<string, string>;
  }>;
  deployment(): Promise<DeploymentView>;
}

/**
 * AKS's DNS objects in a real API server, as AKS has them: in `namespace` (kube-system on AKS) a
 * `coredns-custom` ConfigMap holding `others` (someone else's entries), a `coredns` Deployment of
 * 2 replicas on the nodes `nodeSelector` picks (kwok: pods Ready `readyDelay` after they are bound,
 * so a rollout takes time), and drpilot's identity: a ServiceAccount bound by the shipped Role —
 * the manifest itself, only its namespace and subject changed, as this world has no Entra ID.
 */
export async function setUpCoreDnsInCluster(
  admin: KubeAdmin,
  options: {
    server: string;
    caPem: string;
    namespace: string;
    nodeSelector: Record<string, string>;
    others: Record<string, string>;
    readyDelay?: string;
  },
): Promise<CoreDnsInCluster> {
  const { namespace } = options;
  await admin.create(`/api/v1/namespaces/${namespace}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CUSTOM_CONFIGMAP.name, namespace },
    data: options.others,
  });
  const deployment = deploymentManifest(
    {
      namespace,
      name: 'coredns',
      nodeSelector: options.nodeSelector,
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
  const token = await admin.serviceAccountToken(namespace, serviceAccount);
  const access: KubeAccess = {
    server: options.server,
    caPem: options.caPem,
    token,
  };
  return {
    namespace,
    access,
    username: `system:serviceaccount:${namespace}:${serviceAccount}`,
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
  };
}

/** Audited requests as `VERB resource[/subresource] name → status`, for comparing flows. */
export function describeRequests(requests: readonly AuditedRequest[]): string[] {
  return requests.map(
    (r) =>
      `${r.method} ${r.resource ?? '?'}${r.subresource ? `/${r.subresource}` : ''} ${r.name ?? ''} → ${r.status}`,
  );
}
