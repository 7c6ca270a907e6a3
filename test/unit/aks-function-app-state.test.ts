import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  stateUrlOf,
  summarizeFunctionApp,
  type FunctionAppObservation,
} from '../../lambdas/core/aks/function-app-state';

// Answers recorded from the Function app's own `state` handler (test/fixtures/aks-function-app).
const recorded = (name: string) =>
  readFileSync(new URL(`../fixtures/aks-function-app/${name}`, import.meta.url), 'utf8');
const STATE_200 = recorded('state-200.json');
const STATE_401 = recorded('state-401.json');

const URL_ = 'https://acme-drpilot.azurewebsites.net/api/state';
const CONTEXT = {
  recordName: 'main.example.com',
  activeSide: 'dr' as 'primary' | 'dr',
  secretName: 'acme/drpilot/azure-webhook',
};

function answered(status: number | null, body: string | null, detail = body ?? '') {
  return { kind: 'answered', url: URL_, status, latencyMs: 42, detail, body } as const;
}

function summarize(seen: FunctionAppObservation, context = CONTEXT) {
  const warnings: string[] = [];
  const status = summarizeFunctionApp(seen, context, warnings);
  return { status, warnings };
}

describe('stateUrlOf', () => {
  it.each([
    ['https://acme.azurewebsites.net/api/events', 'https://acme.azurewebsites.net/api/state'],
    ['https://acme.azurewebsites.net/api/events/', 'https://acme.azurewebsites.net/api/state'],
    [
      'https://acme.azurewebsites.net/api/events?code=abc',
      'https://acme.azurewebsites.net/api/state?code=abc',
    ],
    ['https://127.0.0.1:8443/api/events', 'https://127.0.0.1:8443/api/state'],
  ])('%s → %s', (events, state) => {
    expect(stateUrlOf(events)).toEqual({ ok: true, url: state });
  });

  it('refuses a URL that does not end in /events, and one that is not a URL', () => {
    expect(stateUrlOf('https://acme.azurewebsites.net/api/hook')).toEqual({
      ok: false,
      reason:
        'azure.webhookUrl https://acme.azurewebsites.net/api/hook does not end in /events: no …/state beside it to ask',
    });
    expect(stateUrlOf('not a url')).toMatchObject({ ok: false, reason: /is not a URL/ });
  });
});

