import type { NodePoolDns } from './localdns';

/**
 * The ports through which the reconcile changes and observes the cluster's DNS. Adapters:
 * `adapters/kubernetes/coredns-cluster.ts` (coredns-custom written against its resourceVersion, a
 * rollout restart of the CoreDNS Deployment, the wait for Available, the put-back of the last good
 * entries) and `adapters/azure/aks-node-pools.ts` (the node pools' LocalDNS profiles).
 */

export interface ClusterDnsSnapshot {
  /** drpilot's own `drpilot.*` entries of coredns-custom as the cluster has them now. */
  entries: Record<string, string>;
  /** Every other entry of coredns-custom, untouched by drpilot. */
  others: Record<string, string>;
  /** What a write is conditional on (the ConfigMap's resourceVersion). */
  version: string;
}

export type ClusterApplyOutcome =
  /** Written, CoreDNS restarted and Available again. */
  | { outcome: 'applied' }
  /** The ConfigMap moved since `basedOn` was read (HTTP 409): read again and decide again. */
  | { outcome: 'conflict' }
  /** Written, but CoreDNS did not become Available in time; the previous entries are back. */
  | { outcome: 'rolled-back'; detail: string };

export interface ClusterDns {
  read(): Promise<ClusterDnsSnapshot>;
  /** Replaces drpilot's entries (and only those) if the ConfigMap is still at `basedOn`. */
  apply(entries: Record<string, string>, basedOn: string): Promise<ClusterApplyOutcome>;
}

/** The cluster's node pools, for what LocalDNS does with the forwarded zones (core/localdns.ts). */
export interface ClusterNodePools {
  list(): Promise<NodePoolDns[]>;
}
