import type { ForwardingPlan } from './coredns-render';
import type { ZoneRouting } from './localdns';

/** One zone's forwarding rule in the `private-resolver` mode, as the last reconcile left it. */
export interface AppliedRule {
  zone: string;
  /** The rule's name; null when drpilot refused to touch the zone. */
  name: string | null;
  outcome: 'created' | 'updated' | 'unchanged' | 'refused';
  /** Why it was refused, or that the rule is Disabled (drpilot never changes its state). */
  detail: string | null;
}

/** What the `private-resolver` mode found in, and did to, the DNS forwarding ruleset. */
export interface AppliedRuleset {
  id: string;
  /** Whether the cluster's VNet is linked to the ruleset (else AKS never consults it). */
  linkedToClusterVnet: boolean;
  rules: AppliedRule[];
  /** drpilot's rules for zones it no longer forwards (left as they are). */
  orphans: { name: string; domainName: string }[];
}

/** What the last reconcile did to the cluster's DNS, and why; answered by `GET /api/state`. */
export interface AppliedState {
  at: string;
  /** `coredns` (coredns-custom) or `private-resolver` (a DNS forwarding ruleset). */
  mode?: 'coredns' | 'private-resolver';
  outcome: 'applied' | 'unchanged' | 'skipped' | 'refused' | 'rolled-back' | 'not-connected';
  /** Why it skipped, refused or was rolled back; for not-connected, what is missing. */
  reason: string | null;
  /** The forwarding the desired state asked for, when it could be computed. */
  forwarding: Omit<ForwardingPlan, 'cacheSeconds'> | null;
  /** The last forwarding the cluster took and kept. */
  lastApplied: { at: string; forwarding: Omit<ForwardingPlan, 'cacheSeconds'> } | null;
  /**
   * With the forwarding in place (applied, unchanged): per zone, whether pods' queries reach
   * CoreDNS, or AKS LocalDNS sends them elsewhere on some node pool (core/localdns.ts). A zone is
   * reported `forwarded` only when no pool bypasses it and every pool's routing is known.
   */
  zones: ZoneRouting[] | null;
  /** The `private-resolver` mode: the ruleset's rules for the zones; absent in the coredns mode. */
  ruleset?: AppliedRuleset | null;
}
