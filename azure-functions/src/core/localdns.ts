/**
 * Whether a zone drpilot forwards in coredns-custom really reaches CoreDNS from the pods, given
 * AKS LocalDNS.
 *
 * What Microsoft documents (MicrosoftDocs/azure-aks-docs articles/aks/localdns-custom.md and
 * dns-concepts.md):
 * - LocalDNS is a per-node DNS proxy (a `localdns` systemd unit) configured per node pool by the
 *   pool's LocalDNS profile; pods on the node query it before CoreDNS.
 * - `kubeDNSOverrides` apply to pods with `dnsPolicy: ClusterFirst` — the pods that, without
 *   LocalDNS, ask CoreDNS and so see coredns-custom. `vnetDNSOverrides` apply to
 *   `dnsPolicy: Default` pods and the kubelet, which never asked CoreDNS in the first place.
 * - Each override is a server block for a zone (`.`, `cluster.local`, or any custom zone) whose
 *   `forwardDestination` is `ClusterCoreDNS` (the cluster's CoreDNS, so coredns-custom applies) or
 *   `VnetDNS` (the VNet's DNS servers, so CoreDNS — and coredns-custom — is bypassed). Unset, it is
 *   `ClusterCoreDNS` for kubeDNS traffic.
 * - Mode `Required` installs LocalDNS; `Preferred` only validates before Kubernetes 1.37, and from
 *   1.37 on AKS Standard pools without an explicit profile default to `Preferred`, which enables
 *   LocalDNS "only when compatibility checks pass"; `Disabled` opts out. The profile's read-only
 *   `state` (`Enabled`/`Disabled`, @azure/arm-containerservice `LocalDNSProfile.state`) says what AKS
 *   made of it, when reported.
 * - LocalDNS is CoreDNS: AKS renders each override as a `<zone>:53 { … forward . <dest> }` block
 *   (Azure/AgentBaker pkg/agent/localdns_test.go), and CoreDNS answers a query from the server block
 *   of the most specific zone that contains the name (coredns/coredns corefile.5.md). So the
 *   override that decides a zone is the longest one equal to it or above it, and any override for a
 *   zone below it takes that part of the names.
 */

export type ForwardDestination = 'ClusterCoreDNS' | 'VnetDNS';

/** A node pool as the AKS API describes it (agentPools.list), reduced to what routing depends on. */
export interface NodePoolDns {
  name: string;
  /** `Linux` or `Windows`; LocalDNS exists on Linux pools only. */
  osType?: string;
  /** The pool's Kubernetes version, e.g. `1.37.1` (currentOrchestratorVersion). */
  kubernetesVersion?: string;
  /** The pool's LocalDNS profile; absent when none was ever set. */
  localDns?: {
    mode?: string;
    state?: string;
    kubeDNSOverrides?: Record<string, { forwardDestination?: string }>;
  };
}

export type PoolLocalDns = 'active' | 'inactive' | 'unknown';

export interface ZoneRouting {
  zone: string;
  /**
   * forwarded: on every pool ClusterFirst pods' queries for the zone reach CoreDNS;
   * bypassed: on at least one pool LocalDNS sends the zone, or names in it, to VNet DNS;
   * unknown: no pool bypasses it, but the routing of at least one pool could not be known.
   */
  status: 'forwarded' | 'bypassed' | 'unknown';
  bypassedOn: { pool: string; override: string; names: string }[];
  unknownOn: { pool: string; why: string }[];
}

const LOCALDNS_DEFAULT_VERSION = [1, 37] as const;

/** Whether LocalDNS runs on the pool's nodes, and why we think so. */
export function poolLocalDns(pool: NodePoolDns): { state: PoolLocalDns; why: string } {
  if (pool.osType && pool.osType.toLowerCase() === 'windows') {
    return { state: 'inactive', why: 'Windows pool: LocalDNS is Linux only' };
  }
  const profile = pool.localDns;
  if (profile?.state === 'Enabled') return { state: 'active', why: 'LocalDNS state Enabled' };
  if (profile?.state === 'Disabled') return { state: 'inactive', why: 'LocalDNS state Disabled' };
  const mode = profile?.mode;
  if (mode === 'Required') return { state: 'active', why: 'LocalDNS mode Required' };
  if (mode === 'Disabled') return { state: 'inactive', why: 'LocalDNS mode Disabled' };
  const version = parseVersion(pool.kubernetesVersion);
  const defaultsOn =
    version !== undefined && compareVersion(version, LOCALDNS_DEFAULT_VERSION) >= 0;
  if (mode === 'Preferred' || mode === undefined) {
    if (version === undefined) {
      return {
        state: 'unknown',
        why: `LocalDNS ${mode ? 'mode Preferred' : 'profile unset'}, Kubernetes version unknown and no state reported`,
      };
    }
    if (!defaultsOn) {
      return {
        state: 'inactive',
        why: mode
          ? `LocalDNS mode Preferred only validates before Kubernetes 1.37 (pool runs ${pool.kubernetesVersion})`
          : `no LocalDNS profile on Kubernetes ${pool.kubernetesVersion} (before 1.37)`,
      };
    }
    return {
      state: 'unknown',
      why: `Kubernetes ${pool.kubernetesVersion}: LocalDNS ${mode ? 'mode Preferred' : 'defaults to Preferred'} and is enabled only if AKS's compatibility checks pass; no state reported`,
    };
  }
  return { state: 'unknown', why: `LocalDNS mode ${mode} is not one drpilot knows` };
}

