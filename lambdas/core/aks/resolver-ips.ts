import type { Side } from '../config/schema';
import type { ResolverIpsData } from './events';

/**
 * Which Route 53 Resolver inbound endpoint addresses the AKS side may forward to, and when to tell
 * it. ListResolverEndpointIpAddresses reports a Status per address (CREATING, ATTACHING, ATTACHED,
 * REMAP_DETACHING, REMAP_ATTACHING, DETACHING, FAILED_CREATION, FAILED_RESOURCE_GONE, DELETING,
 * DELETE_FAILED_FAS_EXPIRED, UPDATING, UPDATE_FAILED, ISOLATED — Route 53 API Reference,
 * "IpAddressResponse"); only an ATTACHED one answers queries.
 */

export const ATTACHED = 'ATTACHED';

/** A delivery this old is sent again even when nothing changed: the receiver may have lost it. */
export const RESOLVER_IPS_MAX_AGE_SECONDS = 24 * 3600;

export interface ResolverAddress {
  ip: string | null;
  status: string;
}

/** The ATTACHED IPv4 addresses, sorted and without duplicates. */
export function attachedIps(addresses: readonly ResolverAddress[]): string[] {
  const ips = addresses.filter((a) => a.status === ATTACHED && a.ip).map((a) => a.ip as string);
  return [...new Set(ips)].sort(compareIps);
}

function compareIps(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** What was last sent for an endpoint (stored when the event is put in the outbox). */
export interface ResolverIpsSent {
  resolverEndpointId: string;
  ips: string[];
  sentAt: string;
  seq: number;
}

export interface ResolverIpsInput {
  side: Side;
  region: string;
  resolverEndpointId: string;
  zones: readonly string[];
  addresses: readonly ResolverAddress[];
  last: ResolverIpsSent | null;
  now: Date;
  /** After a switch: send the new side's set whatever was sent before. */
  afterSwitch: boolean;
}

export type ResolverIpsDecision =
  | { kind: 'send'; data: ResolverIpsData; reason: string }
  | { kind: 'unchanged'; reason: string }
  | { kind: 'refused'; reason: string };

export function decideResolverIps(input: ResolverIpsInput): ResolverIpsDecision {
  const ips = attachedIps(input.addresses);
  const endpoint = `${input.resolverEndpointId} (${input.side}, ${input.region})`;
  if (ips.length === 0) {
    const statuses = input.addresses.map((a) => `${a.ip ?? '?'} ${a.status}`).join(', ');
    return {
      kind: 'refused',
      reason: `inbound endpoint ${endpoint} has no ATTACHED address (${statuses || 'no address at all'}): nothing sent, the AKS side keeps its last set`,
    };
  }
  const data: ResolverIpsData = {
    region: input.region,
    resolverEndpointId: input.resolverEndpointId,
    ips,
    zones: [...input.zones],
  };
  const last = input.last?.resolverEndpointId === input.resolverEndpointId ? input.last : null;
  if (input.afterSwitch) return { kind: 'send', data, reason: `after a switch to ${input.side}` };
  if (!last) return { kind: 'send', data, reason: `first report of ${endpoint}` };
  if (last.ips.join(',') !== ips.join(',')) {
    return {
      kind: 'send',
      data,
      reason: `${endpoint} changed from [${last.ips.join(', ')}] to [${ips.join(', ')}]`,
    };
  }
  const ageSeconds = (input.now.getTime() - Date.parse(last.sentAt)) / 1000;
  if (!(ageSeconds < RESOLVER_IPS_MAX_AGE_SECONDS)) {
    return { kind: 'send', data, reason: `last sent ${Math.round(ageSeconds)} s ago (over a day)` };
  }
  return { kind: 'unchanged', reason: `${endpoint} still [${ips.join(', ')}]` };
}
