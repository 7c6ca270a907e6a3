import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { WebhookAnswer } from '../../core/aks/outbox';

export interface SignedRequest {
  url: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body: string;
  /** PEM of CAs trusted besides the system ones (azure.caBundle). */
  caPem?: string;
  timeoutMs?: number;
  now?: () => Date;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DETAIL_MAX = 500;
/** More of an answer's body is not read (an event's answer is small; so is the state). */
const BODY_MAX_BYTES = 64 * 1024;

/**
 * Sends one signed request to the Function app over HTTPS and reports the answer; a refused,
 * reset or timed-out request is an answer without a status, never a throw. Redirects are not
 * followed: the signature covers one URL.
 */
export async function sendSigned(request: SignedRequest): Promise<WebhookAnswer> {
  return (await exchangeSigned(request)).answer;
}

/**
 * {@link sendSigned}, also giving the answer's whole body (up to 64 KiB; `truncated` beyond):
 * for the signed `GET …/api/state`, whose body is the answer.
 */
export function exchangeSigned(
  request: SignedRequest,
): Promise<{ answer: WebhookAnswer; body: string; truncated: boolean }> {
  const now = request.now ?? (() => new Date());
  const started = performance.now();
  const at = now().toISOString();
  const answer = (status: number | null, detail: string, truncated = false) => ({
    answer: {
      status,
      at,
      latencyMs: Math.round(performance.now() - started),
      detail: detail.length > DETAIL_MAX ? `${detail.slice(0, DETAIL_MAX - 1)}…` : detail,
    },
    body: status === null ? '' : detail,
    truncated,
  });
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      resolve(answer(null, `not a URL: ${request.url}`));
      return;
    }
    if (url.protocol !== 'https:') {
      resolve(answer(null, `refusing to send a signed event over ${url.protocol}`));
      return;
    }
    const body = Buffer.from(request.body, 'utf8');
    const req = httpsRequest(
      url,
      {
        method: request.method,
        headers: { ...request.headers, 'content-length': String(body.length) },
        timeout: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(request.caPem ? { ca: [...rootCertificates, request.caPem] } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= BODY_MAX_BYTES) chunks.push(chunk);
        });
        res.on('end', () =>
          resolve(
            answer(
              res.statusCode ?? null,
              Buffer.concat(chunks).toString('utf8'),
              size > BODY_MAX_BYTES,
            ),
          ),
        );
        res.on('error', (error) => resolve(answer(res.statusCode ?? null, error.message)));
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer within ${request.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`)),
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve(answer(null, `${error.code ?? error.name}: ${error.message}`)),
    );
    req.end(body);
  });
}
