import './support/quiet-functions-test-mode';
import { DnsResolverManagementClient } from '@azure/arm-dnsresolver';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { armForwardingRuleset } from '../src/adapters/azure/forwarding-ruleset';
import { appStorage } from '../src/adapters/storage-clients';
import { parseArmResourceId } from '../src/core/arm-ids';
import { ruleNameFor } from '../src/core/forwarding-rules-plan';
import { dnsReconcile } from '../src/functions/dnsReconcile';
import { events } from '../src/functions/events';
import { state } from '../src/functions/state';
import { ReconcileFailed } from '../src/reconcile/run-dns-reconcile';
import { runRulesetReconcile } from '../src/reconcile/run-ruleset-reconcile';
import { useAzurite } from './support/azurite';
import { failoverEvent, resolverIpsEvent, tunnelStateEvent } from './support/events';
import { MAIN_RECORD, quietContext, signedRequest, TEST_SECRET } from './support/invoke';
import {
  RulesetArmFake,
  type LoggedRequest,
} from '../../cli/emulator/ruleset-arm-fake-etag-412-404-429';

// The private-resolver mode end to end on this machine: signed events into the handlers, Table
// Storage and the queue in Azurite, and the reconcile writing through the real
// @azure/arm-dnsresolver client to a stateful ARM fake of the ruleset (no emulator exists for
// ARM), which encodes the documented etag/412, 404 and 429 rules.