describe('summarizeFunctionApp', () => {
  it('summarises a recorded 200: active side, drill, resolvers, tunnels and the last reconcile', () => {
    const { status, warnings } = summarize(answered(200, STATE_200));
    expect(status).toMatchObject({
      url: URL_,
      ok: true,
      status: 200,
      latencyMs: 42,
      reason: null,
      active: { side: 'dr', region: 'eu-central-1', recordName: 'main.example.com' },
      lastDrill: { side: 'primary', recordName: 'drill.example.com' },
      resolvers: [
        {
          region: 'eu-central-1',
          resolverEndpointId: 'rslvr-in-0def',
          ips: ['10.20.1.10', '10.20.2.10'],
          zones: ['internal.example.com'],
        },
      ],
      vpnConnections: [
        {
          vpnConnectionId: 'vpn-0abc1234',
          tunnels: [
            { outsideIp: '203.0.113.10', up: true },
            { outsideIp: '203.0.113.11', up: false },
          ],
        },
      ],
      applied: {
        outcome: 'unchanged',
        lastApplied: { region: 'eu-central-1', ips: ['10.20.1.10', '10.20.2.10'] },
        zones: [{ zone: 'internal.example.com', status: 'unknown' }],
      },
    });
    // The zone is not known to be forwarded (no node pool was read): said, not hidden.
    expect(warnings).toEqual([
      'the AKS Function app: internal.example.com: LocalDNS routing unknown on every pool (node pools not read: no node pool reader configured)',
    ]);
  });

  it('warns when the AKS side forwards for another side than the main record', () => {
    const { status, warnings } = summarize(answered(200, STATE_200), {
      ...CONTEXT,
      activeSide: 'primary',
    });
    expect(status.ok).toBe(true);
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^the AKS Function app's active side is dr \(dns\.failover of main\.example\.com at .*\) while main\.example\.com points at primary$/,
      ),
    );
  });

  it('warns when the AKS side follows another record than dns.recordName', () => {
    const { warnings } = summarize(answered(200, STATE_200), {
      ...CONTEXT,
      recordName: 'www.example.com',
    });
    expect(warnings).toContain(
      "the AKS Function app's active side follows main.example.com, not www.example.com: its DRPILOT_MAIN_RECORD setting is not dns.recordName",
    );
  });

  it('says a failed reconcile, and not a reconcile that waits for the first failover', () => {
    const state = JSON.parse(STATE_200);
    state.applied = { ...state.applied, outcome: 'rolled-back', reason: 'CoreDNS not Available' };
    expect(summarize(answered(200, JSON.stringify(state))).warnings).toEqual([
      `the AKS Function app's last reconcile (${state.applied.at}) rolled-back: CoreDNS not Available`,
    ]);
    const fresh = {
      desired: { ...state.desired, active: null },
      applied: {
        ...state.applied,
        outcome: 'skipped',
        reason: 'the active side is not known yet: no dns.failover of the main record received',
        forwarding: null,
        lastApplied: null,
        zones: null,
      },
    };
    const first = summarize(answered(200, JSON.stringify(fresh)));
    expect(first.warnings).toEqual([]);
    expect(first.status).toMatchObject({ ok: true, active: null, applied: { outcome: 'skipped' } });
  });

  it.each([
    [
      'a recorded 401',
      answered(401, STATE_401),
      401,
      `401 from GET ${URL_} (signature does not match): the secrets differ (Secrets Manager acme/drpilot/azure-webhook vs the Function app's DRPILOT_WEBHOOK_SECRET) or the clocks are more than 300 s apart`,
    ],
    [
      'a timeout',
      answered(null, null, 'Error: no answer within 5000 ms'),
      null,
      `no answer from GET ${URL_}: Error: no answer within 5000 ms`,
    ],
    [
      'an unreachable app',
      answered(null, null, 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9'),
      null,
      `no answer from GET ${URL_}: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9`,
    ],
    [
      'a 404 (an older Function app without /api/state)',
      answered(404, '{"error":"not found"}'),
      404,
      `404 from GET ${URL_}: {"error":"not found"}`,
    ],
    [
      'a 200 that is not its state',
      answered(200, '<html>sign in</html>'),
      200,
      expect.stringMatching(/^the answer to GET .* is not the Function app's state: /),
    ],
    [
      'a 200 missing a field',
      answered(200, JSON.stringify({ desired: JSON.parse(STATE_200).desired })),
      200,
      `the answer to GET ${URL_} is not the Function app's state: applied: Invalid input: expected object, received undefined`,
    ],
    [
      'an answer too large to read',
      answered(200, null, '{"desired":'),
      200,
      `the answer to GET ${URL_} is larger than the client reads`,
    ],
  ])('reports %s with its reason, never a throw', (_, seen, status, reason) => {
    const { status: app, warnings } = summarize(seen);
    expect(app).toMatchObject({ ok: false, status, reason, active: null, applied: null });
    expect(warnings).toEqual([`the AKS Function app's state was not read: ${app.reason}`]);
  });

  it('reports a state it did not ask for, with the reason', () => {
    const { status, warnings } = summarize({
      kind: 'not-asked',
      url: URL_,
      reason: 'secret acme/drpilot/azure-webhook: ResourceNotFoundException: not found',
    });
    expect(status).toMatchObject({ ok: false, status: null, latencyMs: null });
    expect(warnings).toEqual([
      "the AKS Function app's state was not read: secret acme/drpilot/azure-webhook: ResourceNotFoundException: not found",
    ]);
  });
});
