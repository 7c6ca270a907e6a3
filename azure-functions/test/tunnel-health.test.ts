import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  EMPTY_DESIRED_STATE,
  withAzureConnections,
  type DesiredState,
} from '../src/core/desired-state';
import { parseEvent } from '../src/core/events';
import { planForwarding } from '../src/core/reconcile-plan';
import {
  assessTunnels,
  TUNNEL_STATE_METRIC,
  tunnelMetrics,
  type AzureConnectionView,
  type TunnelSideState,
} from '../src/core/tunnel-health';
import { failoverEvent, resolverIpsEvent, tunnelStateEvent } from './support/events';

// The tunnel matrix from both sides: what AWS reported (tunnel.state events) × what Azure reads
// (gateway connections), the state each side is in, and whether the DNS gate holds a rewrite.

const T0 = '2026-12-02T08:00:00.000Z';
const T1 = '2026-12-02T08:01:00.000Z';

function withEvents(...bodies: unknown[]): DesiredState {
  return bodies.reduce<DesiredState>((state, body) => {
    const parsed = parseEvent(body);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const result = applyEvent(state, parsed.event, { mainRecordName: 'main.example.com' });
    return result.outcome === 'applied' ? result.state : state;
  }, EMPTY_DESIRED_STATE);
}

/** One connection read at `at` with the given per-tunnel statuses (or an error). */
function azure(statuses: string[] | { error: string }, at = T0): AzureConnectionView {
  if (!Array.isArray(statuses)) {
    return { connectionStatus: null, tunnels: [], observedAt: at, error: statuses.error };
  }
  return {
    connectionStatus: statuses.includes('Connected') ? 'Connected' : 'NotConnected',
    tunnels: statuses.map((status, i) => ({ name: `t${i}`, status, lastConnectedAt: null })),
    observedAt: at,
    error: null,
  };
}

const drActive = failoverEvent(1, { activeSide: 'dr', activeRegion: 'eu-central-1' });
const drIps = resolverIpsEvent(1, 'eu-central-1', ['10.1.1.10', '10.1.2.10']);

type AwsCase = 'none' | [boolean, boolean];
type AzureCase = 'none' | string[] | { error: string };

const AWS: Record<string, { input: AwsCase; state: TunnelSideState }> = {
  'AWS nothing reported': { input: 'none', state: 'unknown' },
  'AWS both up': { input: [true, true], state: 'up' },
  'AWS one down': { input: [false, true], state: 'degraded' },
  'AWS both down': { input: [false, false], state: 'down' },
};

const AZURE: Record<string, { input: AzureCase; state: TunnelSideState }> = {
  'Azure nothing read': { input: 'none', state: 'unknown' },
  'Azure both Connected': { input: ['Connected', 'Connected'], state: 'up' },
  'Azure one NotConnected': { input: ['Connected', 'NotConnected'], state: 'degraded' },
  'Azure both NotConnected': { input: ['NotConnected', 'NotConnected'], state: 'down' },
  'Azure both Connecting': { input: ['Connecting', 'Connecting'], state: 'down' },
  'Azure one down, one Unknown': { input: ['NotConnected', 'Unknown'], state: 'unknown' },
  'Azure connection not read (404)': { input: { error: 'not found (404)' }, state: 'unknown' },
};

const matrix = Object.entries(AWS).flatMap(([awsLabel, aws]) =>
  Object.entries(AZURE).map(([azureLabel, az]) => ({
    label: `${awsLabel} × ${azureLabel}`,
    aws,
    az,
    // Part 1's rule, from either side: only a side that knows every tunnel is down holds DNS.
    held: aws.state === 'down' || az.state === 'down',
  })),
);

describe('the tunnel matrix from both sides', () => {
  it.each(matrix)('$label', ({ aws, az, held }) => {
    const events: unknown[] = [drActive, drIps];
    if (aws.input !== 'none') events.push(tunnelStateEvent(1, aws.input));
    let desired = withEvents(...events);
    if (az.input !== 'none')
      desired = withAzureConnections(desired, { 'rg-vpn/conn-aws': azure(az.input) });

    const health = assessTunnels(desired);
    expect({
      aws: health.aws.state,
      azure: health.azure.state,
      held: health.dnsGate !== null,
    }).toEqual({
      aws: aws.state,
      azure: az.state,
      held,
    });
    // The gate is what the reconcile obeys: held → skipped with the reason, else rendered.
    const decision = planForwarding(desired, { cacheSeconds: 30 });
    if (held) {
      expect(decision).toMatchObject({ action: 'skip', reason: health.dnsGate });
    } else {
      expect(decision.action).toBe('render');
    }
  });

  it('names the side that holds the rewrite', () => {
    const azureDown = withAzureConnections(withEvents(drActive, drIps), {
      'rg-vpn/conn-aws': azure(['NotConnected', 'NotConnected']),
    });
    expect(assessTunnels(azureDown).dnsGate).toMatch(
      /down as Azure sees it.*conn-aws tunnel t0 NotConnected/,
    );
    const awsDown = withEvents(drActive, drIps, tunnelStateEvent(1, [false, false]));
    expect(assessTunnels(awsDown).dnsGate).toMatch(/every VPN tunnel is down \(vpn-0abc/);
  });

  it('keeps each side with its time: since holds while the state holds, moves when it changes', () => {
    const first = withAzureConnections(withEvents(drActive), {
      'rg-vpn/conn-aws': azure(['Connected', 'Connected'], T0),
    });
    const again = withAzureConnections(first, {
      'rg-vpn/conn-aws': azure(['Connected', 'Connected'], T1),
    });
    const down = withAzureConnections(again, {
      'rg-vpn/conn-aws': azure(['NotConnected', 'NotConnected'], T1),
    });
    expect(
      [first, again, down].map((s) => [s.tunnelHealth?.azure.state, s.tunnelHealth?.azure.since]),
    ).toEqual([
      ['up', T0],
      ['up', T0],
      ['down', T1],
    ]);
    expect(down.azureConnections['rg-vpn/conn-aws']?.observedAt).toBe(T1);
  });
});

describe('tunnel state metrics', () => {
  const up = withAzureConnections(withEvents(tunnelStateEvent(1, [true, true])), {
    'rg-vpn/conn-aws': azure(['Connected', 'Connected']),
  });

  it('a change of state on one side emits exactly one metric', () => {
    const down = withAzureConnections(up, {
      'rg-vpn/conn-aws': azure(['NotConnected', 'NotConnected'], T1),
    });
    expect(tunnelMetrics(up.tunnelHealth, down.tunnelHealth!)).toEqual([
      {
        name: TUNNEL_STATE_METRIC,
        value: 0,
        properties: expect.objectContaining({
          side: 'azure',
          from: 'up',
          to: 'down',
          total: 2,
          dnsHeld: true,
        }),
      },
    ]);
  });

  it('no change emits none, even when the reading is newer', () => {
    const same = withAzureConnections(up, {
      'rg-vpn/conn-aws': azure(['Connected', 'Connected'], T1),
    });
    expect(tunnelMetrics(up.tunnelHealth, same.tunnelHealth!)).toEqual([]);
  });

  it('nothing known before and nothing known now is no change', () => {
    const unread = withAzureConnections(EMPTY_DESIRED_STATE, {});
    expect(tunnelMetrics(null, unread.tunnelHealth!)).toEqual([]);
  });
});
