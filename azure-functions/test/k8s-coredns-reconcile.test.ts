import './support/quiet-functions-test-mode';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeApi } from '../../lambdas/adapters/kubernetes/kube-api';
import { useK8sWorld } from '../../test/support/k8s-world';
import { StateTable } from '../src/adapters/state-table';
import type { ClusterDns } from '../src/core/cluster-dns';
import { renderServerBlocks } from '../src/core/coredns-render';
import { applyEvent } from '../src/core/desired-state';
import { parseEvent } from '../src/core/events';
import { decodeLastGood, LAST_GOOD_ANNOTATION } from '../src/core/last-good';
import { deploymentRolloutStatus, RESTARTED_AT_ANNOTATION } from '../src/core/rollout';
import { ReconcileFailed, runDnsReconcile } from '../src/reconcile/run-dns-reconcile';
import { aksStyleCorefile, startCoreDns } from '../../cli/emulator/coredns';
import { startStubResolver, type StubResolver } from '../../cli/emulator/stub-resolver';
import { shippedRbac } from '../../cli/embedded/aks-coredns-k8s';
import { useAzurite } from './support/azurite';
import {
  describeRequests,
  openCoreDnsTenant,
  OTHERS_ENTRY,
  type CoreDnsTenant,
} from './support/coredns-k8s';
import { failoverEvent, resolverIpsEvent, tunnelStateEvent } from './support/events';

// The reconcile's Kubernetes side against the real API server (kube-apiserver v1.37.2, its
// controllers and kwok): coredns-custom written with optimistic concurrency, CoreDNS restarted as
// kubectl does and waited for as `kubectl rollout status` does, the last good entries put back when
// it does not come up — all as a ServiceAccount holding only the shipped Role (deploy/rbac.yaml).

const k8s = useK8sWorld();
const azurite = useAzurite();
let primaryResolver: StubResolver;
let azureDns: StubResolver;

beforeAll(async () => {
  primaryResolver = await startStubResolver({ 'sentry.internal.example.com': '10.0.50.7' });
  azureDns = await startStubResolver({});
});

afterAll(async () => {
  await Promise.all([primaryResolver?.close(), azureDns?.close()]);
});

const PRIMARY_IPS = ['10.0.1.10', '10.0.2.10'];
const DR_IPS = ['10.1.1.10', '10.1.2.10'];

/** A state table of the test's own in Azurite, holding the desired state these events build. */
async function desiredState(...bodies: unknown[]): Promise<StateTable> {
  const table = new StateTable(
    TableClient.fromConnectionString(
      azurite.connectionString,
      `t${randomBytes(6).toString('hex')}`,
      {
        allowInsecureConnection: true,
      },
    ),
  );
  await table.ensureTable();
  await desire(table, ...bodies);
  return table;
}

async function desire(table: StateTable, ...bodies: unknown[]): Promise<void> {
  for (const body of bodies) {
    const parsed = parseEvent(body);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const current = await table.readDesired();
    const result = applyEvent(current.state, parsed.event, { mainRecordName: 'main.example.com' });
    if (result.outcome !== 'applied') throw new Error(`event not applied: ${result.outcome}`);
    expect(
      await table.recordEvent(parsed.event, new Date(), {
        state: result.state,
        basedOn: current.etag,
      }),
    ).toBe('recorded');
  }
}

function reconcile(table: StateTable, clusterDns: ClusterDns) {
  return runDnsReconcile({ table, clusterDns, cacheSeconds: 30, now: () => new Date() });
}

function entriesFor(ips: string[], region: string, endpoint: string): Record<string, string> {
  const rendered = renderServerBlocks({
    zones: ['internal.example.com'],
    ips,
    region,
    resolverEndpointId: endpoint,
    cacheSeconds: 30,
  });
  if (!rendered.ok) throw new Error(rendered.problems.join('; '));
  return rendered.data;
}
const PRIMARY_ENTRIES = entriesFor(PRIMARY_IPS, 'eu-west-1', 'rslvr-in-0abc');

const primaryActive = () => [
  failoverEvent(1, { activeSide: 'primary' }),
  resolverIpsEvent(1, 'eu-west-1', PRIMARY_IPS),
  resolverIpsEvent(2, 'eu-central-1', DR_IPS),
  tunnelStateEvent(1, [true, true]),
];

async function openTenant(readyDelay?: string): Promise<CoreDnsTenant> {
  return openCoreDnsTenant(k8s.admin, k8s.world, await k8s.tenant(), { readyDelay });
}

const drpilotKeys = (data: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(data ?? {}).filter(([key]) => key.startsWith('drpilot.')));

