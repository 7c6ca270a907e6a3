import type { ClusterDnsSnapshot } from './cluster-dns';
import { renderServerBlocks, type ForwardingPlan } from './coredns-render';
import { conflictingZones } from './custom-configmap';
import type { DesiredState } from './desired-state';
import { sameEntries } from './last-good';
import { dnsGateReason } from './tunnel-health';

/** What the desired state asks of the cluster's DNS, before the cluster is looked at. */
export type ForwardingDecision =
  | { action: 'skip'; reason: string }
  | { action: 'refuse'; problems: string[] }
  | { action: 'render'; plan: ForwardingPlan; entries: Record<string, string> };

/** Where the active region's zones should be forwarded: the part both modes share. */
export interface ForwardingTarget {
  zones: string[];
  /** The active region's ATTACHED inbound endpoint addresses. */
  ips: string[];
  region: string;
  resolverEndpointId: string;
}

/**
 * What the desired state asks for before either mode renders anything: nothing while the active
 * side is unknown, while every tunnel is down on either side (core/tunnel-health.ts), or while the
 * active region's inbound endpoint has no ATTACHED address.
 */
export function forwardingTarget(
  desired: DesiredState,
): { action: 'skip'; reason: string } | { action: 'forward'; target: ForwardingTarget } {
  const active = desired.active;
  if (!active) {
    return {
      action: 'skip',
      reason: 'the active side is not known yet: no dns.failover of the main record received',
    };
  }
  // With every tunnel down the resolvers cannot be reached from AKS whatever the forwarding says:
  // a rewrite then would only restart CoreDNS (or move rules) for nothing, and could not be
  // verified, so it waits. Without any tunnel report the tunnels are not known to be down.
  const down = dnsGateReason(desired);
  if (down) return { action: 'skip', reason: down };
  const resolvers = desired.resolvers[active.region];
  if (!resolvers) {
    return {
      action: 'skip',
      reason: `no resolver.ips received for the active region ${active.region}`,
    };
  }
  if (resolvers.ips.length === 0) {
    return {
      action: 'skip',
      reason: `Route 53 Resolver ${resolvers.resolverEndpointId} in ${active.region} has no ATTACHED address`,
    };
  }
  return {
    action: 'forward',
    target: {
      zones: resolvers.zones,
      ips: resolvers.ips,
      region: active.region,
      resolverEndpointId: resolvers.resolverEndpointId,
    },
  };
}

export function planForwarding(
  desired: DesiredState,
  options: { cacheSeconds: number },
): ForwardingDecision {
  const wanted = forwardingTarget(desired);
  if (wanted.action === 'skip') return wanted;
  const plan: ForwardingPlan = { ...wanted.target, cacheSeconds: options.cacheSeconds };
  const rendered = renderServerBlocks(plan);
  if (!rendered.ok) return { action: 'refuse', problems: rendered.problems };
  return { action: 'render', plan, entries: rendered.data };
}

export type WriteDecision =
  | { action: 'unchanged' }
  | { action: 'refuse'; problems: string[] }
  | { action: 'write'; entries: Record<string, string> };

/** Given what the cluster has now, whether to write the rendered entries. */
export function decideWrite(
  entries: Record<string, string>,
  plan: ForwardingPlan,
  snapshot: ClusterDnsSnapshot,
): WriteDecision {
  const conflicts = conflictingZones(snapshot.others, plan.zones);
  if (conflicts.length > 0) {
    return {
      action: 'refuse',
      problems: conflicts.map(
        ({ zone, key }) =>
          `coredns-custom entry ${key} already serves ${zone}: two servers for one zone stop CoreDNS`,
      ),
    };
  }
  if (sameEntries(entries, snapshot.entries)) return { action: 'unchanged' };
  return { action: 'write', entries };
}
