import { createServer } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryClusterDns } from '../../cli/embedded/aks-cluster-dns';
import {
  startEmbeddedFunctionApp,
  type EmbeddedFunctionApp,
} from '../../cli/embedded/aks-function-app';
import { startAksReceiver, type LocalAksReceiver } from '../../cli/embedded/aks-receiver';
import { attachAksSide } from '../../cli/embedded/seed-aks';
import { seedDns, upsertRecord } from '../../cli/embedded/seed-dns';
import { createStateTable } from '../../cli/embedded/state-table';
import { createDrillCa, issueValidCertificate } from '../../cli/embedded/tls/drill-certificates';
import { listenOnLoopback } from '../../cli/embedded/tls/loopback-server';
import { dynamoDbClient, route53Client } from '../../lambdas/adapters/aws/clients';
import { forgetWebhookSecret } from '../../lambdas/adapters/aws/webhook-secret';
import { AksSender } from '../../lambdas/aks/outbox-sender';
import { readFunctionAppState } from '../../lambdas/aks/read-aks-status';
import { failoverData } from '../../lambdas/core/aks/events';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { validateConfig } from '../../lambdas/core/config/validate';
import { exampleConfig } from '../support/example-config';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { configFile } from '../support/temp-dir';

// `drpilot status` reads the AKS Function app's own state: a signed GET …/api/state, answered by
// the Function app's `state` handler run in this process over Azurite, behind the local HTTPS
// receiver (which checks the signature from the contract first); the events that built that state
// went through the real outbox sender and the app's `events` handler.

useMoto();
const SECRET = 'status-test-webhook-secret-0123456789';
let app: EmbeddedFunctionApp;
let receiver: LocalAksReceiver;

beforeAll(async () => {
  app = await startEmbeddedFunctionApp({
    secret: SECRET,
    mainRecord: 'main.example.com',
    dnsTtl: 30,
  });
  receiver = await startAksReceiver(SECRET, { functionApp: app });
});

afterAll(async () => {
  await receiver?.close();
  await app?.close();
});

/** The example estate's DNS and AKS side in moto, with azure.webhookUrl at the receiver. */
async function estate(): Promise<{ config: DrpilotConfig; file: string }> {
  forgetWebhookSecret();
  receiver.setDown(false);
  const result = validateConfig(exampleConfig());
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  const base = result.config;
  await createStateTable(dynamoDbClient(base.controlRegion), base.stateTable);
  const { hostedZoneId } = await seedDns(route53Client(), base);
  const { config } = await attachAksSide(
    { ...base, dns: { ...base.dns, hostedZoneId } },
    base.azure!,
    receiver,
    SECRET,
  );
  return { config, file: configFile(config, 'drpilot-aks-status-') };
}

async function status(file: string) {
  const run = await runCli(['status', '--config', file, '--json']);
  expect(run.code).toBe(0);
  return run.json();
}

