/**
 * The bearer token EKS accepts for an IAM principal, built as aws-iam-authenticator builds it
 * (kubernetes-sigs/aws-iam-authenticator, pkg/token/token.go, `GetWithSTS`) and as
 * `aws eks get-token` prints it:
 *
 * - an STS `GetCallerIdentity` request (`GET /?Action=GetCallerIdentity&Version=2011-06-15`)
 *   with the header `x-k8s-aws-id: <cluster name>` added, presigned with SigV4 query parameters
 *   and `X-Amz-Expires=60` — the header is among `X-Amz-SignedHeaders`, so the token is good for
 *   that cluster only (the verifier sends its own cluster name in that header and STS rejects
 *   the signature for any other);
 * - `k8s-aws-v1.` + the URL in base64url without padding (`base64.RawURLEncoding`).
 *
 * token.go on validity: STS ignores `X-Amz-Expires`; a presigned GetCallerIdentity URL is valid
 * for 15 minutes after its `X-Amz-Date`, and the verifier refuses it after that
 * (`presignedURLExpiration`). The authenticator's own generator treats a token as expiring one
 * minute early "for some cushion"; {@link eksTokenSource} does the same.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { endpointOverride } from './sdk-clients/cache';
import { NodeSha256 } from './node-sha256';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** token.go `requestPresignParam`: ignored by STS, kept at 60 for older verifiers. */
export const PRESIGN_EXPIRES_SECONDS = 60;
/** token.go `presignedURLExpiration`. */
export const TOKEN_VALIDITY_MS = 15 * 60_000;
/** Renew this long before the validity ends, as token.go's generator does. */
export const RENEW_BEFORE_MS = 60_000;

export interface EksToken {
  token: string;
  /** When the verifier stops accepting it (X-Amz-Date + 15 min). */
  expiresAt: Date;
}

export interface EksTokenInput {
  clusterName: string;
  /** The region of the regional STS endpoint the URL is signed for (the cluster's). */
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Signing time (default: now). */
  now?: Date;
  /** Default: the SDK's endpoint override for STS, else `https://sts.<region>.<partition suffix>`. */
  stsEndpoint?: string;
}

/** The regional STS endpoint, as `aws eks get-token` and the authenticator use with a region set. */
export function stsEndpointFor(region: string, env = process.env): string {
  const override = endpointOverride('STS', env);
  if (override) return override;
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sts.${region}.${suffix}`;
}

// RFC 3986 unreserved characters stay; everything else is percent-encoded, as SigV4 does.
const escape = (value: string) =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/** A token for `clusterName` signed with `credentials`. */
export async function buildEksToken(input: EksTokenInput): Promise<EksToken> {
  const signingDate = input.now ?? new Date();
  const endpoint = new URL(input.stsEndpoint ?? stsEndpointFor(input.region));
  const signer = new SignatureV4({
    credentials: input.credentials,
    region: input.region,
    service: 'sts',
    sha256: NodeSha256,
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: endpoint.host, [CLUSTER_ID_HEADER]: input.clusterName },
    },
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([key, value]) => `${escape(key)}=${escape(String(value))}`)
    .join('&');
  const url = `${endpoint.protocol}//${endpoint.host}/?${query}`;
  return {
    token: EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    expiresAt: new Date(Math.floor(signingDate.getTime() / 1000) * 1000 + TOKEN_VALIDITY_MS),
  };
}

/**
 * A token for every request: the same one until a minute before it expires, then a fresh one
 * (credentials re-read from the provider, which refreshes them itself).
 */
export function eksTokenSource(
  input: Omit<EksTokenInput, 'now'> & { now?: () => Date },
): () => Promise<string> {
  const now = input.now ?? (() => new Date());
  let current: EksToken | undefined;
  return async () => {
    if (!current || current.expiresAt.getTime() - RENEW_BEFORE_MS <= now().getTime()) {
      current = await buildEksToken({ ...input, now: now() });
    }
    return current.token;
  };
}
