/**
 * Strict shapes for the names and addresses that end up inside a Corefile. CoreDNS reads a
 * Corefile token by token: whitespace, `{`, `}`, `#` (a comment), quotes and `{$ENV}`
 * placeholders all change its meaning (coredns/coredns corefile.5.md), so nothing outside these
 * shapes may ever reach the renderer.
 */

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A DNS zone as drpilot writes it: lower case, no trailing dot, labels of letters, digits and
 * inner hyphens (RFC 1035 preferred syntax, RFC 1123 allows a leading digit), at most 253
 * characters. Returns the normalized name, or a message saying what is wrong.
 */
export function normalizeZone(raw: string): { zone: string } | { error: string } {
  const zone = raw.trim().toLowerCase().replace(/\.$/, '');
  if (zone === '') return { error: 'expected a zone name, not the root zone' };
  if (zone.length > 253) return { error: 'a zone name is at most 253 characters' };
  const bad = zone.split('.').find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    return {
      error: `label "${bad}" is not 1–63 letters, digits or inner hyphens`,
    };
  }
  return { zone };
}

/**
 * Zones the cluster's own default server block answers: a separate server block for them would
 * take their queries away from the kubernetes plugin (the longest zone match wins, corefile.5.md)
 * and break in-cluster DNS.
 */
export const CLUSTER_OWNED_ZONES = ['cluster.local', 'in-addr.arpa', 'ip6.arpa'] as const;

export function isClusterOwned(zone: string): boolean {
  return CLUSTER_OWNED_ZONES.some((owned) => zone === owned || zone.endsWith(`.${owned}`));
}

/** Dotted-quad IPv4 without leading zeros (so no octal readings), each octet 0–255. */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * An address a Route 53 Resolver inbound endpoint can have, as a unicast IPv4 address: not
 * 0.0.0.0/8 ("this network"), not multicast or reserved (224.0.0.0/3). Loopback is allowed: the
 * test world's stub resolvers live there.
 */
export function checkResolverIp(ip: string): string | undefined {
  if (!IPV4.test(ip)) return 'expected an IPv4 address such as 10.0.1.10';
  const first = Number(ip.split('.')[0]);
  if (first === 0) return 'is in 0.0.0.0/8, not a resolver address';
  if (first >= 224) return 'is multicast or reserved, not a resolver address';
  return undefined;
}
