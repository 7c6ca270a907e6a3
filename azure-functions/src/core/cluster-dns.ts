/**
 * The port through which the reconcile changes the cluster's DNS. Its Kubernetes adapter (the
 * `coredns-custom` ConfigMap written against its resourceVersion, a rollout restart of the CoreDNS
 * deployment, the wait for Available and the put-back of the last good entries) is the next part
 * of this work; until it exists, the Function app runs with no ClusterDns and reports so.
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
