/**
 * A TokenReview webhook that verifies `k8s-aws-v1.` tokens the way aws-iam-authenticator does
 * (kubernetes-sigs/aws-iam-authenticator, pkg/token/token.go `Verify`) and maps the identity as an
 * EKS access entry does — for kube-apiserver's `--authentication-token-webhook-config-file`.
 *
 * Verify, in token.go's order: at most 4 KiB; the `k8s-aws-v1.` prefix; base64url without
 * padding; the URL's host is the STS endpoint and its path `/`; only the presign query
 * parameters, each once; `Action=GetCallerIdentity`; `x-k8s-aws-id` among the signed headers;
 * `X-Amz-Expires` within 0–900; `X-Amz-Date` no more than 15 minutes old. Then the URL is
 * called with `x-k8s-aws-id: <this cluster>` (STS checks the signature against that value — see
 * sts-presign-signature-check-proxy.ts for moto) and a 200 answer names the caller.
 *
 * Mapping: an assumed-role ARN is canonicalised to its role ARN (token.go's `arn.Canonicalize`),
 * looked up among the access entries; the username is the session ARN and the groups are the
 * entry's `kubernetesGroups`, as EKS does for an IAM role without a custom username.
 *
 * Only departure: the STS endpoint is moto's loopback `http://` origin rather than AWS's
 * `https://sts.<region>.amazonaws.com` hosts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AccessEntry {
  principalArn: string;
  kubernetesGroups: string[];
}

export interface AuthenticatorWebhook {
  /** `http://127.0.0.1:PORT/authenticate` */
  url: string;
  /** kube-apiserver's webhook config (a kubeconfig naming this server), as JSON. */
  configJson(): string;
  /** Why each refused token was refused, newest last. */
  refusals: string[];
  close(): Promise<void>;
}

const PREFIX = 'k8s-aws-v1.';
const MAX_TOKEN_BYTES = 4 * 1024;
const PRESIGNED_URL_EXPIRATION_MS = 15 * 60_000;
const ALLOWED_PARAMS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

class Refused extends Error {}

/** token.go's arn.Canonicalize for the two kinds a Lambda or a person signs with. */
export function canonicalArn(arn: string): string {
  const assumed = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  if (assumed) return `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`;
  if (/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/.+$/.test(arn)) return arn;
  throw new Refused(`unsupported ARN ${arn}`);
}

function parseIdentity(contentType: string, body: string): { arn: string; account: string } {
  if (contentType.includes('json')) {
    const parsed = JSON.parse(body) as {
      GetCallerIdentityResponse?: { GetCallerIdentityResult?: { Arn?: string; Account?: string } };
    };
    const result = parsed.GetCallerIdentityResponse?.GetCallerIdentityResult;
    return { arn: result?.Arn ?? '', account: result?.Account ?? '' };
  }
  // moto answers in the query protocol's XML even when JSON is asked for.
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1] ?? '';
  return { arn: field('Arn'), account: field('Account') };
}

export async function startAuthenticatorWebhook(options: {
  clusterName: string;
  stsEndpoint: string;
  accessEntries: AccessEntry[];
  now?: () => Date;
}): Promise<AuthenticatorWebhook> {
  const now = options.now ?? (() => new Date());
  const sts = new URL(options.stsEndpoint);
  const refusals: string[] = [];

  const verify = async (token: string) => {
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) throw new Refused('token is too large');
    if (!token.startsWith(PREFIX)) throw new Refused(`token is missing the ${PREFIX} prefix`);
    const encoded = token.slice(PREFIX.length);
    if (!/^[A-Za-z0-9_-]*$/.test(encoded)) throw new Refused('token is not base64url unpadded');
    const url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (url.origin !== sts.origin) throw new Refused(`unexpected host ${url.host} in the URL`);
    if (url.pathname !== '/') throw new Refused('unexpected path in the URL');
    const params = new Map<string, string>();
    for (const key of new Set(url.searchParams.keys())) {
      if (!ALLOWED_PARAMS.has(key.toLowerCase())) throw new Refused(`parameter ${key} not allowed`);
      const values = url.searchParams.getAll(key);
      if (values.length !== 1) throw new Refused(`parameter ${key} given more than once`);
      params.set(key.toLowerCase(), values[0] ?? '');
    }
    if (params.get('action') !== 'GetCallerIdentity') throw new Refused('unexpected action');
    const signed = (params.get('x-amz-signedheaders') ?? '').toLowerCase().split(';');
    if (!signed.includes('x-k8s-aws-id')) throw new Refused('x-k8s-aws-id is not signed');
    const expires = Number(params.get('x-amz-expires'));
    if (!Number.isInteger(expires) || expires < 0 || expires > 900) {
      throw new Refused(`invalid X-Amz-Expires ${params.get('x-amz-expires')}`);
    }
    const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(
      params.get('x-amz-date') ?? '',
    );
    if (!date) throw new Refused('X-Amz-Date is missing or malformed');
    const signedAt = Date.parse(
      `${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`,
    );
    if (now().getTime() > signedAt + PRESIGNED_URL_EXPIRATION_MS) {
      throw new Refused('X-Amz-Date is expired (15 minute expiration)');
    }
    const answer = await fetch(url, {
      headers: { 'x-k8s-aws-id': options.clusterName, accept: 'application/json' },
      redirect: 'manual',
    });
    const body = await answer.text();
    if (answer.status !== 200) throw new Refused(`STS answered ${answer.status}: ${body}`);
    const identity = parseIdentity(answer.headers.get('content-type') ?? '', body);
    const principal = canonicalArn(identity.arn);
    const entry = options.accessEntries.find((e) => e.principalArn === principal);
    if (!entry) throw new Refused(`no access entry for ${principal}`);
    return { username: identity.arn, groups: entry.kubernetesGroups };
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        apiVersion: string;
        spec?: { token?: string };
      };
      const reply = (status: Record<string, unknown>) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ apiVersion: review.apiVersion, kind: 'TokenReview', status }),
        );
      };
      verify(review.spec?.token ?? '').then(
        (user) => reply({ authenticated: true, user }),
        (error: unknown) => {
          const reason = error instanceof Error ? error.message : String(error);
          refusals.push(reason);
          reply({ authenticated: false, error: reason });
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/authenticate`;
  return {
    url,
    refusals,
    configJson: () =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'aws-iam-authenticator', cluster: { server: url } }],
        users: [{ name: 'kube-apiserver', user: {} }],
        contexts: [
          {
            name: 'webhook',
            context: { cluster: 'aws-iam-authenticator', user: 'kube-apiserver' },
          },
        ],
        'current-context': 'webhook',
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
