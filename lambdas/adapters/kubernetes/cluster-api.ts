import type { KubernetesAccess } from '../../core/config/kubernetes-access';
import { readSecretString } from '../aws/secrets';
import { createEksKubeApi } from './eks-kube-api';
import { createKubeApi, type KubeApiClient } from './kube-api';
import { parseKubeconfig } from './kubeconfig';

/** How the client was made, for progress lines. */
export function describeAccess(access: KubernetesAccess, region: string): string {
  return access.auth === 'eks'
    ? `EKS cluster ${access.clusterName} (${region}) with an IAM token`
    : `the kubeconfig in ${access.secretName} (${region})`;
}

/** A client for the cluster, by the configured access: a stored kubeconfig or EKS with IAM. */
export async function openKubeApi(
  access: KubernetesAccess,
  region: string,
): Promise<KubeApiClient> {
  return access.auth === 'eks'
    ? createEksKubeApi(region, access.clusterName)
    : createKubeApi(parseKubeconfig(await readSecretString(region, access.secretName)));
}
