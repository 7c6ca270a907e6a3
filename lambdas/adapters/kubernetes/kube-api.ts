/**
 * A minimal typed Kubernetes API client over node:https — what cordon and drain need, and plain
 * object reads, creates, deletes and lists by API path (the restore drill's Velero objects).
 *
 * TLS: the API server is verified against `caData` from the kubeconfig (or the system CAs when
 * there is none); the client authenticates with a bearer token or a client certificate.
 */
import { Agent, request } from 'node:https';
import type { KubeCredentials } from './kubeconfig';

export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface KubeNode {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: { unschedulable?: boolean; providerID?: string; taints?: unknown[] };
  status?: { conditions?: NodeCondition[] };
}

export interface KubePod {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta & { namespace: string };
  spec: { nodeName?: string };
  status?: { phase?: string };
}

/** What the Eviction API answered: 200/201 evicted, 429 a PodDisruptionBudget blocks, 404 gone. */
export type EvictionResult = 'evicted' | 'blocked-by-pdb' | 'gone';

/** A `Status` object as the API server returns it on errors. */
export interface KubeStatus {
  kind?: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/** The API server answered with an error status. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly statusCode: number,
    readonly status: KubeStatus | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The operations drain needs; the real client and test doubles implement it. */
export interface KubeApi {
  getNode(name: string): Promise<KubeNode>;
  listNodes(): Promise<KubeNode[]>;
  /**
   * Sets `spec.unschedulable` with a JSON merge patch that carries `metadata.resourceVersion`
   * (optimistic concurrency: the API server answers 409 when it is stale). On 409 the node is
   * re-read and the patch retried once with the fresh resourceVersion.
   */
  patchNodeUnschedulable(
    name: string,
    unschedulable: boolean,
    resourceVersion?: string,
  ): Promise<KubeNode>;
  listPodsOnNode(nodeName: string): Promise<KubePod[]>;
  evictPod(namespace: string, name: string): Promise<EvictionResult>;
}

export interface KubeApiOptions {
  /** Per-request timeout (default 15 s). */
  requestTimeoutMs?: number;
  /** A bearer token asked for before every request (short-lived tokens, e.g. EKS's). */
  tokenSource?: () => Promise<string>;
}

/** True when the node's `Ready` condition is `True`. */
export function isNodeReady(node: KubeNode): boolean {
  return (node.status?.conditions ?? []).some(
    (condition) => condition.type === 'Ready' && condition.status === 'True',
  );
}

const HINTS: Record<number, string> = {
  401: 'the API server refused the credentials (the kubeconfig token or client certificate expired or wrong; with auth "eks": no access entry for the role, or the cluster does not accept access entries)',
  403: 'the identity lacks RBAC rights for this call (the rights each job needs: docs/resize.md, docs/restore-drill.md, docs/resync.md; with auth "eks": the access entry group\'s binding)',
};

const encode = encodeURIComponent;

export class KubeApiClient implements KubeApi {
  private readonly base: URL;
  private readonly agent: Agent;
  private readonly requestTimeoutMs: number;
  private readonly tokenSource: (() => Promise<string>) | undefined;

  constructor(
    private readonly credentials: KubeCredentials,
    options: KubeApiOptions = {},
  ) {
    this.base = new URL(credentials.server);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.tokenSource = options.tokenSource;
    this.agent = new Agent({
      keepAlive: false,
      ...(credentials.caData ? { ca: credentials.caData } : {}),
      ...(credentials.clientCertData && credentials.clientKeyData
        ? { cert: credentials.clientCertData, key: credentials.clientKeyData }
        : {}),
    });
  }

