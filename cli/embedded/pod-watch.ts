import type { ClientRequest } from 'node:http';
import { Agent, request } from 'node:https';
import type { KubePod } from '../../lambdas/adapters/kubernetes/kube-api';
import type { KubeCredentials } from '../../lambdas/adapters/kubernetes/kubeconfig';
import { isPodHealthy } from './kube-workloads';

export interface DisruptionWatch {
  /** The most pods of the app that were not healthy at once while watched; throws if the watch broke. */
  maxUnavailable(): number;
  close(): void;
}

/**
 * Follows an app's pods with a watch (every change the API server makes, in order, from the
 * listing's resourceVersion on) and keeps the most of them that were unavailable at once:
 * `expected` minus the healthy ones — what a PodDisruptionBudget counts as disrupted.
 */
export function watchDisruption(
  credentials: KubeCredentials,
  input: {
    namespace: string;
    app: string;
    expected: number;
    pods: KubePod[];
    resourceVersion: string;
  },
): DisruptionWatch {
  const healthy = new Map(
    input.pods.map((pod) => [pod.metadata.uid ?? pod.metadata.name, isPodHealthy(pod)]),
  );
  const unavailable = () => input.expected - [...healthy.values()].filter(Boolean).length;
  let worst = unavailable();
  let failure: string | undefined;
  const server = new URL(credentials.server);
  const agent = new Agent({
    ...(credentials.caData ? { ca: credentials.caData } : {}),
    ...(credentials.clientCertData && credentials.clientKeyData
      ? { cert: credentials.clientCertData, key: credentials.clientKeyData }
      : {}),
  });
  const query = new URLSearchParams({
    labelSelector: `app=${input.app}`,
    watch: 'true',
    resourceVersion: input.resourceVersion,
  });
  const watch: ClientRequest = request({
    protocol: 'https:',
    hostname: server.hostname,
    port: server.port,
    path: `/api/v1/namespaces/${input.namespace}/pods?${query}`,
    headers: {
      accept: 'application/json',
      ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
    },
    agent,
  });
  watch.on('response', (response) => {
    if (response.statusCode !== 200) failure = `the watch was answered ${response.statusCode}`;
    let buffered = '';
    response.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (!line.trim()) continue;
        const event = JSON.parse(line) as { type: string; object: KubePod };
        if (event.type === 'ERROR') {
          failure = `the watch ended: ${JSON.stringify(event.object)}`;
          continue;
        }
        const key = event.object.metadata.uid ?? event.object.metadata.name;
        if (event.type === 'DELETED') healthy.delete(key);
        else if (event.type === 'ADDED' || event.type === 'MODIFIED') {
          healthy.set(key, isPodHealthy(event.object));
        }
        worst = Math.max(worst, unavailable());
      }
    });
    response.on('error', (error) => (failure ??= error.message));
  });
  let closed = false;
  watch.on('error', (error) => {
    if (!closed) failure ??= error.message;
  });
  watch.end();
  return {
    maxUnavailable() {
      if (failure) throw new Error(`watching ${input.namespace}/${input.app}: ${failure}`);
      return worst;
    },
    close() {
      closed = true;
      watch.destroy();
      agent.destroy();
    },
  };
}
