import type { DrpilotConfig, Side } from '../config/schema';

/**
 * The events of the AWS → Azure contract: an envelope `{ id, seq, type, time, data }` whose
 * `data` depends on `type` ("AWS → Azure events" in DESIGN.md). `seq` grows per type; the
 * receiver orders per stream (type + record, region or VPN connection), which a per-type
 * sequence satisfies.
 */

export const AKS_EVENT_TYPES = ['dns.failover', 'resolver.ips', 'tunnel.state', 'ping'] as const;
export type AksEventType = (typeof AKS_EVENT_TYPES)[number];

export interface FailoverData {
  activeSide: Side;
  activeRegion: string;
  /** The main record, or dns.drillRecordName for a drill (the receiver records it as a drill). */
  recordName: string;
  target: string;
  changeId: string;
}

export interface ResolverIpsData {
  region: string;
  resolverEndpointId: string;
  /** ATTACHED addresses only, sorted. */
  ips: string[];
  zones: string[];
}

export interface TunnelStateData {
  vpnConnectionId: string;
  tunnels: { outsideIp: string; up: boolean }[];
}

export interface AksEventData {
  'dns.failover': FailoverData;
  'resolver.ips': ResolverIpsData;
  'tunnel.state': TunnelStateData;
  ping: Record<string, never>;
}

export interface AksEvent<T extends AksEventType = AksEventType> {
  id: string;
  seq: number;
  type: T;
  /** When the sender created the event, ISO 8601 UTC. */
  time: string;
  data: AksEventData[T];
}

/** The raw body, keys in the contract's order; it is stored, signed and sent byte for byte. */
export function eventBody(event: AksEvent): string {
  const { id, seq, type, time, data } = event;
  return JSON.stringify({ id, seq, type, time, data });
}

/** The data of a `dns.failover` after a switch of `recordName` to `side`. */
export function failoverData(
  config: DrpilotConfig,
  recordName: string,
  side: Side,
  changeId: string,
): FailoverData {
  return {
    activeSide: side,
    activeRegion: config.clusters[side].region,
    recordName,
    target: config.clusters[side].endpoint,
    changeId,
  };
}

/** What an event is about, for messages: `dns.failover main.example.com #12`. */
export function describeEvent(event: { type: string; seq: number; data: unknown }): string {
  const data = event.data as Partial<FailoverData & ResolverIpsData & TunnelStateData>;
  const subject = data.recordName ?? data.resolverEndpointId ?? data.vpnConnectionId;
  return `${event.type}${subject ? ` ${subject}` : ''} #${event.seq}`;
}