/** For each zone, whether ClusterFirst pods' queries reach CoreDNS on every pool. */
export function zoneRouting(
  zones: readonly string[],
  pools: readonly NodePoolDns[] | { unavailable: string },
): ZoneRouting[] {
  if (!Array.isArray(pools)) {
    const why = (pools as { unavailable: string }).unavailable;
    return zones.map((zone) => ({
      zone,
      status: 'unknown',
      bypassedOn: [],
      unknownOn: [{ pool: '*', why: `node pools not read: ${why}` }],
    }));
  }
  return zones.map((rawZone) => {
    const zone = normalize(rawZone);
    const bypassedOn: ZoneRouting['bypassedOn'] = [];
    const unknownOn: ZoneRouting['unknownOn'] = [];
    for (const pool of pools as readonly NodePoolDns[]) {
      const local = poolLocalDns(pool);
      if (local.state === 'inactive') continue;
      const bypass = bypassesOf(zone, pool.localDns?.kubeDNSOverrides ?? {});
      if (local.state === 'unknown') {
        if (bypass.length > 0) {
          unknownOn.push({
            pool: pool.name,
            why: `${local.why}; if enabled, its overrides send ${bypass.map((b) => b.names).join(', ')} to VnetDNS`,
          });
        }
        // With no override sending the zone elsewhere, it reaches CoreDNS either way (LocalDNS's
        // default kubeDNS `.` block forwards to ClusterCoreDNS).
        continue;
      }
      for (const b of bypass) bypassedOn.push({ pool: pool.name, ...b });
    }
    const status =
      bypassedOn.length > 0 ? 'bypassed' : unknownOn.length > 0 ? 'unknown' : 'forwarded';
    return { zone, status, bypassedOn, unknownOn };
  });
}

/**
 * The names of `zone` that LocalDNS's kubeDNS overrides send to VNet DNS instead of CoreDNS: the
 * whole zone when the override deciding it (the longest at or above it) does, plus every override
 * below the zone that does.
 */
function bypassesOf(
  zone: string,
  overrides: Readonly<Record<string, { forwardDestination?: string }>>,
): { override: string; names: string }[] {
  const normalized = Object.entries(overrides).map(
    ([key, value]) => [normalize(key), destinationOf(value.forwardDestination)] as const,
  );
  const above = normalized
    .filter(([key]) => key === '.' || key === zone || zone.endsWith(`.${key}`))
    .sort(([a], [b]) => labels(b) - labels(a))[0];
  const found: { override: string; names: string }[] = [];
  if (above && above[1] === 'VnetDNS') {
    found.push({ override: above[0], names: `${zone} and the names in it` });
  }
  for (const [key, destination] of normalized) {
    if (key !== zone && key.endsWith(`.${zone}`) && destination === 'VnetDNS') {
      found.push({ override: key, names: `names in ${key}` });
    }
  }
  return found;
}

/** Unset means ClusterCoreDNS for kubeDNS traffic (localdns-custom.md, "Supported plugins"). */
function destinationOf(value: string | undefined): ForwardDestination {
  return value === 'VnetDNS' ? 'VnetDNS' : 'ClusterCoreDNS';
}

function normalize(zone: string): string {
  const trimmed = zone.trim().toLowerCase();
  return trimmed === '.' ? '.' : trimmed.replace(/\.$/, '');
}

function labels(zone: string): number {
  return zone === '.' ? 0 : zone.split('.').length;
}

function parseVersion(version: string | undefined): [number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version ?? '');
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function compareVersion(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** One line on the zones that are not simply forwarded, for the applied state's reason. */
export function routingSummary(routing: readonly ZoneRouting[]): string | null {
  const parts: string[] = [];
  for (const zone of routing) {
    if (zone.status === 'bypassed') {
      const where = zone.bypassedOn
        .map((b) => `pool ${b.pool} (${b.names}: LocalDNS override "${b.override}" → VnetDNS)`)
        .join(', ');
      parts.push(`${zone.zone} is not forwarded by coredns-custom on ${where}`);
    } else if (zone.status === 'unknown') {
      parts.push(
        `${zone.zone}: LocalDNS routing unknown on ${zone.unknownOn.map((u) => `${u.pool === '*' ? 'every pool' : `pool ${u.pool}`} (${u.why})`).join(', ')}`,
      );
    }
  }
  return parts.length > 0 ? parts.join('; ') : null;
}
