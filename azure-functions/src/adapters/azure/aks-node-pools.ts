import type { ClusterNodePools } from '../../core/cluster-dns';
import type { NodePoolDns } from '../../core/localdns';
import type { AksCluster } from './aks-access';

/** The part of ContainerServiceClient this needs (`agentPools.list`). */
export interface AgentPoolLister {
  agentPools: {
    list(
      resourceGroupName: string,
      resourceName: string,
    ): AsyncIterable<{
      name?: string;
      osType?: string;
      orchestratorVersion?: string;
      currentOrchestratorVersion?: string;
      localDNSProfile?: {
        mode?: string;
        state?: string;
        kubeDNSOverrides?: Record<string, { forwardDestination?: string }>;
      };
    }>;
  };
}

/**
 * The cluster's node pools as AKS describes them (Agent Pools - List; needs
 * Microsoft.ContainerService/managedClusters/agentPools/read, e.g. Reader on the cluster): each
 * pool's OS, running Kubernetes version and LocalDNS profile (mode, the state AKS reports, the
 * kubeDNS overrides). This is what core/localdns.ts decides from; nothing inside the cluster tells
 * a namespaced identity whether a node runs LocalDNS.
 */
export class AksNodePools implements ClusterNodePools {
  constructor(
    private readonly client: AgentPoolLister,
    private readonly cluster: AksCluster,
  ) {}

  async list(): Promise<NodePoolDns[]> {
    const pools: NodePoolDns[] = [];
    for await (const pool of this.client.agentPools.list(
      this.cluster.resourceGroup,
      this.cluster.name,
    )) {
      const profile = pool.localDNSProfile;
      pools.push({
        name: pool.name ?? '(unnamed)',
        ...(pool.osType ? { osType: pool.osType } : {}),
        ...((pool.currentOrchestratorVersion ?? pool.orchestratorVersion)
          ? { kubernetesVersion: pool.currentOrchestratorVersion ?? pool.orchestratorVersion }
          : {}),
        ...(profile
          ? {
              localDns: {
                ...(profile.mode ? { mode: profile.mode } : {}),
                ...(profile.state ? { state: profile.state } : {}),
                ...(profile.kubeDNSOverrides ? { kubeDNSOverrides: profile.kubeDNSOverrides } : {}),
              },
            }
          : {}),
      });
    }
    return pools;
  }
}
