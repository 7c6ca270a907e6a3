import { KubeConfig } from '@kubernetes/client-node';

/** How to reach one cluster's API server: its URL, the CA it is signed by, and a bearer token. */
export interface KubeAccess {
  /** `https://…` */
  server: string;
  /** PEM of the cluster CA; the server's certificate is always verified against it. */
  caPem: string;
  /** A bearer token: an Entra ID access token for AKS, a ServiceAccount token in tests. */
  token: string;
}

/** A @kubernetes/client-node KubeConfig holding exactly that: no files, no plugins. */
export function kubeConfigFor(access: KubeAccess): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      {
        name: 'aks',
        server: access.server,
        caData: Buffer.from(access.caPem).toString('base64'),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: 'drpilot', token: access.token }],
    contexts: [{ name: 'drpilot', cluster: 'aks', user: 'drpilot' }],
    currentContext: 'drpilot',
  });
  return config;
}
