import {
  KubeApiError,
  createKubeApi,
  type KubeApiClient,
  type KubeStatus,
} from '../../lambdas/adapters/kubernetes/kube-api';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The admin side of a real test world: create, read, change and delete any object, and wait
 * until the cluster reaches a state. Every non-2xx answer is a {@link KubeApiError}.
 */
export class KubeAdmin {
  private constructor(readonly client: KubeApiClient) {}

  static fromKubeconfig(kubeconfigJson: string): KubeAdmin {
    return new KubeAdmin(createKubeApi(parseKubeconfig(kubeconfigJson)));
  }

  async request<T>(
    method: Method,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const answer = await this.client.call<T>(
      method,
      path,
      body === undefined ? undefined : { contentType, value: body },
    );
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      const status = answer.body as KubeStatus | undefined;
      throw new KubeApiError(
        method,
        path,
        answer.statusCode,
        status,
        `${method} ${path}: ${answer.statusCode} ${status?.message ?? ''}`.trim(),
      );
    }
    return answer.body as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  create<T>(path: string, manifest: unknown): Promise<T> {
    return this.request<T>('POST', path, manifest);
  }

  /** A token for a ServiceAccount (the TokenRequest API), to act as that identity in a test. */
  async serviceAccountToken(namespace: string, name: string): Promise<string> {
    const request = await this.create<{ status: { token: string } }>(
      `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3_600 },
      },
    );
    return request.status.token;
  }

  mergePatch<T>(path: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', path, patch, 'application/merge-patch+json');
  }

  /** Strategic merge: list entries merge by key (a node's conditions by `type`). */
  strategicPatch<T>(path: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', path, patch, 'application/strategic-merge-patch+json');
  }

  /** Deletes; an object already gone is fine. */
  async delete(path: string): Promise<void> {
    try {
      await this.request('DELETE', path);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.statusCode === 404)) throw error;
    }
  }

  async list<T>(path: string, query = ''): Promise<T[]> {
    const page = await this.get<{ items?: T[] }>(query ? `${path}?${query}` : path);
    return page.items ?? [];
  }

  /** Polls `probe` until it returns a value; the error names what was awaited and the last miss. */
  async until<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    options: { timeoutMs?: number; pollMs?: number } = {},
  ): Promise<T> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let lastError: unknown;
    for (;;) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}`,
        );
      }
      await sleep(options.pollMs ?? 100);
    }
  }

  close(): void {
    this.client.close();
  }
}

/** A kubeconfig (as JSON, the way drpilot's secrets hold it) that authenticates with `token`. */
export function tokenKubeconfigJson(options: {
  server: string;
  caData: string;
  cluster: string;
  user: string;
  token: string;
  context: string;
  namespace?: string;
}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: options.cluster,
        cluster: {
          server: options.server,
          'certificate-authority-data': Buffer.from(options.caData).toString('base64'),
        },
      },
    ],
    users: [{ name: options.user, user: { token: options.token } }],
    contexts: [
      {
        name: options.context,
        context: {
          cluster: options.cluster,
          user: options.user,
          ...(options.namespace ? { namespace: options.namespace } : {}),
        },
      },
    ],
    'current-context': options.context,
    preferences: {},
  });
}