  /** Sends one request; resolves with the status and the parsed JSON body (if any). */
  async call<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    body?: { contentType: string; value: unknown },
  ): Promise<{ statusCode: number; body: T | KubeStatus | undefined }> {
    const basePath = this.base.pathname.replace(/\/+$/, '');
    const payload = body === undefined ? undefined : JSON.stringify(body.value);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.tokenSource ? await this.tokenSource() : this.credentials.token;
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (payload !== undefined && body) {
      headers['content-type'] = body.contentType;
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = request(
        {
          protocol: 'https:',
          hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port || 443,
          path: `${basePath}${path}`,
          method,
          headers,
          agent: this.agent,
          timeout: this.requestTimeoutMs,
          ...(this.credentials.tlsServerName ? { servername: this.credentials.tlsServerName } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: T | KubeStatus | undefined;
            if (text) {
              try {
                parsed = JSON.parse(text) as T | KubeStatus;
              } catch {
                parsed = { message: text.slice(0, 500) };
              }
            }
            resolve({ statusCode: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(
          new Error(
            `${method} ${path}: no answer from ${this.base.origin} within ${this.requestTimeoutMs} ms`,
          ),
        ),
      );
      req.on('error', (error) =>
        reject(
          error.message.startsWith(method)
            ? error
            : new Error(`${method} ${path} to ${this.base.origin} failed: ${error.message}`, {
                cause: error,
              }),
        ),
      );
      req.end(payload);
    });
  }

  private fail(method: string, path: string, statusCode: number, body: unknown): KubeApiError {
    const status = (body ?? undefined) as KubeStatus | undefined;
    const detail = status?.message ?? status?.reason ?? '';
    const hint = HINTS[statusCode];
    const message = `${method} ${path}: Kubernetes API answered ${statusCode}${detail ? ` (${detail})` : ''}${hint ? `: ${hint}` : ''}`;
    return new KubeApiError(method, path, statusCode, status, message);
  }

  private async ok<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: { contentType: string; value: unknown },
  ): Promise<T> {
    const answer = await this.call<T>(method, path, body);
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      throw this.fail(method, path, answer.statusCode, answer.body);
    }
    return answer.body as T;
  }

  getNode(name: string): Promise<KubeNode> {
    return this.ok<KubeNode>('GET', `/api/v1/nodes/${encode(name)}`);
  }

  async listNodes(): Promise<KubeNode[]> {
    return this.listAll<KubeNode>('/api/v1/nodes', '');
  }

  async patchNodeUnschedulable(
    name: string,
    unschedulable: boolean,
    resourceVersion?: string,
  ): Promise<KubeNode> {
    const path = `/api/v1/nodes/${encode(name)}`;
    const patch = (version: string | undefined) =>
      this.call<KubeNode>('PATCH', path, {
        contentType: 'application/merge-patch+json',
        value: {
          ...(version ? { metadata: { resourceVersion: version } } : {}),
          // As kubectl uncordon does: false removes the field (merge patch null).
          spec: { unschedulable: unschedulable ? true : null },
        },
      });
    const version = resourceVersion ?? (await this.getNode(name)).metadata.resourceVersion;
    const first = await patch(version);
    if (first.statusCode >= 200 && first.statusCode < 300) return first.body as KubeNode;
    if (first.statusCode !== 409) throw this.fail('PATCH', path, first.statusCode, first.body);
    // 409 Conflict: someone (the kubelet, a controller) wrote the node since we read it.
    const fresh = await this.getNode(name);
    if (Boolean(fresh.spec.unschedulable) === unschedulable) return fresh;
    const second = await patch(fresh.metadata.resourceVersion);
    if (second.statusCode >= 200 && second.statusCode < 300) return second.body as KubeNode;
    throw this.fail('PATCH', path, second.statusCode, second.body);
  }

  listPodsOnNode(nodeName: string): Promise<KubePod[]> {
    return this.listAll<KubePod>(
      '/api/v1/pods',
      `fieldSelector=${encode(`spec.nodeName=${nodeName}`)}`,
    );
  }

  async evictPod(namespace: string, name: string): Promise<EvictionResult> {
    const path = `/api/v1/namespaces/${encode(namespace)}/pods/${encode(name)}/eviction`;
    const answer = await this.call('POST', path, {
      contentType: 'application/json',
      value: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
    });
    if (answer.statusCode === 200 || answer.statusCode === 201) return 'evicted';
    if (answer.statusCode === 429) return 'blocked-by-pdb';
    if (answer.statusCode === 404) return 'gone';
    throw this.fail('POST', path, answer.statusCode, answer.body);
  }

  /** An object by its API path, or null when it does not exist (404). */
  async getObject<T>(path: string): Promise<T | null> {
    const answer = await this.call<T>('GET', path);
    if (answer.statusCode === 404) return null;
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      throw this.fail('GET', path, answer.statusCode, answer.body);
    }
    return answer.body as T;
  }

  /** Creates an object in the collection at `path`; an existing name is a 409 KubeApiError. */
  createObject<T>(path: string, manifest: unknown): Promise<T> {
    return this.ok<T>('POST', path, { contentType: 'application/json', value: manifest });
  }

  /**
   * Deletes the object at `path` (background propagation: owned objects go after it); `gone` when
   * it did not exist. A namespace or an object with finalizers may live on for a while after.
   */
  async deleteObject(path: string): Promise<'deleted' | 'gone'> {
    const answer = await this.call('DELETE', path, {
      contentType: 'application/json',
      value: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' },
    });
    if (answer.statusCode === 404) return 'gone';
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      throw this.fail('DELETE', path, answer.statusCode, answer.body);
    }
    return 'deleted';
  }

  /** Every item of the collection at `path` (all pages); `query` e.g. `labelSelector=a%3Db`. */
  listObjects<T>(path: string, query = ''): Promise<T[]> {
    return this.listAll<T>(path, query);
  }

  private async listAll<T>(path: string, query: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined;
    do {
      const params = [query, 'limit=500', next ? `continue=${encode(next)}` : '']
        .filter(Boolean)
        .join('&');
      const page = await this.ok<{ items?: T[]; metadata?: { continue?: string } }>(
        'GET',
        `${path}?${params}`,
      );
      items.push(...(page.items ?? []));
      next = page.metadata?.continue || undefined;
    } while (next);
    return items;
  }

  /** Releases the client's sockets. */
  close(): void {
    this.agent.destroy();
  }
}

/** A client for the credentials of a parsed kubeconfig. */
export function createKubeApi(
  credentials: KubeCredentials,
  options?: KubeApiOptions,
): KubeApiClient {
  return new KubeApiClient(credentials, options);
}
