/**
 * drpilot's EKS token against a real kube-apiserver whose token webhook verifies it as
 * aws-iam-authenticator does (test/support/aws-iam-authenticator-webhook.ts), with moto's STS
 * behind the signature check STS makes (test/support/sts-presign-signature-check-proxy.ts). The
 * access entry maps the resize role to the drpilot-drainer group; RBAC binds that group to the
 * ClusterRole in docs/resize.md. A separate API-only world: the shared one has no token webhook.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../lambdas/adapters/aws/node-sha256';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_CLUSTER_ROLE } from '../../cli/embedded/drain-identity';
import { KubeAdmin } from '../../cli/embedded/kube-admin';
import { k8sWorldBinaries } from '../../cli/emulator/k8s-world-binaries';
import { startK8sWorld, type K8sWorld } from '../../cli/emulator/k8s-world';
import { CreateClusterCommand, type DescribeClusterCommandOutput } from '@aws-sdk/client-eks';
import { clearAwsClientCache, eksClient } from '../../lambdas/adapters/aws/clients';
import { buildEksToken, eksTokenSource } from '../../lambdas/adapters/aws/eks-token';
import { describeEksEndpoint } from '../../lambdas/adapters/kubernetes/eks-kube-api';
import { createKubeApi, type KubeApiClient } from '../../lambdas/adapters/kubernetes/kube-api';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import { EKS_DRAIN_GROUP } from '../../lambdas/core/config/kubernetes-access';
import { validateConfig } from '../../lambdas/core/config/validate';
import { kubernetesDrainerFor } from '../../lambdas/resize/group-drainer';
import { exampleConfig } from '../support/example-config';
import {
  startAuthenticatorWebhook,
  type AuthenticatorWebhook,
} from '../support/aws-iam-authenticator-webhook';
import { useMoto } from '../support/moto';
import {
  startStsSignatureCheckProxy,
  type StsSignatureCheckProxy,
} from '../support/sts-presign-signature-check-proxy';

const moto = useMoto({ resetBeforeEach: false });
const CLUSTER = 'prod-eks';
const REGION = 'eu-west-1';
const RESIZE_ROLE = 'arn:aws:iam::123456789012:role/acme-drpilot-resize';

interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** The Lambda's credentials: moto's STS AssumeRole of the resize role. */
async function assumeResizeRole(endpoint: string): Promise<RoleCredentials> {
  const url = new URL(endpoint);
  const body = `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(RESIZE_ROLE)}&RoleSessionName=resize-fn`;
  const signed = await new SignatureV4({
    credentials: { accessKeyId: 'AKIDCALLER', secretAccessKey: 'caller-secret' },
    region: REGION,
    service: 'sts',
    sha256: NodeSha256,
  }).sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const text = await (
    await fetch(`${url.origin}/`, { method: 'POST', headers: signed.headers, body })
  ).text();
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1] ?? '';
  return {
    accessKeyId: field('AccessKeyId'),
    secretAccessKey: field('SecretAccessKey'),
    sessionToken: field('SessionToken'),
  };
}

let sts: StsSignatureCheckProxy;
let webhook: AuthenticatorWebhook;
let world: K8sWorld;
let admin: KubeAdmin;
let configDir: string;
let role: RoleCredentials;
const clients: KubeApiClient[] = [];

beforeAll(async () => {
  sts = await startStsSignatureCheckProxy(moto.endpoint);
  role = await assumeResizeRole(moto.endpoint);
  sts.addKey(role.accessKeyId, role.secretAccessKey);
  webhook = await startAuthenticatorWebhook({
    clusterName: CLUSTER,
    stsEndpoint: sts.endpoint,
    accessEntries: [{ principalArn: RESIZE_ROLE, kubernetesGroups: [EKS_DRAIN_GROUP] }],
  });
  configDir = await mkdtemp(join(tmpdir(), 'drpilot-token-webhook-'));
  const configFile = join(configDir, 'webhook.kubeconfig');
  await writeFile(configFile, webhook.configJson());
  world = await startK8sWorld({
    binaries: await k8sWorldBinaries({ build: false }),
    apiOnly: true,
    tokenWebhookConfigFile: configFile,
  });
  admin = KubeAdmin.fromKubeconfig(world.adminKubeconfig);
  await admin.create('/apis/rbac.authorization.k8s.io/v1/clusterroles', DRAIN_CLUSTER_ROLE);
  await admin.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'drpilot-drainer' },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: DRAIN_CLUSTER_ROLE.metadata.name,
    },
    subjects: [{ kind: 'Group', name: EKS_DRAIN_GROUP, apiGroup: 'rbac.authorization.k8s.io' }],
  });
  // An API-only world has no controller-manager to make the namespace's default ServiceAccount.
  await admin.create('/api/v1/namespaces/default/serviceaccounts', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default' },
  });
  await admin.create('/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'ip-10-0-1-10' },
  });
  await admin.create('/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default' },
    spec: { nodeName: 'ip-10-0-1-10', containers: [{ name: 'web', image: 'nginx' }] },
  });
}, 180_000);

