import { createHmac, randomBytes } from 'node:crypto';

/**
 * The signature of the AWS → Azure contract ("AWS → Azure events" in DESIGN.md):
 * `x-drpilot-timestamp: <unix seconds>` and `x-drpilot-signature: sha256=<hex>`, where hex is
 * HMAC-SHA256, keyed with the shared secret (its UTF-8 bytes), over `"<timestamp>.<raw body>"`.
 * A request without a body (the signed `GET …/api/state`) signs `"<timestamp>."`.
 */

export const TIMESTAMP_HEADER = 'x-drpilot-timestamp';
export const SIGNATURE_HEADER = 'x-drpilot-signature';

/** The exact text that is signed. */
export function signedText(timestampSeconds: number, rawBody: string): string {
  return `${timestampSeconds}.${rawBody}`;
}

/** `sha256=<64 hex>` for one request. */
export function signature(secret: string, timestampSeconds: number, rawBody: string): string {
  const hex = createHmac('sha256', secret)
    .update(signedText(timestampSeconds, rawBody), 'utf8')
    .digest('hex');
  return `sha256=${hex}`;
}

/** The headers of one signed request sent at `nowMs`. */
export function signedHeaders(
  secret: string,
  nowMs: number,
  rawBody: string,
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'content-type': 'application/json',
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signature(secret, timestamp, rawBody),
  };
}

/**
 * A new shared secret: 32 random bytes as 64 lower-case hex characters. Hex keeps it free of
 * whitespace and quotes, so it survives a copy into Key Vault and the Function app's trimming.
 */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}
