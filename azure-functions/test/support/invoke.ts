import { HttpRequest, InvocationContext } from '@azure/functions';
import { signatureFor } from '../../src/core/signature';

export const TEST_SECRET = 'test-webhook-secret-0123456789abcdef';
export const MAIN_RECORD = 'main.example.com';

export interface SignedRequestInit {
  method?: 'GET' | 'POST';
  path?: string;
  body?: string;
  secret?: string;
  /** Unix seconds; now by default. */
  timestamp?: number;
  headers?: Record<string, string>;
  /** Leave the signature headers off. */
  unsigned?: boolean;
}

export function signedRequest(init: SignedRequestInit = {}): HttpRequest {
  const body = init.body ?? '';
  const timestamp = String(init.timestamp ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (!init.unsigned) {
    headers['x-drpilot-timestamp'] = timestamp;
    headers['x-drpilot-signature'] = signatureFor(init.secret ?? TEST_SECRET, timestamp, body);
  }
  return new HttpRequest({
    method: init.method ?? 'POST',
    url: `http://localhost:7071/api/${init.path ?? 'events'}`,
    headers: { ...headers, ...init.headers },
    ...(body === '' ? {} : { body: { string: body } }),
  });
}

/** An InvocationContext whose log lines are kept instead of printed. */
export function quietContext(functionName: string): { context: InvocationContext; logs: string[] } {
  const logs: string[] = [];
  const context = new InvocationContext({
    functionName,
    invocationId: `test-${functionName}`,
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
  });
  return { context, logs };
}
