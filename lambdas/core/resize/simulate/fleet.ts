/**
 * What the simulation clock asks of a policy's fleet each minute, and what it tells it at each
 * alarm period. A fleet holds its nodes and the change it is making; it decides only when the
 * clock says an alarm is in ALARM and it is not already changing (the resize lease).
 */

export interface ServingNode {
  id: string;
  type: string;
  /** On the alarmed dimension (vCPU or MiB). */
  capacity: number;
}

export interface FleetMinute {
  /** The instances that exist (their member alarms exist). */
  members: readonly string[];
  /** The nodes taking load this minute. */
  serving: readonly ServingNode[];
  /** Σ of what each billed node costs per hour this minute, in micro-dollars. */
  billedMicroUsdPerHour: number;
  /** The instance types billed this minute. */
  billedTypes: readonly string[];
  /** Instances billed this minute. */
  billedNodes: number;
}

export interface LoadReading {
  /** p95 of the group's utilisation over the resize window, as the resize function reads it. */
  p95Percent: number;
  /** The serving nodes it was measured on. */
  nodes: readonly ServingNode[];
}

export interface FleetCounts {
  /** Changes started (a rollout, or one scale-out or scale-in). */
  resizes: number;
  /** Nodes moved to another type, added or removed. */
  nodesTouched: number;
}

export interface Fleet {
  /** Minute t (0-based): apply what finishes at t, then report the minute. */
  minute(t: number): FleetMinute;
  /** A change is under way (no planning: the lease is held). */
  busy(): boolean;
  /** An alarm is in ALARM at the boundary before minute `at`. */
  decide(at: number, load: LoadReading): void;
  counts(): FleetCounts;
}
