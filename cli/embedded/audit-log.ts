import { readFile } from 'node:fs/promises';

/** One request as the API server's audit log (`audit.k8s.io/v1` Event, stage ResponseComplete) recorded it. */
export interface AuditedRequest {
  /** `GET`, `POST`, `PATCH`, `PUT` or `DELETE`, from the event's verb. */
  method: string;
  /** The request path, without the query. */
  path: string;
  status: number;
  /** When the response completed, in ms since the epoch. */
  at: number;
  username: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

interface AuditEvent {
  stage?: string;
  verb?: string;
  requestURI?: string;
  stageTimestamp?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
}

const METHODS: Record<string, string> = {
  get: 'GET',
  list: 'GET',
  watch: 'GET',
  create: 'POST',
  patch: 'PATCH',
  update: 'PUT',
  delete: 'DELETE',
  deletecollection: 'DELETE',
};

/** The requests `username` made, oldest first (the world audits service-account users only). */
export async function auditedRequests(path: string, username: string): Promise<AuditedRequest[]> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const requests: AuditedRequest[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as AuditEvent;
    if (event.stage !== 'ResponseComplete' || event.user?.username !== username) continue;
    const ref = event.objectRef ?? {};
    requests.push({
      method: METHODS[event.verb ?? ''] ?? (event.verb ?? '').toUpperCase(),
      path: (event.requestURI ?? '').split('?')[0] ?? '',
      status: event.responseStatus?.code ?? 0,
      at: Date.parse(event.stageTimestamp ?? ''),
      username,
      ...(ref.resource ? { resource: ref.resource } : {}),
      ...(ref.subresource ? { subresource: ref.subresource } : {}),
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
      ...(ref.name ? { name: ref.name } : {}),
    });
  }
  return requests;
}

/** The Eviction API calls among them, as `namespace/pod` and the answer's status. */
export function evictionsIn(
  requests: readonly AuditedRequest[],
): { pod: string; status: number; at: number }[] {
  return requests
    .filter((r) => r.method === 'POST' && r.resource === 'pods' && r.subresource === 'eviction')
    .map((r) => ({ pod: `${r.namespace}/${r.name}`, status: r.status, at: r.at }));
}
