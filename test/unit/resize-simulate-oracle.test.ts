import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { horizontalOracle } from '../../lambdas/core/resize/simulate/oracle-horizontal';
import { verticalOracle } from '../../lambdas/core/resize/simulate/oracle-vertical';
import { chainMove, chainSize, chainSum } from '../../lambdas/core/resize/simulate/rungs';

/** Demand: `minutes` minutes at `value`, for each [minutes, value]. */
const demand = (...runs: [number, number][]) =>
  new Float64Array(runs.flatMap(([minutes, value]) => Array<number>(minutes).fill(value)));
const TIMING = { moveMinutes: 2, launchMinutes: 2, drainMinutes: 1 };
/** Two rungs (2 and 4 units per node, 100 and 200 micro-dollars an hour), two nodes. */
const world = (load: Float64Array) => ({
  demand: load,
  capacities: [2, 4],
  microUsdPerHour: [100, 200],
  nodes: 2,
  timing: TIMING,
});

describe('the oracle in the ladder’s world', () => {
  it.each([
    [
      'a flat load the smallest state carries',
      demand([10, 3]),
      { cost: 10 * 200, over: 0, moves: 0, resizes: 0 },
    ],
    [
      // Moving would leave 2 units for 3 of load while the node is out: it starts big instead.
      'a rise it cannot move in time for without going over',
      demand([5, 3], [5, 5]),
      { cost: 10 * 300, over: 0, moves: 0, resizes: 0 },
    ],
    [
      // Quiet enough to move on one node: as late as possible (the moving node is billed at its
      // larger type, so moving costs more than staying).
      'a rise it moves for just in time',
      demand([20, 1], [5, 5]),
      { cost: 18 * 200 + 2 * 300 + 5 * 300, over: 0, moves: 1, resizes: 1 },
    ],
    [
      'a load above every state: as few minutes over as possible, then the cheapest',
      demand([6, 100]),
      { cost: 6 * 200, over: 6, moves: 0, resizes: 0 },
    ],
  ])('%s', (_, load, expected) => {
    const schedule = verticalOracle(world(load));
    expect({
      cost: schedule.costMicroUsdMinutes,
      over: schedule.minutesOverCapacity,
      moves: schedule.nodesTouched,
      resizes: schedule.resizes,
    }).toEqual(expected);
  });

  it('reports the capacity it serves, including the dip while a node moves', () => {
    const schedule = verticalOracle(world(demand([20, 1], [5, 5])));
    expect([...schedule.capacity.subarray(16, 22)]).toEqual([4, 4, 2, 2, 6, 6]);
  });

  it('counts back-to-back moves in one direction as one rollout', () => {
    const schedule = verticalOracle(world(demand([20, 1], [5, 7.5])));
    expect(schedule.costMicroUsdMinutes).toBe(16 * 200 + 2 * 300 + 2 * 400 + 5 * 400);
    expect(schedule.nodesTouched).toBe(2);
    expect(schedule.resizes).toBe(1);
    expect(schedule.capacity[24]).toBe(8);
  });
});

describe('the oracle in the horizontal world', () => {
  const horizontal = (load: Float64Array) =>
    horizontalOracle({
      demand: load,
      capacity: 2,
      microUsdPerHour: 100,
      maxNodes: 4,
      rung: 0,
      timing: TIMING,
    });

  it.each([
    [
      'adds a node when needed, paying its launch',
      demand([10, 1], [5, 3]),
      { cost: 1000 + 200 + 1000, over: 0, resizes: 1, touched: 1 },
    ],
    [
      'removes a node when not, paying its drain',
      demand([5, 3], [10, 1]),
      { cost: 1000 + 100 + 1000, over: 0, resizes: 1, touched: 1 },
    ],
    [
      'keeps what it has through a short dip',
      demand([5, 3], [1, 1], [5, 3]),
      { cost: 11 * 200, over: 0, resizes: 0, touched: 0 },
    ],
  ])('%s', (_, load, expected) => {
    const schedule = horizontal(load);
    expect({
      cost: schedule.costMicroUsdMinutes,
      over: schedule.minutesOverCapacity,
      resizes: schedule.resizes,
      touched: schedule.nodesTouched,
    }).toEqual(expected);
  });
});

/** Lexicographic minimum of (minutes over, cost). */
function keepBest(best: { over: number; cost: number }, over: number, cost: number): void {
  if (over < best.over || (over === best.over && cost < best.cost)) {
    best.over = over;
    best.cost = cost;
  }
}