describe('apply → restart → Available, as the shipped Role allows', () => {
  it('writes the entries, restarts CoreDNS as kubectl does, waits for the rollout, records them as last good', async () => {
    const dns = await openTenant('2s');
    const before = await dns.deployment();
    const table = await desiredState(...primaryActive());

    const applied = await reconcile(table, dns.adapter());

    expect(applied).toMatchObject({
      outcome: 'applied',
      reason: expect.stringMatching(/internal.example.com: LocalDNS routing unknown/),
      forwarding: { region: 'eu-west-1', ips: PRIMARY_IPS },
      zones: [{ zone: 'internal.example.com', status: 'unknown' }],
    });
    // The rollout was done when the reconcile returned: a new generation observed, every replica
    // updated and available, none of the old ones left (kubectl's rollout status checks).
    const after = await dns.deployment();
    expect(after.metadata.generation).toBe((before.metadata.generation ?? 0) + 1);
    expect(deploymentRolloutStatus(after)).toMatchObject({ state: 'done' });
    expect(after.status).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 });
    expect(after.spec.template.metadata.annotations[RESTARTED_AT_ANNOTATION]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    const configMap = await dns.configMap();
    expect(configMap.data).toEqual({ ...OTHERS_ENTRY, ...PRIMARY_ENTRIES });
    expect(decodeLastGood(configMap.metadata.annotations?.[LAST_GOOD_ANNOTATION])).toEqual(
      PRIMARY_ENTRIES,
    );
    // What the API server recorded drpilot's identity doing: read, write with its
    // resourceVersion, restart (strategic merge patch), poll until done, confirm the last good.
    const flow = describeRequests(await dns.requests());
    expect(flow.slice(0, 4)).toEqual([
      'GET configmaps coredns-custom → 200',
      'PUT configmaps coredns-custom → 200',
      'GET deployments coredns → 200',
      'PATCH deployments coredns → 200',
    ]);
    expect(flow.slice(4, -1).every((r) => r === 'GET deployments coredns → 200')).toBe(true);
    expect(flow.slice(4, -1).length).toBeGreaterThan(1);
    expect(flow.at(-1)).toBe('PUT configmaps coredns-custom → 200');

    // Nothing to do the second time: no write, no restart.
    const count = flow.length;
    expect(await reconcile(table, dns.adapter())).toMatchObject({ outcome: 'unchanged' });
    expect(describeRequests(await dns.requests()).slice(count)).toEqual([
      'GET configmaps coredns-custom → 200',
    ]);
  });

  it('what went through the API server loads in real CoreDNS beside AKS’s Corefile and forwards the zone', async () => {
    const dns = await openTenant();
    const table = await desiredState(
      failoverEvent(1, { activeSide: 'primary' }),
      resolverIpsEvent(1, 'eu-west-1', [primaryResolver.address]),
    );
    expect(await reconcile(table, dns.adapter())).toMatchObject({ outcome: 'applied' });
    const { data } = await dns.configMap();
    const started = await startCoreDns(aksStyleCorefile(azureDns.address), data ?? {});
    if (!started.loaded) throw new Error(`CoreDNS did not load:\n${started.output}`);
    try {
      const resolver = new Resolver({ timeout: 3000, tries: 1 });
      resolver.setServers([`127.0.0.1:${started.run.port}`]);
      expect(await resolver.resolve4('sentry.internal.example.com')).toEqual(['10.0.50.7']);
    } finally {
      await started.run.stop();
    }
  });
});

/** Lets another writer change coredns-custom between the reconcile's first read and its write. */
class AnotherWriterBetweenReadAndWrite implements ClusterDns {
  private reads = 0;
  constructor(
    private readonly inner: ClusterDns,
    private readonly write: () => Promise<void>,
  ) {}
  async read() {
    const snapshot = await this.inner.read();
    if (this.reads++ === 0) await this.write();
    return snapshot;
  }
  apply(entries: Record<string, string>, basedOn: string) {
    return this.inner.apply(entries, basedOn);
  }
}

