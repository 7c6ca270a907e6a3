/**
 * The oracle in the horizontal policy's world: 1 to `maxNodes` nodes of one type. Knowing the
 * trace, it adds nodes so that they are Ready exactly when needed (paying their launch minutes, as
 * the policy does) and removes them the minute they are not (paying their drain), any number at
 * once — by dynamic programming over (minute, node count). Every schedule the horizontal policy
 * can follow is one of its candidates, so that policy cannot beat it.
 */
import { better } from './oracle-schedule';
import type { OracleSchedule } from './oracle-schedule';
import type { RolloutTiming } from './rollout-timing';

export interface HorizontalWorld {
  demand: Float64Array;
  capacity: number;
  microUsdPerHour: number;
  maxNodes: number;
  rung: number;
  timing: RolloutTiming;
}

/** The node counts × minutes the oracle may keep decisions for (two bytes each). */
export const MAX_HORIZONTAL_CELLS = 32_000_000;

export function horizontalOracle(world: HorizontalWorld): OracleSchedule {
  const { demand, capacity: perNode, microUsdPerHour: price, maxNodes, timing } = world;
  const minutes = demand.length;
  const width = maxNodes + 1;
  const addCost = timing.launchMinutes * price;
  let over = new Float64Array(width).fill(Infinity);
  let cost = new Float64Array(width).fill(Infinity);
  for (let n = 1; n <= maxNodes; n++) {
    over[n] = 0;
    cost[n] = 0;
  }
  /** For each minute and count served in it, the count settled before that minute's change. */
  const before = new Uint16Array(minutes * width);

  for (let t = 0; t < minutes; t++) {
    const removeCost = Math.min(timing.drainMinutes, minutes - t) * price;
    const source = new Uint16Array(width);
    for (let n = 1; n <= maxNodes; n++) source[n] = n;
    for (let n = 2; n <= maxNodes; n++) {
      const o = over[n - 1] as number;
      const c = (cost[n - 1] as number) + addCost;
      if (better(o, c, over[n] as number, cost[n] as number)) {
        over[n] = o;
        cost[n] = c;
        source[n] = source[n - 1] as number;
      }
    }
    for (let n = maxNodes - 1; n >= 1; n--) {
      const o = over[n + 1] as number;
      const c = (cost[n + 1] as number) + removeCost;
      if (better(o, c, over[n] as number, cost[n] as number)) {
        over[n] = o;
        cost[n] = c;
        source[n] = source[n + 1] as number;
      }
    }
    const nextOver = new Float64Array(width).fill(Infinity);
    const nextCost = new Float64Array(width).fill(Infinity);
    const load = demand[t] as number;
    for (let n = 1; n <= maxNodes; n++) {
      nextOver[n] = (over[n] as number) + (load > n * perNode ? 1 : 0);
      nextCost[n] = (cost[n] as number) + n * price;
      before[t * width + n] = source[n] as number;
    }
    over = nextOver;
    cost = nextCost;
  }

  let end = 1;
  for (let n = 2; n <= maxNodes; n++) {
    if (better(over[n] as number, cost[n] as number, over[end] as number, cost[end] as number))
      end = n;
  }
  const served = new Uint16Array(minutes);
  for (let t = minutes - 1, n = end; t >= 0; t--) {
    served[t] = n;
    n = before[t * width + n] as number;
  }
  return replay(world, served, before);
}

function replay(world: HorizontalWorld, served: Uint16Array, before: Uint16Array): OracleSchedule {
  const { demand, capacity: perNode, microUsdPerHour: price, maxNodes, timing } = world;
  const minutes = demand.length;
  const width = maxNodes + 1;
  const capacity = new Float64Array(minutes);
  let bill = 0;
  let over = 0;
  let resizes = 0;
  let touched = 0;
  let most = 0;
  for (let t = 0; t < minutes; t++) {
    const n = served[t] as number;
    const settled = before[t * width + n] as number;
    if (settled !== n) {
      resizes++;
      touched += Math.abs(n - settled);
      bill +=
        n > settled
          ? (n - settled) * timing.launchMinutes * price
          : (settled - n) * Math.min(timing.drainMinutes, minutes - t) * price;
    }
    capacity[t] = n * perNode;
    if ((demand[t] as number) > n * perNode) over++;
    bill += n * price;
    most = Math.max(most, n);
  }
  return {
    world: 'horizontal',
    capacity,
    costMicroUsdMinutes: bill,
    minutesOverCapacity: over,
    resizes,
    nodesTouched: touched,
    rungsUsed: [world.rung],
    maxNodes: most,
  };
}
