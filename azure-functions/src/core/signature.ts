import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The request signature of the AWS → Azure contract: `x-drpilot-signature: sha256=<hex>` where hex
 * is HMAC-SHA256 over `"<x-drpilot-timestamp>.<raw body>"` (an empty body signs `"<timestamp>."`).
 */

export const TIMESTAMP_HEADER = 'x-drpilot-timestamp';
export const SIGNATURE_HEADER = 'x-drpilot-signature';
/** A request whose timestamp is further than this from now, either way, is refused. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export function signatureFor(
  secret: string,
  timestamp: string,
  rawBody: Uint8Array | string,
): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(rawBody);
  return `sha256=${hmac.digest('hex')}`;
}

export interface SignedRequest {
  timestamp: string | null;
  signature: string | null;
  rawBody: Uint8Array;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySignature(
  request: SignedRequest,
  secret: string,
  nowSeconds: number,
): SignatureCheck {
  const { timestamp, signature } = request;
  if (timestamp === null || signature === null) {
    return { ok: false, reason: `missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER}` };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, reason: `${TIMESTAMP_HEADER} is not unix seconds` };
  }
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
    return {
      ok: false,
      reason: `${TIMESTAMP_HEADER} is more than ${MAX_CLOCK_SKEW_SECONDS} s from now`,
    };
  }
  const given = /^sha256=([0-9a-f]{64})$/.exec(signature);
  if (!given?.[1]) return { ok: false, reason: `${SIGNATURE_HEADER} is not sha256=<64 hex>` };
  const expected = signatureFor(secret, timestamp, request.rawBody).slice('sha256='.length);
  // Both are 32 bytes here, as timingSafeEqual requires; the comparison takes the same time
  // wherever the first differing byte is.
  if (!timingSafeEqual(Buffer.from(given[1], 'hex'), Buffer.from(expected, 'hex'))) {
    return { ok: false, reason: 'signature does not match' };
  }
  return { ok: true };
}