describe('another writer between read and write: 409, read again, decide again', () => {
  async function otherWriterAdds(dns: CoreDnsTenant, key: string, text: string): Promise<void> {
    const current = await dns.configMap();
    await k8s.admin.request(
      'PUT',
      `/api/v1/namespaces/${dns.namespace}/configmaps/coredns-custom`,
      { ...current, data: { ...current.data, [key]: text } },
    );
  }

  it("keeps the other writer's entry and writes ours on the second try", async () => {
    const dns = await openTenant();
    const table = await desiredState(...primaryActive());
    const team = 'corp.example.org {\n    forward . 10.9.9.9\n}\n';
    const cluster = new AnotherWriterBetweenReadAndWrite(dns.adapter(), () =>
      otherWriterAdds(dns, 'team.server', team),
    );

    expect(await reconcile(table, cluster)).toMatchObject({ outcome: 'applied' });

    expect((await dns.configMap()).data).toEqual({
      ...OTHERS_ENTRY,
      'team.server': team,
      ...PRIMARY_ENTRIES,
    });
    const writes = describeRequests(await dns.requests()).filter((r) => r.startsWith('PUT'));
    expect(writes).toEqual([
      'PUT configmaps coredns-custom → 409',
      'PUT configmaps coredns-custom → 200',
      'PUT configmaps coredns-custom → 200',
    ]);
  });

  it('refuses, writing nothing, when the other writer now serves our zone', async () => {
    const dns = await openTenant();
    const table = await desiredState(...primaryActive());
    const cluster = new AnotherWriterBetweenReadAndWrite(dns.adapter(), () =>
      otherWriterAdds(dns, 'team.server', 'internal.example.com {\n    forward . 10.9.9.9\n}\n'),
    );

    await expect(reconcile(table, cluster)).rejects.toThrow(ReconcileFailed);

    expect(await table.readApplied()).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/team.server already serves internal.example.com/),
    });
    expect(drpilotKeys((await dns.configMap()).data)).toEqual({});
    const requests = describeRequests(await dns.requests());
    expect(requests.filter((r) => !r.startsWith('GET'))).toEqual([
      'PUT configmaps coredns-custom → 409',
    ]);
    expect(requests.some((r) => r.includes('deployments'))).toBe(false);
  });
});

describe('a CoreDNS that does not become Available: the last good entries go back', () => {
  async function appliedPrimaryThenFailover(dns: CoreDnsTenant): Promise<StateTable> {
    const table = await desiredState(...primaryActive());
    expect(await reconcile(table, dns.adapter())).toMatchObject({ outcome: 'applied' });
    await desire(table, failoverEvent(2, { activeSide: 'dr' }));
    return table;
  }

  it('puts back the last good entries, and the reconcile fails (the queue retries it)', async () => {
    const dns = await openTenant();
    const table = await appliedPrimaryThenFailover(dns);
    const firstApply = describeRequests(await dns.requests()).length;
    // New CoreDNS pods cannot be placed: the rollout never completes, while the old pods serve.
    await dns.cordon(true);

    const failed = reconcile(table, dns.adapter({ availableTimeoutMs: 4_000 }));

    await expect(failed).rejects.toThrow(ReconcileFailed);
    const applied = await table.readApplied();
    expect(applied).toMatchObject({
      outcome: 'rolled-back',
      reason: expect.stringMatching(
        /not Available within 4 s of the change \(Waiting for deployment "coredns" rollout to finish: \d out of 2 new replicas have been updated...\); drpilot's last good entries are back .* but CoreDNS is still not Available/,
      ),
      forwarding: { region: 'eu-central-1' },
      lastApplied: { forwarding: { region: 'eu-west-1' } },
      zones: null,
    });
    const configMap = await dns.configMap();
    expect(configMap.data).toEqual({ ...OTHERS_ENTRY, ...PRIMARY_ENTRIES });
    expect(decodeLastGood(configMap.metadata.annotations?.[LAST_GOOD_ANNOTATION])).toEqual(
      PRIMARY_ENTRIES,
    );
    const writes = describeRequests((await dns.requests()).slice(firstApply)).filter(
      (r) => !r.startsWith('GET'),
    );
    expect(writes).toEqual([
      'PUT configmaps coredns-custom → 200', // DR's entries
      'PATCH deployments coredns → 200', // restart
      'PUT configmaps coredns-custom → 200', // the last good entries back
      'PATCH deployments coredns → 200', // restart on them
    ]);
  });

  it('says so when CoreDNS comes back on the last good entries', async () => {
    const dns = await openTenant();
    const table = await appliedPrimaryThenFailover(dns);
    await dns.cordon(true);
    // The nodes take pods again once DR's entries are gone: CoreDNS recovers on the old ones.
    const recovered = k8s.admin
      .until(
        'the last good entries back in coredns-custom',
        async () => {
          // Writes so far: primary's entries, their confirmation, DR's entries, the put-back.
          // Counted first, so entries read after four writes can only be the put-back's.
          const puts = (await dns.requests()).filter((r) => r.method === 'PUT').length;
          if (puts < 4) return undefined;
          const data = drpilotKeys((await dns.configMap()).data);
          return JSON.stringify(data) === JSON.stringify(PRIMARY_ENTRIES) ? true : undefined;
        },
        { timeoutMs: 60_000, pollMs: 200 },
      )
      .then(() => dns.cordon(false));

    await expect(reconcile(table, dns.adapter({ availableTimeoutMs: 4_000 }))).rejects.toThrow(
      /last good entries are back .* and CoreDNS is Available with them/,
    );
    await recovered;
    expect(deploymentRolloutStatus(await dns.deployment())).toMatchObject({ state: 'done' });
    expect(drpilotKeys((await dns.configMap()).data)).toEqual(PRIMARY_ENTRIES);
  });
});

