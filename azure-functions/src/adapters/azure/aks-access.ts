import type { TokenCredential } from '@azure/identity';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeAccess } from '../kubernetes/kube-config';

/**
 * The AKS API server through Microsoft Entra ID, never with admin credentials.
 *
 * - Token: AKS-managed Entra clusters accept access tokens issued for the first-party
 *   "Azure Kubernetes Service AAD Server" application, 6dae42f8-4368-4678-94ff-3960e28e3630,
 *   the same in every environment (Azure/kubelogin docs/book/src/concepts/aks.md: "The access
 *   token accessing AKS clusters need to be issued for this app"). With the v2 endpoint a scope is
 *   `<application id>/.default`. The Function's managed identity gets it through
 *   DefaultAzureCredential.
 * - Server and CA: from `listClusterUserCredentials` (the clusterUser kubeconfig; the Azure role
 *   "Azure Kubernetes Service Cluster User Role" grants
 *   Microsoft.ContainerService/managedClusters/listClusterUserCredential/action). On an Entra
 *   cluster that kubeconfig carries no secret — its user is a kubelogin exec or `azure`
 *   auth-provider stanza — and drpilot reads only the cluster's `server` and
 *   `certificate-authority-data` from it.
 * - What the identity may do inside the cluster is Kubernetes RBAC: deploy/rbac.yaml binds the
 *   identity's object id (kubelogin docs/book/src/topics/sp.md: "the user in rolebinding should be
 *   the SP's Object ID").
 */
export const AKS_AAD_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';
export const AKS_TOKEN_SCOPE = `${AKS_AAD_SERVER_APP_ID}/.default`;

export class AksKubeconfigError extends Error {
  override readonly name = 'AksKubeconfigError';
}

/**
 * The API server URL and CA of the kubeconfig's current context (the kubeconfig AKS returns is
 * YAML). Users, tokens and exec plugins in it are ignored; a cluster without an embedded CA, with
 * TLS verification off, or not on https is refused.
 */
export function serverAndCaFromKubeconfig(text: string): { server: string; caPem: string } {
  const config = new KubeConfig();
  try {
    config.loadFromString(text);
  } catch (error) {
    throw new AksKubeconfigError(
      `the cluster user kubeconfig does not parse: ${(error as Error).message}`,
    );
  }
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new AksKubeconfigError('the cluster user kubeconfig names no current cluster');
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new AksKubeconfigError(`cluster ${cluster.name}: server is not a URL: ${cluster.server}`);
  }
  if (url.protocol !== 'https:') {
    throw new AksKubeconfigError(`cluster ${cluster.name}: server is not https: ${cluster.server}`);
  }
  if (cluster.skipTLSVerify) {
    throw new AksKubeconfigError(`cluster ${cluster.name}: insecure-skip-tls-verify is set`);
  }
  if (!cluster.caData) {
    throw new AksKubeconfigError(`cluster ${cluster.name}: no certificate-authority-data`);
  }
  const caPem = Buffer.from(cluster.caData, 'base64').toString('utf8');
  if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new AksKubeconfigError(
      `cluster ${cluster.name}: certificate-authority-data is not a base64 PEM certificate`,
    );
  }
  return { server: cluster.server.replace(/\/+$/, ''), caPem };
}

/** The part of ContainerServiceClient this needs (so a test can hand in a recording stand-in). */
export interface ClusterUserCredentials {
  managedClusters: {
    listClusterUserCredentials(
      resourceGroupName: string,
      resourceName: string,
    ): Promise<{ kubeconfigs?: { name?: string; value?: Uint8Array }[] }>;
  };
}

export interface AksCluster {
  resourceGroup: string;
  name: string;
}

/** Server and CA from the user credentials, and an Entra token for the AKS server application. */
export async function aksAccess(
  cluster: AksCluster,
  client: ClusterUserCredentials,
  credential: TokenCredential,
): Promise<KubeAccess> {
  const [credentials, token] = await Promise.all([
    client.managedClusters.listClusterUserCredentials(cluster.resourceGroup, cluster.name),
    credential.getToken(AKS_TOKEN_SCOPE),
  ]);
  const kubeconfig = credentials.kubeconfigs?.find((entry) => entry.value)?.value;
  if (!kubeconfig) {
    throw new AksKubeconfigError(
      `listClusterUserCredentials for ${cluster.resourceGroup}/${cluster.name} returned no kubeconfig`,
    );
  }
  if (!token?.token) throw new Error(`no Entra token for ${AKS_TOKEN_SCOPE}`);
  const { server, caPem } = serverAndCaFromKubeconfig(Buffer.from(kubeconfig).toString('utf8'));
  return { server, caPem, token: token.token };
}
