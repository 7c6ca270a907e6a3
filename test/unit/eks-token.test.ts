import { describe, expect, it } from 'vitest';
import {
  buildEksToken,
  CLUSTER_ID_HEADER,
  EKS_TOKEN_PREFIX,
  eksTokenSource,
  stsEndpointFor,
} from '../../lambdas/adapters/aws/eks-token';

// The AWS documentation's example key pair (SigV4 test suite), never a real one.
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const now = new Date('2026-12-02T09:00:00Z');
const input = {
  clusterName: 'prod-eks',
  region: 'eu-west-1',
  credentials,
  now,
  stsEndpoint: 'https://sts.eu-west-1.amazonaws.com',
};

/**
 * Known answer made by botocore 1.44.5 the way `aws eks get-token` makes it
 * (awscli customizations/eks/get_token.py: the `x-k8s-aws-id` header added before signing,
 * `generate_presigned_url('get_caller_identity', ExpiresIn=60)`, urlsafe base64 with the `=`
 * padding stripped), same credentials, region and signing time.
 */
const BOTOCORE_URL =
  'https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261202%2Feu-west-1%2Fsts%2Faws4_request&X-Amz-Date=20261202T090000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=58f2451801998d11c9212b490317dff146d0197ece29b334170a1b589cba0e43';

const decode = (token: string) =>
  new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));

describe('buildEksToken', () => {
  it('matches the known answer of aws eks get-token (botocore) byte for byte', async () => {
    const { token } = await buildEksToken(input);
    expect(token).toBe(
      EKS_TOKEN_PREFIX + Buffer.from(BOTOCORE_URL).toString('base64url').replace(/=+$/, ''),
    );
  });

  it('is k8s-aws-v1. + base64url without padding of a presigned GetCallerIdentity URL', async () => {
    const { token } = await buildEksToken(input);
    const body = token.slice(EKS_TOKEN_PREFIX.length);
    expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    expect(body).toMatch(/^[A-Za-z0-9_-]+$/); // no '+', '/' or '=' padding
    const url = decode(token);
    expect(url.origin + url.pathname).toBe('https://sts.eu-west-1.amazonaws.com/');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261202/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20261202T090000Z',
      'X-Amz-Expires': '60',
    });
  });

  it('signs the x-k8s-aws-id header, so the signature changes with the cluster name', async () => {
    const url = decode((await buildEksToken(input)).token);
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain(CLUSTER_ID_HEADER);
    const other = decode((await buildEksToken({ ...input, clusterName: 'other' })).token);
    expect(other.searchParams.get('X-Amz-Signature')).not.toBe(
      url.searchParams.get('X-Amz-Signature'),
    );
  });

  it('carries the session token of temporary credentials', async () => {
    const url = decode(
      (await buildEksToken({ ...input, credentials: { ...credentials, sessionToken: 'a+b/c=' } }))
        .token,
    );
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('a+b/c=');
  });

  it('expires 15 minutes after the signing time, whatever X-Amz-Expires says', async () => {
    const { expiresAt } = await buildEksToken(input);
    expect(expiresAt.toISOString()).toBe('2026-12-02T09:15:00.000Z');
  });
});

describe('eksTokenSource', () => {
  it('reuses a token until a minute before it expires, then signs a fresh one', async () => {
    let clock = now.getTime();
    const source = eksTokenSource({ ...input, now: () => new Date(clock) });
    const first = await source();
    clock += 13 * 60_000 + 59_000;
    expect(await source()).toBe(first);
    clock += 1_000; // 14 min after signing: one minute of validity left
    const second = await source();
    expect(second).not.toBe(first);
    expect(decode(second).searchParams.get('X-Amz-Date')).toBe('20261202T091400Z');
  });
});

describe('stsEndpointFor', () => {
  it('is the regional endpoint, the SDK endpoint override when one is set', () => {
    expect(stsEndpointFor('eu-west-1', {})).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(stsEndpointFor('cn-north-1', {})).toBe('https://sts.cn-north-1.amazonaws.com.cn');
    expect(stsEndpointFor('eu-west-1', { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' })).toBe(
      'http://127.0.0.1:5000',
    );
    expect(
      stsEndpointFor('eu-west-1', {
        AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
        AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:6000',
      }),
    ).toBe('http://127.0.0.1:6000');
  });
});
