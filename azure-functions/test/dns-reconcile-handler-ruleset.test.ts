import './support/quiet-functions-test-mode';
import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RulesetArmFake,
  type LoggedRequest,
} from '../../cli/emulator/ruleset-arm-fake-etag-412-404-429';
import { armForwardingRuleset } from '../src/adapters/azure/forwarding-ruleset';
import { ruleNameFor } from '../src/core/forwarding-rules-plan';
import { dnsReconcileHandler } from '../src/functions/dnsReconcile';
import { events } from '../src/functions/events';
import { state } from '../src/functions/state';
import { useAzurite } from './support/azurite';
import { failoverEvent, resolverIpsEvent, tunnelStateEvent } from './support/events';
import { MAIN_RECORD, quietContext, signedRequest, TEST_SECRET } from './support/invoke';

// The registered `dnsReconcile` handler itself (`dnsReconcileHandler(options)`, the function the
// app registers with DefaultAzureCredential) in private-resolver mode, its settings read from the
// app settings as in Azure, writing through the real @azure/arm-dnsresolver client to the stateful
// ruleset fake (etag → 412, 404, 429; no ARM emulator exists) with a static token.

const SUBSCRIPTION = '00000000-0000-4000-8000-0000000000bb';
const RULESET = `/subscriptions/${SUBSCRIPTION}/resourceGroups/dns-rg/providers/Microsoft.Network/dnsForwardingRulesets/handler-rs`;
const CLUSTER_VNET = `/subscriptions/${SUBSCRIPTION}/resourceGroups/aks-rg/providers/Microsoft.Network/virtualNetworks/aks-vnet`;
const ZONE = 'internal.example.com';
const DR_IPS = ['10.1.1.10', '10.1.2.10'];
const PRIMARY_IPS = ['10.0.1.10', '10.0.2.10'];
const SETTINGS = {
  DRPILOT_DNS_MODE: 'private-resolver',
  DRPILOT_FORWARDING_RULESET_ID: RULESET,
  DRPILOT_AKS_VNET_ID: CLUSTER_VNET,
};
const staticToken: TokenCredential = {
  getToken: async () => ({ token: 'test-arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

useAzurite();
let fake: RulesetArmFake;
let foreignEtag: string;

beforeAll(async () => {
  process.env.DRPILOT_WEBHOOK_SECRET = TEST_SECRET;
  process.env.DRPILOT_MAIN_RECORD = MAIN_RECORD;
  Object.assign(process.env, SETTINGS);
  fake = await RulesetArmFake.start();
  fake.addRuleset(RULESET);
  fake.linkVnet(RULESET, 'aks-link', CLUSTER_VNET);
  foreignEtag = fake.putRule(RULESET, {
    name: 'onprem',
    domainName: 'corp.onprem.example.',
    targetDnsServers: [{ ipAddress: '10.99.0.53', port: 53 }],
    metadata: { owner: 'network-team' },
    forwardingRuleState: 'Enabled',
  }).etag;
  for (const event of [
    failoverEvent(1, { activeSide: 'dr' }),
    resolverIpsEvent(1, 'eu-west-1', PRIMARY_IPS, [ZONE]),
    resolverIpsEvent(2, 'eu-central-1', DR_IPS, [ZONE]),
    tunnelStateEvent(1, [true, true]),
  ]) {
    expect((await send(event)).status).toBe(202);
  }
});

afterAll(async () => {
  for (const name of Object.keys(SETTINGS)) Reflect.deleteProperty(process.env, name);
  await fake?.close();
});

async function send(body: unknown) {
  return events(signedRequest({ body: JSON.stringify(body) }), quietContext('events').context);
}

/** One queue message through the handler the app registers, pointed at the fake; its log. */
async function runHandler(): Promise<string[]> {
  const handler = dnsReconcileHandler({
    rulesetFor: (ruleset) =>
      armForwardingRuleset(ruleset, {
        credential: staticToken,
        client: { endpoint: fake.endpoint, tlsOptions: { ca: fake.caPem } },
      }),
  });
  const { context, logs } = quietContext('dnsReconcile');
  await handler({ reason: 'timer', at: new Date().toISOString() }, context);
  return logs;
}

async function applied() {
  const response = await state(
    signedRequest({ method: 'GET', path: 'state' }),
    quietContext('state').context,
  );
  expect(response.status).toBe(200);
  return (response.jsonBody as { applied: Record<string, unknown> }).applied;
}

const targets = (ips: string[]) => ips.map((ipAddress) => ({ ipAddress, port: 53 }));
const writes = (requests: LoggedRequest[]) =>
  requests
    .filter((r) => r.method !== 'GET')
    .map((r) => [r.method, r.path.split('/').at(-1), r.ifMatch ? 'If-Match' : r.ifNoneMatch]);

describe('the registered dnsReconcile handler in private-resolver mode', () => {
  it('creates drpilot’s rule at the active side’s resolvers; another team’s rule untouched', async () => {
    const logs = await runHandler();

    expect(logs).toEqual(['information: dnsReconcile (timer): applied']);
    expect(fake.rule(RULESET, ruleNameFor(ZONE))).toMatchObject({
      domainName: `${ZONE}.`,
      targetDnsServers: targets(DR_IPS),
      metadata: { 'managed-by': 'drpilot' },
    });
    expect(writes(fake.requestsTo(RULESET))).toEqual([['PUT', ruleNameFor(ZONE), '*']]);
    expect(fake.rule(RULESET, 'onprem')?.etag).toBe(foreignEtag);
    expect(await applied()).toMatchObject({
      mode: 'private-resolver',
      outcome: 'applied',
      ruleset: {
        id: RULESET,
        linkedToClusterVnet: true,
        rules: [{ zone: ZONE, name: ruleNameFor(ZONE), outcome: 'created' }],
      },
    });
  });

  it('follows a failback: only the targets move, under the rule’s etag', async () => {
    expect((await send(failoverEvent(2, { activeSide: 'primary' }))).status).toBe(202);
    const before = fake.requests.length;

    expect(await runHandler()).toEqual(['information: dnsReconcile (timer): applied']);

    expect(fake.rule(RULESET, ruleNameFor(ZONE))?.targetDnsServers).toEqual(targets(PRIMARY_IPS));
    expect(writes(fake.requestsTo(RULESET, before))).toEqual([
      ['PUT', ruleNameFor(ZONE), 'If-Match'],
    ]);
    expect(fake.rule(RULESET, 'onprem')?.etag).toBe(foreignEtag);
  });

  it('a ruleset setting that names another resource type: not-connected, saying which, nothing asked', async () => {
    process.env.DRPILOT_FORWARDING_RULESET_ID = CLUSTER_VNET;
    const before = fake.requests.length;
    try {
      const logs = await runHandler();
      expect(logs).toEqual([
        expect.stringMatching(
          /^information: dnsReconcile \(timer\): not-connected: .*DRPILOT_FORWARDING_RULESET_ID/,
        ),
      ]);
    } finally {
      process.env.DRPILOT_FORWARDING_RULESET_ID = RULESET;
    }
    expect(fake.requests.length).toBe(before);
    expect(fake.rule(RULESET, ruleNameFor(ZONE))?.targetDnsServers).toEqual(targets(PRIMARY_IPS));
  });
});
