import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../core/signature';
import { requiredSetting, SETTINGS } from '../settings';

/** Larger bodies are refused with 413 before they are read; no event comes near it. */
export const MAX_BODY_BYTES = 64 * 1024;

export type SignedBody = { ok: true; rawBody: Buffer } | { ok: false; response: HttpResponseInit };

/**
 * Reads the raw body and checks the contract's signature over it: a body that is too large gets
 * 413; a missing, malformed, stale or wrong signature gets 401. Nothing in the body is looked at
 * before the signature holds.
 */
export async function readSignedBody(request: HttpRequest, nowMs: number): Promise<SignedBody> {
  const secret = requiredSetting(SETTINGS.webhookSecret);
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) return { ok: false, response: tooLarge() };
  const rawBody = Buffer.from(await request.arrayBuffer());
  if (rawBody.length > MAX_BODY_BYTES) return { ok: false, response: tooLarge() };
  const check = verifySignature(
    {
      timestamp: request.headers.get(TIMESTAMP_HEADER),
      signature: request.headers.get(SIGNATURE_HEADER),
      rawBody,
    },
    secret,
    Math.floor(nowMs / 1000),
  );
  if (!check.ok) {
    return {
      ok: false,
      response: { status: 401, jsonBody: { error: 'unauthorized', reason: check.reason } },
    };
  }
  return { ok: true, rawBody };
}

function tooLarge(): HttpResponseInit {
  return {
    status: 413,
    jsonBody: { error: 'payload-too-large', limitBytes: MAX_BODY_BYTES },
  };
}
