import { auditedRequests, type AuditedRequest } from '../../../cli/embedded/audit-log';
import {
  setUpCoreDnsInCluster,
  type CoreDnsInCluster,
} from '../../../cli/embedded/aks-coredns-k8s';

export { describeRequests } from '../../../cli/embedded/aks-coredns-k8s';
import type { KubeAdmin } from '../../../cli/embedded/kube-admin';
import { parseKubeconfig } from '../../../lambdas/adapters/kubernetes/kubeconfig';
import type { K8sTenant, SharedK8sWorld } from '../../../test/support/k8s-world';
import type { DeploymentView } from '../../src/core/rollout';

/**
 * One test's AKS stand-in in the real test world: in the test's namespace (for kube-system) a
 * `coredns-custom` ConfigMap holding someone else's entry, a `coredns` Deployment of 2 replicas on
 * the test's kwok nodes (pods Ready `readyDelay` after they are bound, so a rollout takes time),
 * and drpilot's identity: a ServiceAccount bound by the shipped Role — the manifest itself, only
 * its namespace and subject changed, as the test world has no Entra ID. The objects are made by
 * cli/embedded/aks-coredns-k8s.ts, as the embedded drill makes them with --real-k8s.
 */
export interface CoreDnsTenant extends CoreDnsInCluster {
  nodes: string[];
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
  const nodes = [tenant.nodeName('dns-a'), tenant.nodeName('dns-b')];
  await tenant.createNodes(nodes.map((name) => ({ name })));
  const inCluster = await setUpCoreDnsInCluster(admin, {
    server: world.server,
    caPem: parseKubeconfig(world.adminKubeconfig).caData as string,
    namespace: tenant.namespace,
    nodeSelector: tenant.ownerLabel,
    others: OTHERS_ENTRY,
    ...(options.readyDelay ? { readyDelay: options.readyDelay } : {}),
  });
  return {
    ...inCluster,
    nodes,
    deployment: () =>
      inCluster.deployment() as Promise<DeploymentView & { spec: any; status: any }>,
    cordon: async (unschedulable) => {
      await Promise.all(
        nodes.map((node) =>
          admin.mergePatch(`/api/v1/nodes/${node}`, {
            spec: { unschedulable: unschedulable || null },
          }),
        ),
      );
    },
    requests: () => auditedRequests(world.auditLogPath, inCluster.username),
  };
}