describe("drpilot status: the AKS Function app's state (signed GET /api/state)", () => {
  it('shows what the events built and what the reconcile did, and warns when the sides disagree', async () => {
    const { config, file } = await estate();
    const sender = new AksSender(config);
    await sender.send('dns.failover', failoverData(config, 'main.example.com', 'dr', 'C0TEST'));
    await sender.send('resolver.ips', {
      region: 'eu-central-1',
      resolverEndpointId: config.azure!.resolverEndpoints.dr,
      ips: ['10.20.1.10', '10.20.2.10'],
      zones: ['internal.example.com'],
    });
    const reconciles = await app.reconcileQueued(new InMemoryClusterDns(null));
    expect(reconciles.map((r) => r.outcome)).toEqual(['applied', 'unchanged']);

    // The main record still on primary: the AKS side forwards for dr, and status says so.
    const before = await status(file);
    const url = receiver.url.replace(/events$/, 'state');
    expect(before.aks.functionApp).toMatchObject({
      url,
      ok: true,
      status: 200,
      reason: null,
      active: { side: 'dr', region: 'eu-central-1', recordName: 'main.example.com' },
      applied: {
        outcome: 'unchanged',
        lastApplied: { region: 'eu-central-1', ips: ['10.20.1.10', '10.20.2.10'] },
      },
    });
    expect(before.warnings).toContainEqual(
      expect.stringMatching(
        /^the AKS Function app's active side is dr \(dns\.failover of main\.example\.com at .*\) while main\.example\.com points at primary$/,
      ),
    );

    await upsertRecord(route53Client(), config.dns.hostedZoneId, {
      name: 'main.example.com',
      type: 'CNAME',
      ttl: 30,
      value: 'dr.example.com',
    });
    const after = await status(file);
    expect(after.dns.activeSide).toBe('dr');
    expect(after.warnings.filter((w: string) => w.includes('active side'))).toEqual([]);
    // No node pool reader here: the zone's LocalDNS routing is unknown, and that is said.
    expect(after.warnings).toContain(
      'the AKS Function app: internal.example.com: LocalDNS routing unknown on every pool (node pools not read: no node pool reader configured)',
    );

    const human = await runCli(['status', '--config', file]);
    expect(human.stdout).toMatch(
      new RegExp(`Function app {2}${url.replace(/[.?]/g, '\\$&')} answered 200 in \\d+ ms`),
    );
    expect(human.stdout).toContain(
      'active side dr (eu-central-1) by dns.failover of main.example.com at',
    );
    expect(human.stdout).toMatch(
      /forwarding internal\.example\.com → 10\.20\.1\.10, 10\.20\.2\.10 \(eu-central-1\) since \S+Z/,
    );
  });

  it('reports a 401 from the Function app’s own check, no answer and a missing secret — never a throw', async () => {
    const { config, file } = await estate();

    // The receiver's check passes; the Function app holds another secret (a rotated Key Vault
    // value) and refuses with its own 401.
    const held = process.env.DRPILOT_WEBHOOK_SECRET;
    process.env.DRPILOT_WEBHOOK_SECRET = 'another-value-in-key-vault';
    try {
      const refused = await status(file);
      expect(refused.aks.functionApp).toMatchObject({
        ok: false,
        status: 401,
        reason: expect.stringMatching(
          /^401 from GET https:\/\/127\.0\.0\.1:\d+\/api\/state \(signature does not match\): the secrets differ \(Secrets Manager acme\/drpilot\/azure-webhook vs the Function app's DRPILOT_WEBHOOK_SECRET\)/,
        ),
        active: null,
      });
      expect(refused.warnings).toContain(
        `the AKS Function app's state was not read: ${refused.aks.functionApp.reason}`,
      );
    } finally {
      process.env.DRPILOT_WEBHOOK_SECRET = held;
    }

    receiver.setDown(true);
    const cut = await status(file);
    expect(cut.aks.functionApp).toMatchObject({
      ok: false,
      status: null,
      reason: expect.stringMatching(/^no answer from GET https:\/\/127\.0\.0\.1:\d+\/api\/state: /),
    });
    receiver.setDown(false);

    const missing = { ...config, azure: { ...config.azure!, secretName: 'acme/drpilot/absent' } };
    const unsigned = await status(configFile(missing));
    expect(unsigned.aks.functionApp).toMatchObject({
      ok: false,
      status: null,
      latencyMs: null,
      reason: expect.stringMatching(/^secret acme\/drpilot\/absent: ResourceNotFoundException/),
    });
    const human = await runCli(['status', '--config', configFile(missing)]);
    expect(human.stdout).toMatch(
      /Function app {2}state not read: secret acme\/drpilot\/absent: ResourceNotFoundException/,
    );
  });

  it('gives up on an app that accepts the connection but never answers, and on a closed port', async () => {
    const { config } = await estate();
    const ca = await createDrillCa({ commonName: 'drpilot test: a Function app that hangs' });
    const leaf = await issueValidCertificate(ca, ['127.0.0.1']);
    const silent = createServer({ cert: leaf.certPem, key: leaf.keyPem }, () => undefined);
    const { port, close } = await listenOnLoopback(silent);
    try {
      const hanging = {
        ...config,
        azure: {
          ...config.azure!,
          webhookUrl: `https://127.0.0.1:${port}/api/events`,
          caBundle: ca.certPem,
        },
      };
      expect(await readFunctionAppState(hanging, { timeoutMs: 300 })).toMatchObject({
        kind: 'answered',
        url: `https://127.0.0.1:${port}/api/state`,
        status: null,
        detail: 'Error: no answer within 300 ms',
      });
    } finally {
      await close();
    }
    const closed = {
      ...config,
      azure: { ...config.azure!, webhookUrl: `https://127.0.0.1:${port}/api/events` },
    };
    expect(await readFunctionAppState(closed)).toMatchObject({
      status: null,
      detail: expect.stringMatching(/^ECONNREFUSED: /),
    });
  });
});
