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
