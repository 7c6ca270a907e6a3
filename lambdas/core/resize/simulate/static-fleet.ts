/**
 * Static sizing: the group sized once for 120 % of the trace's peak and never changed — the
 * cheapest state of the ladder's chain (N nodes, two neighbouring rungs) with that capacity, or
 * every node on the top rung when none has it.
 */
import type { Fleet, FleetCounts, FleetMinute, ServingNode } from './fleet';
import { chainSize, chainState, chainSum } from './rungs';
import type { Rungs } from './rungs';

export const STATIC_PEAK_FACTOR = 1.2;

/** The chain state static sizing picks (capacities and prices both grow along the chain). */
export function staticState(rungs: Rungs, nodes: number, peak: number): number {
  const size = chainSize(rungs.types.length, nodes);
  for (let index = 0; index < size; index++) {
    if (chainSum(index, nodes, rungs.capacities) >= STATIC_PEAK_FACTOR * peak) return index;
  }
  return size - 1;
}

export class StaticFleet implements Fleet {
  private readonly report: FleetMinute;

  constructor(rungs: Rungs, nodes: number, index: number, microUsdPerHour: readonly number[]) {
    const { rung, upper } = chainState(index, nodes, rungs.types.length);
    const serving = Array.from({ length: nodes }, (_, i): ServingNode => {
      const at = i < nodes - upper ? rung : rung + 1;
      return {
        id: `node-${String(i + 1).padStart(2, '0')}`,
        type: rungs.types[at] as string,
        capacity: rungs.capacities[at] as number,
      };
    });
    this.report = {
      members: serving.map((node) => node.id),
      serving,
      billedMicroUsdPerHour: chainSum(index, nodes, microUsdPerHour),
      billedTypes: [...new Set(serving.map((node) => node.type))],
      billedNodes: serving.length,
    };
  }

  minute(): FleetMinute {
    return this.report;
  }

  busy(): boolean {
    return false;
  }

  decide(): void {
    // Sized once for the peak: nothing to decide.
  }

  counts(): FleetCounts {
    return { resizes: 0, nodesTouched: 0 };
  }
}
