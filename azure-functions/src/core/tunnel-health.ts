import type { DesiredState, VpnState } from './desired-state';

/**
 * The VPN between AKS and AWS as each cloud sees it, and the rule that follows from it: DNS
 * rewrites wait while every tunnel is down on either side (DESIGN.md, "AKS side": "DNS rewrites
 * wait while both tunnels are down").
 *
 * - AWS's view: the `tunnel.state` events (per VPN connection, each tunnel `up` or not; the tunnel
 *   function's alarms on `AWS/VPN` `TunnelState`).
 * - Azure's view: the virtual network gateway connections, read every minute by `tunnelHealth`
 *   (Virtual Network Gateway Connections - Get): `connectionStatus` and, per tunnel,
 *   `tunnelConnectionStatus[].connectionStatus`, each one of `Unknown`, `Connecting`, `Connected`,
 *   `NotConnected` (VirtualNetworkGatewayConnectionStatus in the Microsoft.Network REST spec,
 *   @azure/arm-network `KnownVirtualNetworkGatewayConnectionStatus`), with
 *   `lastConnectionEstablishedUtcTime`. A connection whose gateway reports no per-tunnel status
 *   counts as one tunnel with the connection's own status.
 *
 * `Connected` is up; `NotConnected` and `Connecting` (not carrying traffic) are down; `Unknown`, a
 * missing status or a connection that could not be read is unknown — and an unknown tunnel never
 * gates anything: only a side that knows all its tunnels are down holds DNS rewrites.
 */

export type TunnelSideState = 'up' | 'degraded' | 'down' | 'unknown';
export type TunnelSide = 'aws' | 'azure';

export interface AzureTunnelView {
  /** `tunnelConnectionStatus[].tunnel`, or the connection's name when it reports no tunnels. */
  name: string;
  /** As Azure reports it: `Connected`, `NotConnected`, `Connecting`, `Unknown`. */
  status: string;
  /** `lastConnectionEstablishedUtcTime`, when reported. */
  lastConnectedAt: string | null;
}

/** One virtual network gateway connection as the `tunnelHealth` timer last read it. */
export interface AzureConnectionView {
  /** The connection's own `connectionStatus`; null when it was not reported or not read. */
  connectionStatus: string | null;
  /** `tunnelConnectionStatus`: empty when the gateway reports none. */
  tunnels: AzureTunnelView[];
  /** When it was read (the timer's clock). */
  observedAt: string;
  /** Why it could not be read (its tunnels are then unknown); null when it was. */
  error: string | null;
  /** After a 429: ARM's Retry-After as a time; the connection is not asked again before it. */
  retryAt?: string;
}

export interface SideHealth {
  state: TunnelSideState;
  /** Since when the side has been in this state, as far as drpilot has seen; null when unknown. */
  since: string | null;
  up: number;
  down: number;
  unknown: number;
  /** One line: which tunnels are down or unknown, and as of when. */
  detail: string;
}

/** Both sides' views of the tunnels, and whether DNS rewrites wait. */
export interface TunnelHealth {
  aws: SideHealth;
  azure: SideHealth;
  /** Why DNS rewrites wait; null when they do not. */
  dnsGate: string | null;
}

export type AzureTunnelState = 'up' | 'down' | 'unknown';

/** How a status Azure reports counts (see the module comment). */
export function azureTunnelState(status: string | null | undefined): AzureTunnelState {
  if (status === 'Connected') return 'up';
  if (status === 'NotConnected' || status === 'Connecting') return 'down';
  return 'unknown';
}

interface Counted {
  up: number;
  down: number;
  unknown: number;
  notUp: string[];
  asOf: string | null;
}

function stateOf(counted: Counted): TunnelSideState {
  const known = counted.up + counted.down;
  if (known === 0) return 'unknown';
  if (counted.up === 0) return counted.unknown === 0 ? 'down' : 'unknown';
  return counted.down === 0 && counted.unknown === 0 ? 'up' : 'degraded';
}

function newest(times: readonly string[]): string | null {
  return times.reduce<string | null>((a, b) => (a === null || b > a ? b : a), null);
}

function countAws(vpnConnections: Readonly<Record<string, VpnState>>): Counted {
  const counted: Counted = { up: 0, down: 0, unknown: 0, notUp: [], asOf: null };
  for (const [id, vpn] of Object.entries(vpnConnections).sort(([a], [b]) => a.localeCompare(b))) {
    for (const tunnel of vpn.tunnels) {
      if (tunnel.up) counted.up++;
      else {
        counted.down++;
        counted.notUp.push(`${id} ${tunnel.outsideIp} down`);
      }
    }
  }
  counted.asOf = newest(Object.values(vpnConnections).map((vpn) => vpn.time));
  return counted;
}

