import { ContainerServiceClient } from '@azure/arm-containerservice';
import { DefaultAzureCredential } from '@azure/identity';
import type { ClusterDns, ClusterNodePools } from '../../core/cluster-dns';
import { KubernetesClusterDns } from '../kubernetes/coredns-cluster';
import { kubeConfigFor } from '../kubernetes/kube-config';
import { aksAccess, type AksCluster } from './aks-access';
import { AksNodePools } from './aks-node-pools';

export interface AksConnection {
  clusterDns: ClusterDns;
  nodePools: ClusterNodePools;
}

/**
 * The Function's way into its AKS cluster, made per reconcile (an Entra token lives about an
 * hour): DefaultAzureCredential — the app's managed identity in Azure (`AZURE_CLIENT_ID` picks a
 * user-assigned one) — for ARM (the user credentials, the node pools) and for the AKS server
 * application's token. Not testable on this machine: there is no Entra ID or ARM here.
 */
export async function connectAks(
  cluster: AksCluster & { subscriptionId: string },
  options: { availableTimeoutMs: number },
): Promise<AksConnection> {
  const credential = new DefaultAzureCredential();
  const client = new ContainerServiceClient(credential, cluster.subscriptionId);
  const access = await aksAccess(cluster, client, credential);
  return {
    clusterDns: new KubernetesClusterDns(kubeConfigFor(access), {
      availableTimeoutMs: options.availableTimeoutMs,
    }),
    nodePools: new AksNodePools(client, cluster),
  };
}
