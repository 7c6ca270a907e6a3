/**
 * The load figure the resize planner reads: the p95 of a node group's utilisation (percent of
 * its current capacity on the alarmed dimension) over the alarm's window. The adapter fetches one
 * series per node with `GetMetricData` (`CPUUtilization`, or the CloudWatch agent's
 * `mem_used_percent`) and calls these helpers. Pure.
 */

/**
 * The 95th percentile by the nearest-rank method: the ⌈0.95·n⌉-th smallest value, so the result
 * is always an observed value. Non-finite values are ignored; `null` when nothing is left.
 */
export function p95(values: readonly number[]): number | null {
  return percentile(values, 95);
}

/** The `p`th percentile (0 < p ≤ 100) by the nearest-rank method; see `p95`. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile: p must be in (0, 100], got ${p}`);
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

export interface UtilisationPoint {
  timestampMs: number;
  /** Utilisation in percent (0–100). */
  percent: number;
}

/** One node's datapoints, with the node's capacity on the alarmed dimension (`capacityOf`). */
export interface NodeUtilisationSeries {
  nodeId: string;
  capacity: number;
  points: readonly UtilisationPoint[];
}

export interface GroupUtilisation {
  /** p95 of the group's utilisation over the window, in percent of its capacity. */
  p95Percent: number;
  /** The group datapoints the p95 was taken over. */
  datapoints: number;
}

export interface UtilisationOptions {
  /**
   * A timestamp counts only when the nodes reporting at it hold at least this share of the
   * group's capacity (default 0.5): a node that is stopped or not yet reporting does not make the
   * group look idle or busy on its own.
   */
  minCoverage?: number;
}

/**
 * The group's utilisation at each timestamp: the capacity-weighted mean of its nodes'
 * utilisation (Σ percent·capacity / Σ capacity over the nodes reporting), sorted by time.
 * Timestamps covered by less than `minCoverage` of the capacity are dropped.
 */
export function groupUtilisationSeries(
  series: readonly NodeUtilisationSeries[],
  options: UtilisationOptions = {},
): UtilisationPoint[] {
  const minCoverage = options.minCoverage ?? 0.5;
  const total = series.reduce((sum, node) => sum + Math.max(0, node.capacity), 0);
  if (total <= 0) return [];
  const byTime = new Map<number, { used: number; capacity: number; nodes: Set<string> }>();
  for (const node of series) {
    if (!(node.capacity > 0)) continue;
    for (const point of node.points) {
      if (!Number.isFinite(point.percent) || !Number.isFinite(point.timestampMs)) continue;
      const slot = byTime.get(point.timestampMs) ?? { used: 0, capacity: 0, nodes: new Set() };
      if (slot.nodes.has(node.nodeId)) continue; // one datapoint per node and timestamp
      slot.nodes.add(node.nodeId);
      slot.used += point.percent * node.capacity;
      slot.capacity += node.capacity;
      byTime.set(point.timestampMs, slot);
    }
  }
  return [...byTime.entries()]
    .filter(([, slot]) => slot.capacity >= minCoverage * total)
    .sort(([a], [b]) => a - b)
    .map(([timestampMs, slot]) => ({ timestampMs, percent: slot.used / slot.capacity }));
}

/** The p95 of `groupUtilisationSeries`, or `null` when no timestamp has enough coverage. */
export function utilisationFromDatapoints(
  series: readonly NodeUtilisationSeries[],
  options: UtilisationOptions = {},
): GroupUtilisation | null {
  const points = groupUtilisationSeries(series, options);
  const value = p95(points.map((point) => point.percent));
  return value === null ? null : { p95Percent: value, datapoints: points.length };
}
