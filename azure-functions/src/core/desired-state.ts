import type { DrpilotEvent } from './events';
import { assessTunnels, type AzureConnectionView, type TunnelHealth } from './tunnel-health';

/**
 * What AKS should look like, as the AWS side last told it: built only from accepted events, by
 * `applyEvent`, and stored as one document (Table Storage, under an ETag).
 */

export type Side = 'primary' | 'dr';

export interface ActiveSide {
  side: Side;
  region: string;
  recordName: string;
  target: string;
  changeId: string;
  /** The event's `time`: when AWS made the change. */
  time: string;
}

export interface ResolverSet {
  resolverEndpointId: string;
  /** The inbound endpoint's ATTACHED addresses; empty when it has none. */
  ips: string[];
  zones: string[];
  time: string;
}

export interface VpnState {
  tunnels: { outsideIp: string; up: boolean }[];
  time: string;
}

export interface DesiredState {
  /** Moved only by a `dns.failover` of the main record. */
  active: ActiveSide | null;
  /** By AWS region. */
  resolvers: Record<string, ResolverSet>;
  /** AWS's view of the tunnels (tunnel.state events), by VPN connection id. */
  vpnConnections: Record<string, VpnState>;
  /**
   * Azure's view of the tunnels (the `tunnelHealth` timer), by virtual network gateway connection
   * (`<resource group>/<name>`).
   */
  azureConnections: Record<string, AzureConnectionView>;
  /** Both views assessed (core/tunnel-health.ts), with since when each side is in its state. */
  tunnelHealth: TunnelHealth | null;
  /** The newest `dns.failover` of any other record: a drill. */
  lastDrill: ActiveSide | null;
  /** Newest applied `seq` per stream (see `streamOf`). */
  seq: Record<string, number>;
}

export const EMPTY_DESIRED_STATE: DesiredState = {
  active: null,
  resolvers: {},
  vpnConnections: {},
  azureConnections: {},
  tunnelHealth: null,
  lastDrill: null,
  seq: {},
};

/** A stored document from before a field existed reads as if that field were empty. */
export function withDefaults(stored: Partial<DesiredState>): DesiredState {
  return { ...EMPTY_DESIRED_STATE, ...stored };
}

export interface ApplyContext {
  /** The customer-facing record (`dns.recordName`); app setting DRPILOT_MAIN_RECORD. */
  mainRecordName: string;
}

export type ApplyResult =
  | { outcome: 'applied'; state: DesiredState; stream: string }
  | { outcome: 'ignored-older'; stream: string; newestSeq: number }
  | { outcome: 'no-change' };

/**
 * The ordering stream an event belongs to: its type, narrowed to what it describes (a record, a
 * region, a VPN connection). `seq` grows per type at the sender, so it also grows within each
 * stream; ordering per stream means a late event about one region is not dropped because an
 * event about another region was newer, while a retried old event still never undoes a newer
 * one about the same thing.
 */
export function streamOf(event: Exclude<DrpilotEvent, { type: 'ping' }>): string {
  switch (event.type) {
    case 'dns.failover':
      return `${event.type} ${event.data.recordName}`;
    case 'resolver.ips':
      return `${event.type} ${event.data.region}`;
    case 'tunnel.state':
      return `${event.type} ${event.data.vpnConnectionId}`;
  }
}

export function applyEvent(
  state: DesiredState,
  event: DrpilotEvent,
  context: ApplyContext,
): ApplyResult {
  if (event.type === 'ping') return { outcome: 'no-change' };
  const stream = streamOf(event);
  const newestSeq = state.seq[stream];
  // Not newer is ignored too: the same seq under another id is a re-send of the same change.
  if (newestSeq !== undefined && event.seq <= newestSeq) {
    return { outcome: 'ignored-older', stream, newestSeq };
  }
  const next: DesiredState = { ...state, seq: { ...state.seq, [stream]: event.seq } };
  switch (event.type) {
    case 'dns.failover': {
      const moved: ActiveSide = {
        side: event.data.activeSide,
        region: event.data.activeRegion,
        recordName: event.data.recordName,
        target: event.data.target,
        changeId: event.data.changeId,
        time: event.time,
      };
      if (event.data.recordName === normalizeRecord(context.mainRecordName)) next.active = moved;
      else next.lastDrill = moved;
      break;
    }
    case 'resolver.ips':
      next.resolvers = {
        ...state.resolvers,
        [event.data.region]: {
          resolverEndpointId: event.data.resolverEndpointId,
          ips: [...new Set(event.data.ips)],
          zones: [...new Set(event.data.zones)],
          time: event.time,
        },
      };
      break;
    case 'tunnel.state':
      next.vpnConnections = {
        ...state.vpnConnections,
        [event.data.vpnConnectionId]: { tunnels: event.data.tunnels, time: event.time },
      };
      next.tunnelHealth = assessTunnels(next, state.tunnelHealth);
      break;
  }
  return { outcome: 'applied', state: next, stream };
}

/** Event record names arrive normalized (lower case, no trailing dot); so is the setting here. */
function normalizeRecord(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * The Azure side's view of the tunnels, as the `tunnelHealth` timer just read it, merged into the
 * desired state: the connections it read replace their previous views (connections no longer
 * configured are dropped), and both sides are assessed again.
 */
export function withAzureConnections(
  state: DesiredState,
  connections: Readonly<Record<string, AzureConnectionView>>,
): DesiredState {
  const next: DesiredState = { ...state, azureConnections: { ...connections } };
  next.tunnelHealth = assessTunnels(next, state.tunnelHealth);
  return next;
}