afterAll(async () => {
  for (const client of clients) client.close();
  admin?.close();
  await world?.stop();
  await webhook?.close();
  await sts?.close();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

/** A client for the world's API server that sends `token()` as its bearer token. */
function apiWith(token: () => Promise<string>): KubeApiClient {
  const { server, caData } = parseKubeconfig(world.adminKubeconfig);
  const client = createKubeApi(
    { server, ...(caData ? { caData } : {}) },
    { tokenSource: token, requestTimeoutMs: 10_000 },
  );
  clients.push(client);
  return client;
}

const tokenInput = () => ({
  clusterName: CLUSTER,
  region: REGION,
  credentials: role,
  stsEndpoint: sts.endpoint,
});

describe('an EKS token through aws-iam-authenticator in front of a real kube-apiserver', () => {
  it('authenticates the resize role as its session ARN in the drpilot-drainer group', async () => {
    const api = apiWith(eksTokenSource(tokenInput()));
    const review = await api.call<{ status: { userInfo: { username: string; groups: string[] } } }>(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        contentType: 'application/json',
        value: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      },
    );
    expect(review.statusCode).toBe(201);
    const { userInfo } = (
      review.body as { status: { userInfo: { username: string; groups: string[] } } }
    ).status;
    expect(userInfo.username).toBe(
      'arn:aws:sts::123456789012:assumed-role/acme-drpilot-resize/resize-fn',
    );
    expect(userInfo.groups).toEqual(
      expect.arrayContaining([EKS_DRAIN_GROUP, 'system:authenticated']),
    );
  });

  it('cordons, lists and evicts with the ClusterRole of docs/resize.md bound to the group, and no more', async () => {
    const api = apiWith(eksTokenSource(tokenInput()));
    const cordoned = await api.patchNodeUnschedulable('ip-10-0-1-10', true);
    expect(cordoned.spec.unschedulable).toBe(true);
    const pods = await api.listPodsOnNode('ip-10-0-1-10');
    expect(pods.map((p) => p.metadata.name)).toEqual(['web-1']);
    expect(await api.evictPod('default', 'web-1')).toBe('evicted');
    // RBAC: what the ClusterRole does not grant is refused for this identity (403, not 401).
    expect((await api.call('DELETE', '/api/v1/nodes/ip-10-0-1-10')).statusCode).toBe(403);
    expect((await api.call('GET', '/api/v1/namespaces/default/secrets')).statusCode).toBe(403);
  });

  it('refuses a token signed for another cluster (401): STS rejects the x-k8s-aws-id signature', async () => {
    const before = webhook.refusals.length;
    const { token } = await buildEksToken({ ...tokenInput(), clusterName: 'other-cluster' });
    const answer = await apiWith(async () => token).call('GET', '/api/v1/nodes');
    expect(answer.statusCode).toBe(401);
    expect(webhook.refusals.slice(before)).toEqual([
      expect.stringContaining('SignatureDoesNotMatch'),
    ]);
  });

  it('refuses a token signed more than 15 minutes ago (401), before asking STS', async () => {
    const before = webhook.refusals.length;
    const { token } = await buildEksToken({
      ...tokenInput(),
      now: new Date(Date.now() - 16 * 60_000),
    });
    const answer = await apiWith(async () => token).call('GET', '/api/v1/nodes');
    expect(answer.statusCode).toBe(401);
    expect(webhook.refusals.slice(before)).toEqual([
      'X-Amz-Date is expired (15 minute expiration)',
    ]);
  });

  it('refuses a presigned URL that does not sign x-k8s-aws-id (401)', async () => {
    const before = webhook.refusals.length;
    const sts0 = new URL(sts.endpoint);
    const presigned = await new SignatureV4({
      credentials: role,
      region: REGION,
      service: 'sts',
      sha256: NodeSha256,
    }).presign(
      {
        method: 'GET',
        protocol: sts0.protocol,
        hostname: sts0.hostname,
        port: Number(sts0.port),
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: sts0.host },
      },
      { expiresIn: 60 },
    );
    const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
    const token = `k8s-aws-v1.${Buffer.from(`${sts0.origin}/?${query}`).toString('base64url')}`;
    const answer = await apiWith(async () => token).call('GET', '/api/v1/nodes');
    expect(answer.statusCode).toBe(401);
    expect(webhook.refusals.slice(before)).toEqual(['x-k8s-aws-id is not signed']);
  });

  it('drains a node of an ec2 group configured with auth "eks": DescribeCluster, token, cordon, evict', async () => {
    const doc = exampleConfig();
    doc.nodeGroups[0].kubernetes = { auth: 'eks', clusterName: CLUSTER };
    const validated = validateConfig(doc);
    if (!validated.ok) throw new Error(JSON.stringify(validated.errors));
    const group = validated.config.nodeGroups[0]!;
    // The Lambda's environment: the role session's keys, STS behind its signature check.
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: role.accessKeyId,
      AWS_SECRET_ACCESS_KEY: role.secretAccessKey,
      AWS_SESSION_TOKEN: role.sessionToken,
      AWS_ENDPOINT_URL_STS: sts.endpoint,
    });
    clearAwsClientCache();
    try {
      const eks = eksClient(REGION);
      await eks.send(
        new CreateClusterCommand({
          name: CLUSTER,
          roleArn: 'arn:aws:iam::123456789012:role/eks-cluster',
          resourcesVpcConfig: { subnetIds: [] },
        }),
      );
      // moto invents the endpoint and a random CA: answer with this world's, as EKS would.
      const { server, caData } = parseKubeconfig(world.adminKubeconfig);
      eks.middlewareStack.add(
        (next) => async (args) => {
          const out = await next(args);
          const cluster = (out.output as DescribeClusterCommandOutput).cluster;
          if (cluster?.name === CLUSTER) {
            cluster.endpoint = server;
            cluster.certificateAuthority = { data: Buffer.from(caData!).toString('base64') };
          }
          return out;
        },
        { step: 'initialize', name: 'worldEndpoint' },
      );
      await admin.create('/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'ip-10-0-1-20' },
        spec: { providerID: 'aws:///eu-west-1a/i-0eks' },
      });
      await admin.create('/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'api-1', namespace: 'default' },
        // No kubelet here to finish a graceful deletion: the evicted pod goes at once.
        spec: {
          nodeName: 'ip-10-0-1-20',
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'api', image: 'nginx' }],
        },
      });
      const drainer = await kubernetesDrainerFor(group, REGION, [
        {
          id: 'i-0eks',
          from: 'm6i.large',
          to: 'm6i.xlarge',
          outcome: 'not-started',
          detail: '',
          privateDnsName: null,
          tags: {},
        },
      ]);
      // Cordon, then eviction rounds until the pod (grace period 0) is gone.
      await drainer.cordon('i-0eks');
      for (let i = 0; (await drainer.evict('i-0eks')).remaining.length > 0 && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const node = await admin.get<{ spec: { unschedulable?: boolean } }>(
        '/api/v1/nodes/ip-10-0-1-20',
      );
      expect(node.spec.unschedulable).toBe(true);
      const pods = await admin.get<{ items: unknown[] }>(
        `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=ip-10-0-1-20')}`,
      );
      expect(pods.items).toEqual([]);
      await drainer.uncordon('i-0eks');
      const after = await admin.get<{ spec: { unschedulable?: boolean } }>(
        '/api/v1/nodes/ip-10-0-1-20',
      );
      expect(after.spec.unschedulable).toBeUndefined();
    } finally {
      for (const name of Object.keys(process.env))
        if (!(name in saved)) Reflect.deleteProperty(process.env, name);
      Object.assign(process.env, saved);
      clearAwsClientCache();
    }
  });

  it('refuses a DescribeCluster answer whose CA is not a PEM certificate, naming the cluster', async () => {
    // moto's answer as it is: an invented endpoint and a random string for the CA.
    await expect(describeEksEndpoint(REGION, CLUSTER)).rejects.toThrow(
      `EKS cluster ${CLUSTER} (${REGION}): certificateAuthority.data is not a base64 PEM certificate`,
    );
    await expect(describeEksEndpoint(REGION, 'no-such-cluster')).rejects.toThrow(
      `EKS cluster no-such-cluster (${REGION}) does not exist: check the configured clusterName`,
    );
  });
});
