import { checkResolverIp, isClusterOwned, normalizeZone } from './dns-names';

/**
 * The `coredns` mode's output: one `<zone>.server` entry per zone for AKS's `coredns-custom`
 * ConfigMap (namespace kube-system).
 *
 * AKS owns the main Corefile and imports that ConfigMap's entries, mounted under
 * /etc/coredns/custom: `import custom/*.override` inside its `.:53` block and
 * `import custom/*.server` after it (the default Corefile in robbiezhang/AKS-Runbooks
 * coredns/1.aks-customization/Note.md; "names in the data section must end in .server or
 * .override", MicrosoftDocs/azure-docs articles/aks/coredns-custom.md). So:
 * - the forwarding goes in its own server block, in a `.server` entry, never in an `.override`:
 *   an override lands inside `.:53`, which already has `forward . /etc/resolv.conf`;
 * - a `.server` entry never holds `.` (or `.:53`): "Specifying a ZONE and PORT combination
 *   multiple times for different servers will lead to an error on startup" (coredns/coredns
 *   corefile.5.md), and the default block already serves `.:53`. One broken entry takes the whole
 *   cluster's DNS down (Azure/AKS#2623), and CoreDNS has no validate flag (coredns/coredns#5152),
 *   so these rules, checked here before anything is written, are the only guard.
 */

export const CUSTOM_CONFIGMAP = { namespace: 'kube-system', name: 'coredns-custom' } as const;

/** drpilot's entries in the shared ConfigMap; every other entry belongs to someone else. */
export const DRPILOT_KEY_PREFIX = 'drpilot.';
const SERVER_SUFFIX = '.server';
// A ConfigMap key is at most 253 characters of [-._a-zA-Z0-9] (Kubernetes API validation).
const MAX_KEY_LENGTH = 253;

export const RESOLVER_PORT = 53;
/**
 * Health checks of an upstream run only after it failed, then every this long until it answers
 * (plugin/forward/README.md, "Description"); the README's own examples use 5s so as "to not
 * completely swamp the service with health checks".
 */
export const HEALTH_CHECK_INTERVAL = '5s';
/** The record TTLs drpilot works with (`dns.ttl` is 5–300 s). */
export const CACHE_SECONDS_RANGE = { min: 5, max: 300 } as const;

export interface ForwardingPlan {
  zones: string[];
  /** The active region's ATTACHED inbound endpoint addresses. */
  ips: string[];
  region: string;
  resolverEndpointId: string;
  /** The record TTL: the cache never keeps an answer longer than this. */
  cacheSeconds: number;
}

export type RenderResult =
  { ok: true; data: Record<string, string> } | { ok: false; problems: string[] };

export function serverKeyFor(zone: string): string {
  return `${DRPILOT_KEY_PREFIX}${zone}${SERVER_SUFFIX}`;
}

/** Renders the entries, or refuses with every problem found; it never renders a partial set. */
export function renderServerBlocks(plan: ForwardingPlan): RenderResult {
  const problems: string[] = [];
  const zones: string[] = [];
  if (plan.zones.length === 0) problems.push('zones: expected at least one zone');
  for (const raw of plan.zones) {
    const checked = normalizeZone(raw);
    if ('error' in checked) problems.push(`zone "${raw}": ${checked.error}`);
    else if (isClusterOwned(checked.zone)) {
      problems.push(`zone "${raw}": is served by the cluster's own kubernetes plugin`);
    } else if (zones.includes(checked.zone)) problems.push(`zone "${raw}": listed twice`);
    else if (serverKeyFor(checked.zone).length > MAX_KEY_LENGTH) {
      problems.push(`zone "${raw}": too long for a ConfigMap key`);
    } else zones.push(checked.zone);
  }
  // The forward plugin takes at most 15 upstreams (plugin/forward/README.md, "Syntax").
  if (plan.ips.length === 0) problems.push('ips: expected at least one resolver address');
  if (plan.ips.length > 15) problems.push('ips: the forward plugin takes at most 15 upstreams');
  for (const ip of plan.ips) {
    const problem = checkResolverIp(ip);
    if (problem) problems.push(`ip "${ip}": ${problem}`);
  }
  if (new Set(plan.ips).size !== plan.ips.length) problems.push('ips: an address is listed twice');
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(plan.region)) {
    problems.push(`region "${plan.region}": expected an AWS region such as eu-west-1`);
  }
  if (!/^rslvr-in-[0-9a-z]+$/.test(plan.resolverEndpointId)) {
    problems.push(`resolverEndpointId "${plan.resolverEndpointId}": expected rslvr-in-…`);
  }
  const { min, max } = CACHE_SECONDS_RANGE;
  if (!Number.isInteger(plan.cacheSeconds) || plan.cacheSeconds < min || plan.cacheSeconds > max) {
    problems.push(`cacheSeconds: expected a whole number of seconds from ${min} to ${max}`);
  }
  if (problems.length > 0) return { ok: false, problems };

  const upstreams = [...plan.ips]
    .sort(compareIpv4)
    .map((ip) => `${ip}:${RESOLVER_PORT}`)
    .join(' ');
  const data: Record<string, string> = {};
  for (const zone of [...zones].sort()) {
    data[serverKeyFor(zone)] = [
      `# managed by drpilot: ${zone} via Route 53 Resolver ${plan.resolverEndpointId} (${plan.region})`,
      // No port: the block joins the cluster's DNS port (53 on AKS, whose CoreDNS sets no
      // -dns.port), as "If you use a port number here, you can't override it with -dns.port"
      // (corefile.5.md) would otherwise pin it.
      `${zone} {`,
      '    errors',
      // `cache TTL` caps every cached answer at TTL seconds (plugin/cache/README.md, "Syntax").
      `    cache ${plan.cacheSeconds}`,
      // `forward .` in a zone's block forwards that zone (plugin/forward/README.md, the
      // `example.org { forward . 127.0.0.1:9005 }` example). `policy sequential` tries the
      // addresses in this order, so answers come from one endpoint while it is healthy.
      `    forward . ${upstreams} {`,
      '        policy sequential',
      `        health_check ${HEALTH_CHECK_INTERVAL}`,
      '    }',
      '}',
      '',
    ].join('\n');
  }
  return { ok: true, data };
}

function compareIpv4(a: string, b: string): number {
  const value = (ip: string) => ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return value(a) - value(b);
}
