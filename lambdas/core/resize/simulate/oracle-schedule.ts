/** The oracle's best schedule in one world, as the policies' runs are reported. */
export interface OracleSchedule {
  world: 'vertical' | 'horizontal';
  capacity: Float64Array;
  costMicroUsdMinutes: number;
  minutesOverCapacity: number;
  resizes: number;
  nodesTouched: number;
  /** Indices into the rungs. */
  rungsUsed: number[];
  maxNodes: number;
}

/** Lexicographic: fewer minutes over capacity first, then the lower bill. */
export function better(over: number, cost: number, thanOver: number, thanCost: number): boolean {
  return over < thanOver || (over === thanOver && cost < thanCost);
}
