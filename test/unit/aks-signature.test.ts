import { describe, expect, it } from 'vitest';
import { eventBody } from '../../lambdas/core/aks/events';
import {
  generateWebhookSecret,
  signature,
  signedHeaders,
  signedText,
} from '../../lambdas/core/aks/signature';

/**
 * The known-answer vector of the contract, printed in the README so the Function app and any
 * third party can check theirs. The expected hex was computed with OpenSSL, not with this code:
 *   printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac 'drpilot-known-answer-secret'
 */
const KNOWN_ANSWER = {
  secret: 'drpilot-known-answer-secret',
  timestamp: 1700000000,
  body: '{"id":"5b0c7e0e-3c2a-4e43-9d0a-6f1f0b8a4c11","seq":7,"type":"ping","time":"2023-11-14T22:13:20.000Z","data":{}}',
  signature: 'sha256=6f8ca6a47e9a95f2a48682fc7ff33400334c160f3a481c22248521a8ac92f350',
  /** The signed GET …/api/state: an empty body signs "<timestamp>.". */
  emptyBodySignature: 'sha256=72ddf8c60d1340095be36d3080b4cca261b06c9cce80c80b215d0ce4338100b3',
};

describe('the AWS → Azure signature (known answer)', () => {
  it('signs "<timestamp>.<raw body>" with HMAC-SHA256 as the contract and OpenSSL say', () => {
    expect(signedText(KNOWN_ANSWER.timestamp, KNOWN_ANSWER.body)).toBe(
      `1700000000.${KNOWN_ANSWER.body}`,
    );
    expect(signature(KNOWN_ANSWER.secret, KNOWN_ANSWER.timestamp, KNOWN_ANSWER.body)).toBe(
      KNOWN_ANSWER.signature,
    );
    expect(signature(KNOWN_ANSWER.secret, KNOWN_ANSWER.timestamp, '')).toBe(
      KNOWN_ANSWER.emptyBodySignature,
    );
  });

  it('serialises the vector body byte for byte, keys in the contract order', () => {
    expect(
      eventBody({
        data: {},
        time: '2023-11-14T22:13:20.000Z',
        type: 'ping',
        seq: 7,
        id: '5b0c7e0e-3c2a-4e43-9d0a-6f1f0b8a4c11',
      }),
    ).toBe(KNOWN_ANSWER.body);
  });

  it('puts unix seconds (not milliseconds) in x-drpilot-timestamp', () => {
    const headers = signedHeaders(KNOWN_ANSWER.secret, 1700000000_999, KNOWN_ANSWER.body);
    expect(headers).toEqual({
      'content-type': 'application/json',
      'x-drpilot-timestamp': '1700000000',
      'x-drpilot-signature': KNOWN_ANSWER.signature,
    });
  });

  it('changes with any byte of the body, the timestamp or the secret', () => {
    const other = [
      signature(KNOWN_ANSWER.secret, KNOWN_ANSWER.timestamp + 1, KNOWN_ANSWER.body),
      signature(`${KNOWN_ANSWER.secret}x`, KNOWN_ANSWER.timestamp, KNOWN_ANSWER.body),
      signature(KNOWN_ANSWER.secret, KNOWN_ANSWER.timestamp, KNOWN_ANSWER.body.replace('7', '8')),
    ];
    expect(other).not.toContain(KNOWN_ANSWER.signature);
    expect(new Set(other).size).toBe(3);
  });

  it('generates secrets of 64 hex characters, each new', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