function countAzure(connections: Readonly<Record<string, AzureConnectionView>>): Counted {
  const counted: Counted = { up: 0, down: 0, unknown: 0, notUp: [], asOf: null };
  for (const [name, view] of Object.entries(connections).sort(([a], [b]) => a.localeCompare(b))) {
    if (view.error !== null) {
      counted.unknown++;
      counted.notUp.push(`${name} not read (${view.error})`);
      continue;
    }
    const tunnels =
      view.tunnels.length > 0
        ? view.tunnels
        : [{ name, status: view.connectionStatus ?? 'Unknown', lastConnectedAt: null }];
    for (const tunnel of tunnels) {
      const state = azureTunnelState(tunnel.status);
      counted[state]++;
      if (state !== 'up') {
        const label = tunnel.name === name ? name : `${name} tunnel ${tunnel.name}`;
        counted.notUp.push(`${label} ${tunnel.status}`);
      }
    }
  }
  counted.asOf = newest(Object.values(connections).map((view) => view.observedAt));
  return counted;
}

function sideHealth(
  side: TunnelSide,
  counted: Counted,
  previous: SideHealth | undefined,
): SideHealth {
  const state = stateOf(counted);
  const total = counted.up + counted.down + counted.unknown;
  const who = side === 'aws' ? 'AWS (tunnel.state events)' : 'Azure (gateway connections)';
  const detail =
    total === 0
      ? `${who}: nothing reported yet`
      : `${who}: ${counted.up} of ${total} tunnel(s) up${counted.notUp.length ? ` — ${counted.notUp.join(', ')}` : ''}${counted.asOf ? ` as of ${counted.asOf}` : ''}`;
  const since =
    previous && previous.state === state
      ? previous.since
      : state === 'unknown'
        ? null
        : counted.asOf;
  return { state, since, up: counted.up, down: counted.down, unknown: counted.unknown, detail };
}

/**
 * Both sides' health from the desired state's views; `previous` (the last assessment) keeps each
 * side's `since` while its state holds.
 */
export function assessTunnels(
  desired: Pick<DesiredState, 'vpnConnections' | 'azureConnections'>,
  previous: TunnelHealth | null = null,
): TunnelHealth {
  const aws = sideHealth('aws', countAws(desired.vpnConnections), previous?.aws);
  const azure = sideHealth('azure', countAzure(desired.azureConnections ?? {}), previous?.azure);
  const held: string[] = [];
  if (aws.state === 'down') {
    const which = Object.entries(desired.vpnConnections)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, vpn]) => `${id} (reported ${vpn.time})`)
      .join(', ');
    held.push(`every VPN tunnel is down (${which})`);
  }
  if (azure.state === 'down') {
    held.push(`every VPN tunnel is down as Azure sees it (${azure.detail})`);
  }
  const dnsGate = held.length ? `${held.join('; ')}: no DNS rewrite until one is up` : null;
  return { aws, azure, dnsGate };
}

/** Why DNS rewrites wait now; undefined when they do not (the reconcile's precondition). */
export function dnsGateReason(
  desired: Pick<DesiredState, 'vpnConnections' | 'azureConnections'>,
): string | undefined {
  return assessTunnels(desired).dnsGate ?? undefined;
}

export interface TunnelStateChange {
  side: TunnelSide;
  from: TunnelSideState | null;
  to: TunnelSideState;
  up: number;
  total: number;
  since: string | null;
  detail: string;
}

/** The sides whose state moved between two assessments: each is logged as a metric. */
export function tunnelStateChanges(
  before: TunnelHealth | null,
  after: TunnelHealth,
): TunnelStateChange[] {
  const changes: TunnelStateChange[] = [];
  for (const side of ['aws', 'azure'] as const) {
    const was = before?.[side].state ?? null;
    const now = after[side];
    if (was === now.state) continue;
    // Nothing known before and nothing known now is no news.
    if (was === null && now.state === 'unknown') continue;
    changes.push({
      side,
      from: was,
      to: now.state,
      up: now.up,
      total: now.up + now.down + now.unknown,
      since: now.since,
      detail: now.detail,
    });
  }
  return changes;
}

/** Whether the DNS gate opened or closed between two assessments (a reconcile is then due). */
export function gateMoved(before: TunnelHealth | null, after: TunnelHealth): boolean {
  return ((before?.dnsGate ?? null) === null) !== (after.dnsGate === null);
}

/** The name every tunnel state change is logged under (README, "tunnelHealth"). */
export const TUNNEL_STATE_METRIC = 'drpilot.tunnel.stateChange';

/** A metric in Application Insights' customMetrics shape: a name, a value, custom dimensions. */
export interface TunnelMetric {
  name: typeof TUNNEL_STATE_METRIC;
  /** Tunnels up on that side after the change. */
  value: number;
  properties: {
    side: TunnelSide;
    from: TunnelSideState | 'none';
    to: TunnelSideState;
    total: number;
    since: string | null;
    detail: string;
    /** Whether DNS rewrites are held after the change. */
    dnsHeld: boolean;
  };
}

/** One metric per side whose state moved; none when nothing moved. */
export function tunnelMetrics(before: TunnelHealth | null, after: TunnelHealth): TunnelMetric[] {
  return tunnelStateChanges(before, after).map((change) => ({
    name: TUNNEL_STATE_METRIC,
    value: change.up,
    properties: {
      side: change.side,
      from: change.from ?? 'none',
      to: change.to,
      total: change.total,
      since: change.since,
      detail: change.detail,
      dnsHeld: after.dnsGate !== null,
    },
  }));
}