/** Every schedule of the ladder's world, tried one by one. */
function bruteForceVertical(w: {
  demand: Float64Array;
  capacities: number[];
  microUsdPerHour: number[];
  nodes: number;
  moveMinutes: number;
}) {
  const { demand, capacities, microUsdPerHour: prices, nodes, moveMinutes } = w;
  const minutes = demand.length;
  const size = chainSize(capacities.length, nodes);
  const best = { over: Infinity, cost: Infinity };
  const walk = (t: number, j: number, over: number, cost: number): void => {
    if (t === minutes) return keepBest(best, over, cost);
    const capacity = chainSum(j, nodes, capacities);
    const rate = chainSum(j, nodes, prices);
    walk(t + 1, j, over + ((demand[t] as number) > capacity ? 1 : 0), cost + rate);
    for (const [direction, target] of [
      ['up', j + 1],
      ['down', j - 1],
    ] as const) {
      if (target < 0 || target >= size) continue;
      const { from, to } = chainMove(j, nodes, capacities.length, direction);
      let o = over;
      let c = cost;
      let m = 0;
      for (; m < moveMinutes && t + m < minutes; m++) {
        if ((demand[t + m] as number) > capacity - (capacities[from] as number)) o++;
        c +=
          rate - (prices[from] as number) + Math.max(prices[from] as number, prices[to] as number);
      }
      if (t + moveMinutes <= minutes) walk(t + moveMinutes, target, o, c);
      else keepBest(best, o, c);
    }
  };
  for (let j = 0; j < size; j++) walk(0, j, 0, 0);
  return best;
}

/** Every sequence of node counts of the horizontal world. */
function bruteForceHorizontal(w: {
  demand: Float64Array;
  capacity: number;
  price: number;
  maxNodes: number;
  launchMinutes: number;
  drainMinutes: number;
}) {
  const { demand, capacity, price, maxNodes, launchMinutes, drainMinutes } = w;
  const minutes = demand.length;
  const best = { over: Infinity, cost: Infinity };
  const walk = (t: number, previous: number, over: number, cost: number): void => {
    if (t === minutes) return keepBest(best, over, cost);
    for (let n = 1; n <= maxNodes; n++) {
      let c = cost + n * price;
      if (t > 0 && n > previous) c += (n - previous) * launchMinutes * price;
      if (t > 0 && n < previous) c += (previous - n) * Math.min(drainMinutes, minutes - t) * price;
      walk(t + 1, n, over + ((demand[t] as number) > n * capacity ? 1 : 0), c);
    }
  };
  walk(0, 0, 0, 0);
  return best;
}

describe('the oracle is the optimum (dynamic programming against brute force on small worlds)', () => {
  const loads = (max: number) =>
    fc
      .array(fc.integer({ min: 0, max }), { minLength: 1, maxLength: 8 })
      .map((values) => new Float64Array(values));

  it('in the ladder’s world', () => {
    fc.assert(
      fc.property(
        loads(12),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 2, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        (load, nodes, rungs, moveMinutes) => {
          const capacities = [2, 4, 8].slice(0, rungs);
          const microUsdPerHour = [100, 200, 400].slice(0, rungs);
          const schedule = verticalOracle({
            demand: load,
            capacities,
            microUsdPerHour,
            nodes,
            timing: { moveMinutes, launchMinutes: 1, drainMinutes: 0 },
          });
          expect({
            over: schedule.minutesOverCapacity,
            cost: schedule.costMicroUsdMinutes,
          }).toEqual(
            bruteForceVertical({ demand: load, capacities, microUsdPerHour, nodes, moveMinutes }),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('in the horizontal world', () => {
    fc.assert(
      fc.property(
        loads(7),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        (load, maxNodes, launchMinutes, drainMinutes) => {
          const schedule = horizontalOracle({
            demand: load,
            capacity: 2,
            microUsdPerHour: 100,
            maxNodes,
            rung: 0,
            timing: { moveMinutes: 1, launchMinutes, drainMinutes },
          });
          expect({
            over: schedule.minutesOverCapacity,
            cost: schedule.costMicroUsdMinutes,
          }).toEqual(
            bruteForceHorizontal({
              demand: load,
              capacity: 2,
              price: 100,
              maxNodes,
              launchMinutes,
              drainMinutes,
            }),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
