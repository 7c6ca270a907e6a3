import { signedHeaders } from '../../core/aks/signature';
import type { FunctionAppAnswer } from '../../core/aks/function-app-state';
import { exchangeSigned } from './webhook-client';

/** `drpilot status` does not wait longer for the AKS side than this. */
export const STATE_TIMEOUT_MS = 5_000;

/**
 * The Function app's signed `GET …/api/state` ("AWS → Azure events" in DESIGN.md): the same
 * headers as an event, the empty body signed as `"<timestamp>."`. A refused, reset or timed-out
 * request is an answer without a status, never a throw.
 */
export async function getFunctionAppState(request: {
  url: string;
  secret: string;
  caPem?: string;
  timeoutMs?: number;
  nowMs?: number;
}): Promise<FunctionAppAnswer> {
  const { answer, body, truncated } = await exchangeSigned({
    url: request.url,
    method: 'GET',
    headers: signedHeaders(request.secret, request.nowMs ?? Date.now(), ''),
    body: '',
    timeoutMs: request.timeoutMs ?? STATE_TIMEOUT_MS,
    ...(request.caPem ? { caPem: request.caPem } : {}),
  });
  return {
    status: answer.status,
    latencyMs: answer.latencyMs,
    detail: answer.detail,
    body: truncated ? null : body,
  };
}
