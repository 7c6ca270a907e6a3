/**
 * STS's front door for presigned `GetCallerIdentity` URLs, in front of moto — the rule moto lacks:
 * moto answers any request without checking its SigV4 signature, while STS recomputes the
 * signature over the request as it arrives (including every header listed in
 * `X-Amz-SignedHeaders`, e.g. the `x-k8s-aws-id` the verifier sends with *its own* cluster name)
 * and refuses a mismatch with 403 `SignatureDoesNotMatch`. That is what makes an EKS token good for
 * one cluster only (aws-iam-authenticator pkg/token/token.go relies on it in `Verify`).
 *
 * A request whose signature holds is passed on to moto as a header-signed GetCallerIdentity with
 * the same credentials (moto routes query-signed requests to S3), and moto's answer — the identity
 * of the access key, e.g. an assumed role — goes back unchanged.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../lambdas/adapters/aws/node-sha256';

export interface StsSignatureCheckProxy {
  /** `http://127.0.0.1:PORT`: sign presigned URLs for this endpoint. */
  endpoint: string;
  /** Makes a key pair known (as IAM knows the keys it issued); unknown keys are refused. */
  addKey(accessKeyId: string, secretAccessKey: string): void;
  close(): Promise<void>;
}

const SIGNING_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
];

function stsError(code: string, message: string): string {
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error></ErrorResponse>`;
}

const sha256 = NodeSha256;

function parseAmzDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : null;
}

/** Recomputes the presigned signature of `url` as received with `headers`; null when it holds. */
async function signatureProblem(
  url: URL,
  headers: IncomingHttpHeaders,
  secrets: Map<string, string>,
): Promise<{ code: string; message: string; accessKeyId?: string; sessionToken?: string } | null> {
  const q = url.searchParams;
  const [accessKeyId = '', , region = '', service = ''] = (q.get('X-Amz-Credential') ?? '').split(
    '/',
  );
  const secret = secrets.get(accessKeyId);
  if (!secret) {
    return { code: 'InvalidClientTokenId', message: 'The security token included is invalid.' };
  }
  const signingDate = parseAmzDate(q.get('X-Amz-Date') ?? '');
  if (!signingDate) return { code: 'IncompleteSignature', message: 'X-Amz-Date is missing' };
  const sessionToken = q.get('X-Amz-Security-Token') ?? undefined;
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  const query: Record<string, string> = {};
  for (const [key, value] of q) if (!SIGNING_PARAMS.includes(key)) query[key] = value;
  const signedHeaderValues: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headers[name];
    signedHeaderValues[name] = Array.isArray(value) ? value.join(',') : (value ?? '');
  }
  const signer = new SignatureV4({
    credentials: {
      accessKeyId,
      secretAccessKey: secret,
      ...(sessionToken ? { sessionToken } : {}),
    },
    region,
    service,
    sha256,
  });
  const expected = await signer.presign(
    {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: signedHeaderValues,
    },
    {
      signingDate,
      expiresIn: Number(q.get('X-Amz-Expires') ?? '0'),
      signableHeaders: new Set(signedHeaders),
    },
  );
  if (expected.query?.['X-Amz-Signature'] !== q.get('X-Amz-Signature')) {
    return {
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
    };
  }
  return null;
}

export async function startStsSignatureCheckProxy(
  motoEndpoint: string,
): Promise<StsSignatureCheckProxy> {
  const secrets = new Map<string, string>();
  const moto = new URL(motoEndpoint);
  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const url = new URL(incoming.url ?? '/', `http://${incoming.headers.host}`);
      const problem = await signatureProblem(url, incoming.headers, secrets);
      if (problem) {
        outgoing.writeHead(403, { 'content-type': 'text/xml' });
        outgoing.end(stsError(problem.code, problem.message));
        return;
      }
      const [accessKeyId = ''] = (url.searchParams.get('X-Amz-Credential') ?? '').split('/');
      const sessionToken = url.searchParams.get('X-Amz-Security-Token');
      const body = `Action=${url.searchParams.get('Action') ?? ''}&Version=${url.searchParams.get('Version') ?? ''}`;
      const signer = new SignatureV4({
        credentials: {
          accessKeyId,
          secretAccessKey: secrets.get(accessKeyId) ?? '',
          ...(sessionToken ? { sessionToken } : {}),
        },
        region: 'us-east-1',
        service: 'sts',
        sha256,
      });
      const signed = await signer.sign({
        method: 'POST',
        protocol: moto.protocol,
        hostname: moto.hostname,
        port: Number(moto.port),
        path: '/',
        query: {},
        headers: { host: moto.host, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      const answer = await fetch(`${moto.origin}/`, {
        method: 'POST',
        headers: signed.headers,
        body,
      });
      outgoing.writeHead(answer.status, {
        'content-type': answer.headers.get('content-type') ?? 'text/xml',
      });
      outgoing.end(await answer.text());
    })().catch((error: unknown) => {
      outgoing.writeHead(500);
      outgoing.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    addKey: (id, secret) => secrets.set(id, secret),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