const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000aa';
const CLUSTER_VNET = `/subscriptions/${SUBSCRIPTION}/resourceGroups/aks-rg/providers/Microsoft.Network/virtualNetworks/aks-vnet`;
const OTHER_VNET = `/subscriptions/${SUBSCRIPTION}/resourceGroups/hub-rg/providers/Microsoft.Network/virtualNetworks/hub-vnet`;
const ZONES = ['internal.example.com', 'corp.example.com'];
const DR_IPS = ['10.1.1.10', '10.1.2.10'];
const PRIMARY_IPS = ['10.0.1.10', '10.0.2.10'];
const INTERNAL = ruleNameFor('internal.example.com');
const CORP = ruleNameFor('corp.example.com');
const staticToken = {
  getToken: async () => ({ token: 'test-arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

useAzurite();
let fake: RulesetArmFake;
let seq = 10;
let rulesetCount = 0;

beforeAll(async () => {
  process.env.DRPILOT_WEBHOOK_SECRET = TEST_SECRET;
  process.env.DRPILOT_MAIN_RECORD = MAIN_RECORD;
  fake = await RulesetArmFake.start();
  for (const event of [
    failoverEvent(1, { activeSide: 'dr' }),
    resolverIpsEvent(1, 'eu-west-1', PRIMARY_IPS, ZONES),
    resolverIpsEvent(2, 'eu-central-1', DR_IPS, ZONES),
    tunnelStateEvent(1, [true, true]),
  ]) {
    expect((await send(event)).status).toBe(202);
  }
});

afterAll(async () => {
  await fake?.close();
});

async function send(body: unknown) {
  const response = await events(
    signedRequest({ body: JSON.stringify(body) }),
    quietContext('events').context,
  );
  return { status: response.status, body: response.jsonBody as Record<string, unknown> };
}

async function appliedThroughState() {
  const response = await state(
    signedRequest({ method: 'GET', path: 'state' }),
    quietContext('state').context,
  );
  expect(response.status).toBe(200);
  return (response.jsonBody as { applied: any }).applied;
}

/** A fresh ruleset in the fake, linked to `vnets`, and the Function's adapter pointed at it. */
function newRuleset(vnets: string[] = [CLUSTER_VNET]) {
  const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/dns-rg/providers/Microsoft.Network/dnsForwardingRulesets/rs-${++rulesetCount}`;
  fake.addRuleset(id);
  vnets.forEach((vnet, i) => fake.linkVnet(id, `link-${i}`, vnet));
  const parsed = parseArmResourceId(id, 'Microsoft.Network/dnsForwardingRulesets');
  if (!parsed.ok) throw new Error(parsed.error);
  const port = armForwardingRuleset(parsed.value, {
    credential: staticToken,
    client: { endpoint: fake.endpoint, tlsOptions: { ca: fake.caPem } },
  });
  return { id, port };
}

function reconcile(ruleset: ReturnType<typeof newRuleset>) {
  return runRulesetReconcile({
    table: appStorage().table,
    ruleset: { port: ruleset.port, clusterVnetId: CLUSTER_VNET },
    now: () => new Date(),
  });
}

const targets = (ips: string[]) => ips.map((ipAddress) => ({ ipAddress, port: 53 }));
const writes = (requests: LoggedRequest[]) => requests.filter((r) => r.method !== 'GET');

describe('the ARM fake speaks the documented rules to the real SDK client', () => {
  it('a new etag on every write, 412 on a stale If-Match or If-None-Match: * on an existing rule, 404 for a missing rule', async () => {
    const { id, port } = newRuleset();
    const created = await port.create({
      name: 'probe',
      domainName: 'probe.example.com.',
      targets: targets(['10.9.9.9']),
      metadata: { 'managed-by': 'drpilot' },
    });
    expect(created.outcome).toBe('written');
    const [read] = (await port.read()).rules;
    const updated = await port.replaceTargets(read!, targets(['10.9.9.8']));
    expect(updated.outcome).toBe('written');
    expect(updated.outcome === 'written' && created.outcome === 'written' && updated.etag).not.toBe(
      created.outcome === 'written' && created.etag,
    );
    expect(await port.replaceTargets(read!, targets(['10.9.9.7']))).toEqual({
      outcome: 'precondition-failed',
    });
    expect(
      await port.create({
        name: 'probe',
        domainName: 'probe.example.com.',
        targets: targets(['10.9.9.7']),
        metadata: {},
      }),
    ).toEqual({ outcome: 'precondition-failed' });
    expect(fake.rule(id, 'probe')?.targetDnsServers).toEqual(targets(['10.9.9.8']));

    const client = new DnsResolverManagementClient(staticToken, SUBSCRIPTION, {
      endpoint: fake.endpoint,
      tlsOptions: { ca: fake.caPem },
    });
    const missing = await client.forwardingRules.get('dns-rg', `rs-${rulesetCount}`, 'nope').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(missing).toMatchObject({ name: 'RestError', statusCode: 404 });
  });
});

describe('private-resolver reconcile: events → ruleset', () => {
  beforeEach(async () => {
    fake.setPageSize(100);
    // Each test starts from DR active (a later seq than any earlier test's failover).
    expect((await send(failoverEvent(++seq, { activeSide: 'dr' }))).status).toBe(202);
  });

  it('creates one rule per zone, marked as drpilot’s, at the active region’s addresses on port 53', async () => {
    const ruleset = newRuleset();
    // One item a page: the second reconcile sees both rules only by following nextLink.
    fake.setPageSize(1);
    const applied = await reconcile(ruleset);
    expect(applied).toMatchObject({
      mode: 'private-resolver',
      outcome: 'applied',
      reason: null,
      forwarding: { region: 'eu-central-1', ips: DR_IPS },
      zones: null,
      ruleset: {
        id: ruleset.id,
        linkedToClusterVnet: true,
        orphans: [],
        rules: [
          { zone: 'corp.example.com', name: CORP, outcome: 'created', detail: null },
          { zone: 'internal.example.com', name: INTERNAL, outcome: 'created', detail: null },
        ],
      },
    });
    expect(fake.rules(ruleset.id)).toEqual(
      [
        {
          name: CORP,
          domainName: 'corp.example.com.',
          metadata: { 'managed-by': 'drpilot', 'drpilot-zone': 'corp.example.com' },
        },
        {
          name: INTERNAL,
          domainName: 'internal.example.com.',
          metadata: { 'managed-by': 'drpilot', 'drpilot-zone': 'internal.example.com' },
        },
      ]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((rule) => ({
          ...rule,
          targetDnsServers: targets(DR_IPS),
          forwardingRuleState: 'Enabled',
          etag: expect.any(String),
        })),
    );
    expect(
      writes(fake.requestsTo(ruleset.id)).map((r) => [r.method, r.ifNoneMatch, r.status]),
    ).toEqual([
      ['PUT', '*', 201],
      ['PUT', '*', 201],
    ]);

    const before = fake.requests.length;
    expect(await reconcile(ruleset)).toMatchObject({
      outcome: 'unchanged',
      ruleset: { rules: [{ outcome: 'unchanged' }, { outcome: 'unchanged' }] },
    });
    expect(writes(fake.requestsTo(ruleset.id, before))).toEqual([]);
  });

  it('moves only the target addresses on failover and failback; both tunnels down → no write', async () => {
    const ruleset = newRuleset();
    await reconcile(ruleset);
    // Someone disabled our rule and tagged it: drpilot keeps both.
    const internal = fake.rule(ruleset.id, INTERNAL)!;
    fake.putRule(ruleset.id, {
      ...internal,
      forwardingRuleState: 'Disabled',
      metadata: { ...internal.metadata, owner: 'platform' },
    });

    expect((await send(failoverEvent(++seq, { activeSide: 'primary' }))).status).toBe(202);
    const applied = await reconcile(ruleset);
    expect(applied).toMatchObject({
      outcome: 'applied',
      forwarding: { region: 'eu-west-1', ips: PRIMARY_IPS },
      ruleset: {
        rules: [
          { zone: 'corp.example.com', outcome: 'updated', detail: null },
          {
            zone: 'internal.example.com',
            outcome: 'updated',
            detail: expect.stringMatching(/Disabled/),
          },
        ],
      },
    });
    expect(fake.rule(ruleset.id, INTERNAL)).toMatchObject({
      domainName: 'internal.example.com.',
      targetDnsServers: targets(PRIMARY_IPS),
      forwardingRuleState: 'Disabled',
      metadata: {
        'managed-by': 'drpilot',
        'drpilot-zone': 'internal.example.com',
        owner: 'platform',
      },
    });
    expect(fake.rule(ruleset.id, CORP)?.targetDnsServers).toEqual(targets(PRIMARY_IPS));
    // Every update was conditional on the etag it was read with.
    for (const put of writes(fake.requestsTo(ruleset.id)).filter((r) => r.ifMatch !== null)) {
      expect(put).toMatchObject({
        method: 'PUT',
        status: 200,
        ifMatch: expect.stringMatching(/^".+"$/),
      });
    }
    expect((await appliedThroughState()).ruleset.rules[1]).toMatchObject({
      zone: 'internal.example.com',
      outcome: 'updated',
    });

    expect((await send(tunnelStateEvent(++seq, [false, false]))).status).toBe(202);
    expect((await send(failoverEvent(++seq, { activeSide: 'dr' }))).status).toBe(202);
    const before = fake.requests.length;
    const held = await reconcile(ruleset);
    expect(held).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(/every VPN tunnel is down/),
      lastApplied: { forwarding: { region: 'eu-west-1' } },
    });
    expect(fake.requestsTo(ruleset.id, before)).toEqual([]);

    expect((await send(tunnelStateEvent(++seq, [true, false]))).status).toBe(202);
    expect(await reconcile(ruleset)).toMatchObject({
      outcome: 'applied',
      forwarding: { region: 'eu-central-1' },
    });
    expect(fake.rule(ruleset.id, INTERNAL)?.targetDnsServers).toEqual(targets(DR_IPS));
  });

  it('another writer between read and write → 412 → re-read → re-decided: our addresses end up in place', async () => {
    const ruleset = newRuleset();
    for (const name of [CORP, INTERNAL]) {
      const zone = name === CORP ? 'corp.example.com' : 'internal.example.com';
      fake.putRule(ruleset.id, {
        name,
        domainName: `${zone}.`,
        targetDnsServers: targets(['10.7.7.7']),
        metadata: { 'managed-by': 'drpilot', 'drpilot-zone': zone },
        forwardingRuleState: 'Enabled',
      });
    }
    fake.beforeNextWrite(() => {
      const rule = fake.rule(ruleset.id, CORP)!;
      fake.putRule(ruleset.id, { ...rule, targetDnsServers: targets(['10.8.8.8']) });
    });
    const before = fake.requests.length;
    const applied = await reconcile(ruleset);
    expect(applied).toMatchObject({
      outcome: 'applied',
      ruleset: { rules: [{ outcome: 'updated' }, { outcome: 'updated' }] },
    });
    expect(fake.rules(ruleset.id).map((r) => r.targetDnsServers)).toEqual([
      targets(DR_IPS),
      targets(DR_IPS),
    ]);
    expect(fake.requestsTo(ruleset.id, before).map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 200', // rules
      'GET 200', // VNet links
      'PUT 412', // the other writer moved the etag
      'GET 200',
      'GET 200',
      'PUT 200',
      'PUT 200',
    ]);
  });

  it('another writer who takes our rule over between read and write → 412 → re-read → left as they wrote it, reported', async () => {
    const ruleset = newRuleset();
    await reconcile(ruleset);
    expect((await send(failoverEvent(++seq, { activeSide: 'primary' }))).status).toBe(202);
    fake.beforeNextWrite(() => {
      const rule = fake.rule(ruleset.id, CORP)!;
      fake.putRule(ruleset.id, { ...rule, metadata: { 'managed-by': 'terraform' } });
    });
    const before = fake.requests.length;
    await expect(reconcile(ruleset)).rejects.toBeInstanceOf(ReconcileFailed);
    expect(writes(fake.requestsTo(ruleset.id, before)).map((r) => r.status)).toEqual([412, 200]);
    expect(fake.rule(ruleset.id, CORP)).toMatchObject({
      targetDnsServers: targets(DR_IPS),
      metadata: { 'managed-by': 'terraform' },
    });
    expect(fake.rule(ruleset.id, INTERNAL)?.targetDnsServers).toEqual(targets(PRIMARY_IPS));
    expect(await appliedThroughState()).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(
        /^corp\.example\.com: rule drpilot-corp-example-com-\w+ for corp\.example\.com\. is not drpilot's/,
      ),
      ruleset: {
        rules: [
          { zone: 'corp.example.com', name: null, outcome: 'refused' },
          { zone: 'internal.example.com', outcome: 'updated' },
        ],
      },
    });
  });

  it('someone else’s rules: for another zone untouched, for our zone reported and not overwritten', async () => {
    const ruleset = newRuleset();
    const onprem = fake.putRule(ruleset.id, {
      name: 'onprem',
      domainName: 'onprem.example.com.',
      targetDnsServers: targets(['192.168.0.53']),
      metadata: {},
      forwardingRuleState: 'Enabled',
    });
    const legacy = fake.putRule(ruleset.id, {
      name: 'corp-legacy',
      domainName: 'corp.example.com.',
      targetDnsServers: targets(['192.168.0.54']),
      metadata: { 'managed-by': 'terraform' },
      forwardingRuleState: 'Enabled',
    });
    const before = fake.requests.length;
    await expect(reconcile(ruleset)).rejects.toThrow(
      /rule corp-legacy for corp\.example\.com\. is not drpilot's/,
    );
    expect(fake.rule(ruleset.id, 'onprem')).toEqual(onprem);
    expect(fake.rule(ruleset.id, 'corp-legacy')).toEqual(legacy);
    expect(fake.rule(ruleset.id, INTERNAL)?.targetDnsServers).toEqual(targets(DR_IPS));
    expect(
      writes(fake.requestsTo(ruleset.id, before)).map((r) => r.path.split('/').at(-1)),
    ).toEqual([INTERNAL]);
    expect(await appliedThroughState()).toMatchObject({
      outcome: 'refused',
      ruleset: {
        rules: [
          {
            zone: 'corp.example.com',
            outcome: 'refused',
            detail: expect.stringMatching(/corp-legacy/),
          },
          { zone: 'internal.example.com', outcome: 'created' },
        ],
        orphans: [],
      },
    });
  });

  it('a ruleset not linked to the cluster’s VNet is reported, in the result and in GET /api/state', async () => {
    const ruleset = newRuleset([OTHER_VNET]);
    const applied = await reconcile(ruleset);
    expect(applied).toMatchObject({
      outcome: 'applied',
      reason: expect.stringMatching(
        /is not linked to the cluster's VNet .*aks-vnet \(linked: .*hub-vnet\): AKS does not use its rules/,
      ),
      ruleset: { linkedToClusterVnet: false },
    });
    expect(await appliedThroughState()).toMatchObject({
      reason: applied.reason,
      ruleset: { id: ruleset.id, linkedToClusterVnet: false },
    });
  });

  it('a 429 is waited out for its Retry-After and the request sent again', async () => {
    const ruleset = newRuleset();
    const before = fake.requests.length;
    fake.throttleNext(1);
    expect(await reconcile(ruleset)).toMatchObject({ outcome: 'applied' });
    const [throttled, retried] = fake.requests.slice(before);
    expect(throttled).toMatchObject({ status: 429 });
    expect(retried).toMatchObject({
      method: throttled!.method,
      path: throttled!.path,
      status: 200,
    });
    expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(1000);
  });

  it('dnsReconcile in private-resolver mode without the ruleset settings records not-connected', async () => {
    process.env.DRPILOT_DNS_MODE = 'private-resolver';
    try {
      await dnsReconcile({ reason: 'test' }, quietContext('dnsReconcile').context);
    } finally {
      delete process.env.DRPILOT_DNS_MODE;
    }
    expect(await appliedThroughState()).toMatchObject({
      mode: 'private-resolver',
      outcome: 'not-connected',
      reason: expect.stringMatching(/DRPILOT_FORWARDING_RULESET_ID is not set/),
      forwarding: { zones: ZONES },
      ruleset: null,
    });
  });
});
