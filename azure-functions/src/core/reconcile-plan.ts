import type { ClusterDnsSnapshot } from './cluster-dns';
import { renderServerBlocks, type ForwardingPlan } from './coredns-render';
import { conflictingZones } from './custom-configmap';
import type { DesiredState } from './desired-state';
import { sameEntries } from './last-good';

/** What the desired state asks of the cluster's DNS, before the cluster is looked at. */
export type ForwardingDecision =
  | { action: 'skip'; reason: string }
  | { action: 'refuse'; problems: string[] }
  | { action: 'render'; plan: ForwardingPlan; entries: Record<string, string> };

export function planForwarding(
  desired: DesiredState,
  options: { cacheSeconds: number },
): ForwardingDecision {
  const active = desired.active;
  if (!active) {
    return {
      action: 'skip',
      reason: 'the active side is not known yet: no dns.failover of the main record received',
    };
  }
  const down = allTunnelsDown(desired);
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
  const plan: ForwardingPlan = {
    zones: resolvers.zones,
    ips: resolvers.ips,
    region: active.region,
    resolverEndpointId: resolvers.resolverEndpointId,
    cacheSeconds: options.cacheSeconds,
  };
  const rendered = renderServerBlocks(plan);
  if (!rendered.ok) return { action: 'refuse', problems: rendered.problems };
  return { action: 'render', plan, entries: rendered.data };
}

/**
 * With every tunnel of every known VPN connection down, the resolvers cannot be reached from AKS
 * whatever the forwarding says: a rewrite then would only restart CoreDNS for nothing, and could
 * not be verified, so it waits (DESIGN.md, "DNS rewrites wait while both tunnels are down").
 * Without any tunnel report the tunnels are not known to be down.
 */
function allTunnelsDown(desired: DesiredState): string | undefined {
  const connections = Object.entries(desired.vpnConnections);
  if (connections.length === 0) return undefined;
  const anyUp = connections.some(([, vpn]) => vpn.tunnels.some((tunnel) => tunnel.up));
  if (anyUp) return undefined;
  const which = connections.map(([id, vpn]) => `${id} (reported ${vpn.time})`).join(', ');
  return `every VPN tunnel is down (${which}): no DNS rewrite until one is up`;
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