describe('the shipped Role (deploy/rbac.yaml) is minimal', () => {
  it('grants get/update on coredns-custom and get/patch on coredns, and nothing else', async () => {
    const dns = await openTenant();
    const ns = dns.namespace;
    const api = createKubeApi({
      server: dns.access.server,
      caData: dns.access.caPem,
      token: dns.access.token,
    });
    const json = (value: unknown) => ({ contentType: 'application/json', value });
    const merge = (value: unknown) => ({ contentType: 'application/merge-patch+json', value });
    const strategic = (value: unknown) => ({
      contentType: 'application/strategic-merge-patch+json',
      value,
    });
    const configMap = (name: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
    });
    const apps = `/apis/apps/v1/namespaces/${ns}/deployments`;
    const core = `/api/v1/namespaces/${ns}`;
    type Call = [string, 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', string, unknown?];
    const calls: Call[] = [
      // Granted: what the adapter does.
      ['read coredns-custom', 'GET', `${core}/configmaps/coredns-custom`],
      ['read the coredns Deployment', 'GET', `${apps}/coredns`],
      // Not granted: other ConfigMaps, other verbs on coredns-custom.
      ['read the coredns ConfigMap (the Corefile)', 'GET', `${core}/configmaps/coredns`],
      ['update another ConfigMap', 'PUT', `${core}/configmaps/coredns`, json(configMap('coredns'))],
      ['list ConfigMaps', 'GET', `${core}/configmaps`],
      [
        'watch coredns-custom',
        'GET',
        `${core}/configmaps?watch=1&fieldSelector=metadata.name%3Dcoredns-custom`,
      ],
      ['create a ConfigMap', 'POST', `${core}/configmaps`, json(configMap('drpilot-extra'))],
      ['patch coredns-custom', 'PATCH', `${core}/configmaps/coredns-custom`, merge({ data: {} })],
      ['delete coredns-custom', 'DELETE', `${core}/configmaps/coredns-custom`],
      // Secrets.
      ['list Secrets', 'GET', `${core}/secrets`],
      ['read a Secret', 'GET', `${core}/secrets/coredns-token`],
      // Other Deployments, other verbs on coredns.
      ['list Deployments', 'GET', apps],
      ['read another Deployment', 'GET', `${apps}/metrics-server`],
      ['patch another Deployment', 'PATCH', `${apps}/metrics-server`, strategic({ spec: {} })],
      ['update the coredns Deployment', 'PUT', `${apps}/coredns`, json({})],
      [
        'scale the coredns Deployment',
        'PATCH',
        `${apps}/coredns/scale`,
        merge({ spec: { replicas: 0 } }),
      ],
      ['delete the coredns Deployment', 'DELETE', `${apps}/coredns`],
      // Pods, nodes, and the same names in another namespace.
      ['list Pods', 'GET', `${core}/pods`],
      ['list Nodes', 'GET', '/api/v1/nodes'],
      [
        'read kube-system/coredns-custom',
        'GET',
        '/api/v1/namespaces/kube-system/configmaps/coredns-custom',
      ],
      [
        'patch default/coredns',
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/coredns',
        strategic({ spec: {} }),
      ],
    ];
    const answers: Record<string, number> = {};
    try {
      for (const [what, method, path, body] of calls) {
        answers[what] = (
          await api.call(method, path, body as { contentType: string; value: unknown } | undefined)
        ).statusCode;
      }
    } finally {
      api.close();
    }
    expect(answers).toEqual(
      Object.fromEntries(calls.map(([what], i) => [what, i < 2 ? 200 : 403])),
    );
    // …and the whole flow — write, restart, wait, put back — runs on those four rights alone
    // (the tests above run as this identity); here the verbs the API server saw from it.
    expect(await reconcile(await desiredState(...primaryActive()), dns.adapter())).toMatchObject({
      outcome: 'applied',
    });
    const used = new Set(
      (await dns.requests())
        .filter((r) => r.status < 400)
        .map(
          (r) => `${r.method} ${r.resource}${r.subresource ? `/${r.subresource}` : ''} ${r.name}`,
        ),
    );
    expect([...used].sort()).toEqual([
      'GET configmaps coredns-custom',
      'GET deployments coredns',
      'PATCH deployments coredns',
      'PUT configmaps coredns-custom',
    ]);
  });

  it('binds a User placeholder to be replaced by the managed identity’s object id', () => {
    const { role, binding } = shippedRbac();
    expect(role.metadata).toEqual({ name: 'drpilot-coredns', namespace: 'kube-system' });
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'drpilot-coredns',
    });
    expect(binding.subjects).toEqual([
      {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'User',
        name: '00000000-0000-0000-0000-000000000000',
      },
    ]);
  });
});
