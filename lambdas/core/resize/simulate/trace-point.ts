/** One utilisation sample of a node group: its demand on the alarmed dimension at a time. */
export interface TracePoint {
  timestampMs: number;
  /** Demand in the group's unit: vCPUs in use (`cpu`) or MiB in use (`memory`). */
  value: number;
}
