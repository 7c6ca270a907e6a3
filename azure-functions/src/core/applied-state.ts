import type { ForwardingPlan } from './coredns-render';
import type { ZoneRouting } from './localdns';

/** What the last reconcile did to the cluster's DNS, and why; answered by `GET /api/state`. */
export interface AppliedState {
  at: string;
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
}
