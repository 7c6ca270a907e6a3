import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { functionAppTunnelLines } from '../../cli/commands/status';
import { summarizeFunctionApp } from '../../lambdas/core/aks/function-app-state';
import {
  withAzureConnections,
  withDefaults,
  type DesiredState,
} from '../../azure-functions/src/core/desired-state';

// `drpilot status` shows the tunnels as both clouds see them: the recorded state answer, with
// Azure's view merged in by the Function app's own code (what its tunnelHealth timer stores).

const recorded = JSON.parse(
  readFileSync(new URL('../fixtures/aks-function-app/state-200.json', import.meta.url), 'utf8'),
) as { desired: Partial<DesiredState>; applied: unknown };

const OBSERVED = '2026-12-02T05:24:00.000Z';

function answerWith(azure: Parameters<typeof withAzureConnections>[1]) {
  const desired = withAzureConnections(withDefaults(recorded.desired), azure);
  const body = JSON.stringify({ ...recorded, desired });
  return {
    kind: 'answered',
    url: 'https://acme.azurewebsites.net/api/state',
    status: 200,
    latencyMs: 40,
    detail: body.slice(0, 200),
    body,
  } as const;
}

const CONTEXT = { recordName: 'main.example.com', activeSide: 'dr' as const, secretName: 's' };

describe('the AKS Function app’s tunnels in drpilot status', () => {
  it('shows both views, each Azure connection, and the DNS gate when Azure sees every tunnel down', () => {
    const warnings: string[] = [];
    const status = summarizeFunctionApp(
      answerWith({
        'rg-vpn/conn-aws': {
          connectionStatus: 'NotConnected',
          tunnels: [
            {
              name: '203.0.113.10',
              status: 'NotConnected',
              lastConnectedAt: '2026-12-01T22:00:00Z',
            },
            { name: '203.0.113.11', status: 'Connecting', lastConnectedAt: null },
          ],
          observedAt: OBSERVED,
          error: null,
        },
      }),
      CONTEXT,
      warnings,
    );

    expect(status.tunnels).toMatchObject({
      aws: { state: 'degraded', up: 1, down: 1 },
      azure: { state: 'down', since: OBSERVED, up: 0, down: 2 },
      dnsGate: expect.stringMatching(/down as Azure sees it/),
    });
    expect(warnings).toContainEqual(
      expect.stringMatching(/^the AKS Function app holds DNS rewrites: /),
    );
    expect(functionAppTunnelLines(status.tunnels)).toEqual([
      expect.stringMatching(
        /^tunnels \(AWS\) degraded since .*: AWS \(tunnel\.state events\): 1 of 2 tunnel\(s\) up — vpn-0abc1234 203\.0\.113\.11 down/,
      ),
      `tunnels (Azure) DOWN since ${OBSERVED}: Azure (gateway connections): 0 of 2 tunnel(s) up — rg-vpn/conn-aws tunnel 203.0.113.10 NotConnected, rg-vpn/conn-aws tunnel 203.0.113.11 Connecting as of ${OBSERVED}`,
      `  rg-vpn/conn-aws NotConnected at ${OBSERVED}; 203.0.113.10 NotConnected (connected 2026-12-01T22:00:00Z); 203.0.113.11 Connecting`,
      expect.stringMatching(/^DNS rewrites HELD: .*no DNS rewrite until one is up$/),
    ]);
    // --json prints the report as it is: the same views, as data.
    expect(JSON.parse(JSON.stringify(status)).tunnels.azure.state).toBe('down');
  });

  it('reports a connection Azure could not read, which holds nothing', () => {
    const warnings: string[] = [];
    const status = summarizeFunctionApp(
      answerWith({
        'rg-vpn/conn-gone': {
          connectionStatus: null,
          tunnels: [],
          observedAt: OBSERVED,
          error: 'not found (404): the resource was not found',
        },
      }),
      CONTEXT,
      warnings,
    );
    expect(status.tunnels).toMatchObject({ azure: { state: 'unknown' }, dnsGate: null });
    expect(warnings).toContain(
      `the AKS Function app could not read VPN connection rg-vpn/conn-gone at ${OBSERVED}: not found (404): the resource was not found`,
    );
    expect(functionAppTunnelLines(status.tunnels).slice(2)).toEqual([
      `  rg-vpn/conn-gone not read at ${OBSERVED}: not found (404): the resource was not found`,
      'DNS rewrites not held by the tunnels',
    ]);
  });

  it('an older Function app without tunnelHealth shows no tunnel lines', () => {
    const body = JSON.stringify(recorded);
    const status = summarizeFunctionApp(
      { kind: 'answered', url: 'https://a/api/state', status: 200, latencyMs: 1, detail: '', body },
      CONTEXT,
      [],
    );
    expect(status.ok).toBe(true);
    expect(status.tunnels).toBeNull();
    expect(functionAppTunnelLines(status.tunnels)).toEqual([]);
  });
});
