/**
 * An EKS cluster's API reached with the caller's IAM identity, no stored credential: endpoint and
 * CA from `eks:DescribeCluster`, a short-lived token (eks-token.ts) on every request. EKS maps the
 * identity to Kubernetes groups through its access entry; RBAC on those groups decides the rest.
 */
import { DescribeClusterCommand, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { eksClient } from '../aws/sdk-clients/eks';
import { eksTokenSource } from '../aws/eks-token';
import { createKubeApi, type KubeApiClient, type KubeApiOptions } from './kube-api';
import type { KubeCredentials } from './kubeconfig';

/** The cluster cannot be reached this way; the message says what DescribeCluster lacked. */
export class EksClusterError extends Error {
  override readonly name = 'EksClusterError';
}

/** Server URL and CA of `clusterName` in `region`, from DescribeCluster. */
export async function describeEksEndpoint(
  region: string,
  clusterName: string,
): Promise<KubeCredentials> {
  const where = `EKS cluster ${clusterName} (${region})`;
  const { cluster } = await eksClient(region)
    .send(new DescribeClusterCommand({ name: clusterName }))
    .catch((error: unknown) => {
      if (error instanceof ResourceNotFoundException) {
        throw new EksClusterError(`${where} does not exist: check the configured clusterName`, {
          cause: error,
        });
      }
      throw error;
    });
  if (!cluster?.endpoint) {
    throw new EksClusterError(
      `${where} has no API endpoint yet (status ${cluster?.status ?? 'unknown'})`,
    );
  }
  const caBase64 = cluster.certificateAuthority?.data;
  if (!caBase64) throw new EksClusterError(`${where} reports no certificateAuthority.data`);
  const caData = Buffer.from(caBase64, 'base64').toString('utf8');
  if (!caData.includes('-----BEGIN CERTIFICATE-----')) {
    throw new EksClusterError(
      `${where}: certificateAuthority.data is not a base64 PEM certificate`,
    );
  }
  return { server: cluster.endpoint.replace(/\/+$/, ''), caData };
}

/** A client for `clusterName` that authenticates with the Lambda's (or CLI user's) IAM identity. */
export async function createEksKubeApi(
  region: string,
  clusterName: string,
  options: Omit<KubeApiOptions, 'tokenSource'> = {},
): Promise<KubeApiClient> {
  const endpoint = await describeEksEndpoint(region, clusterName);
  const tokenSource = eksTokenSource({
    clusterName,
    region,
    credentials: eksClient(region).config.credentials,
  });
  return createKubeApi(endpoint, { ...options, tokenSource });
}
