/**
 * The oracle in the ladder's world: N nodes on the chain of rungs (`rungs.ts`), moving one node
 * one rung at a time, each move taking the same drain, stop and boot as a rollout step, billed the
 * same way. Knowing the whole trace, it finds — by dynamic programming over (minute, chain state)
 * — the schedule with the fewest minutes over capacity and, among those, the lowest bill. It may
 * start in any state (it pays only for what it needs from the first minute) and may leave a move
 * unfinished at the end, as a policy may. Every schedule the ladder and static policies can follow
 * is one of its candidates, so neither can beat it.
 */
import { better } from './oracle-schedule';
import type { OracleSchedule } from './oracle-schedule';
import type { RolloutTiming } from './rollout-timing';
import { chainMove, chainSize, chainState, chainSum } from './rungs';

export interface VerticalWorld {
  demand: Float64Array;
  capacities: readonly number[];
  microUsdPerHour: readonly number[];
  nodes: number;
  timing: RolloutTiming;
}

const STAY = 1;
const UP = 2;
const DOWN = 3;
const STEPS = [
  { direction: 'up', delta: 1, code: UP },
  { direction: 'down', delta: -1, code: DOWN },
] as const;

/** The states × minutes the oracle may keep decisions for (one byte each). */
export const MAX_VERTICAL_CELLS = 64_000_000;

interface Move {
  over: number;
  cost: number;
}

export function verticalOracle(world: VerticalWorld): OracleSchedule {
  const { demand, nodes, capacities, microUsdPerHour: prices, timing } = world;
  const minutes = demand.length;
  const rungCount = capacities.length;
  const size = chainSize(rungCount, nodes);
  const span = timing.moveMinutes;
  const cap = Array.from({ length: size }, (_, j) => chainSum(j, nodes, capacities));
  const rate = Array.from({ length: size }, (_, j) => chainSum(j, nodes, prices));
  const slots = span + 1;
  const over = Array.from({ length: slots }, () => new Float64Array(size).fill(Infinity));
  const cost = Array.from({ length: slots }, () => new Float64Array(size).fill(Infinity));
  const decision = new Uint8Array((minutes + 1) * size);
  over[0]?.fill(0);
  cost[0]?.fill(0);
  let unfinished: { over: number; cost: number; start: number; from: number; to: number } | null =
    null;

  /** A move from state j started at minute t, over [t, min(t + span, minutes)). */
  const move = (t: number, j: number, direction: 'up' | 'down'): Move => {
    const { from, to } = chainMove(j, nodes, rungCount, direction);
    const serving = (cap[j] as number) - (capacities[from] as number);
    const perMinute = moveRate(rate[j] as number, prices[from] as number, prices[to] as number);
    let overMinutes = 0;
    let length = 0;
    for (; length < span && t + length < minutes; length++) {
      if ((demand[t + length] as number) > serving) overMinutes++;
    }
    return { over: overMinutes, cost: length * perMinute };
  };

  const relax = (t: number, j: number, o: number, c: number, code: number): void => {
    const slot = t % slots;
    const bestOver = (over[slot] as Float64Array)[j] as number;
    const bestCost = (cost[slot] as Float64Array)[j] as number;
    if (better(o, c, bestOver, bestCost) || (o === bestOver && c === bestCost && code === STAY)) {
      (over[slot] as Float64Array)[j] = o;
      (cost[slot] as Float64Array)[j] = c;
      decision[t * size + j] = code;
    }
  };

  for (let t = 0; t < minutes; t++) {
    if (t + span <= minutes) {
      (over[(t + span) % slots] as Float64Array).fill(Infinity);
      (cost[(t + span) % slots] as Float64Array).fill(Infinity);
    }
    const o = over[t % slots] as Float64Array;
    const c = cost[t % slots] as Float64Array;
    const load = demand[t] as number;
    for (let j = 0; j < size; j++) {
      const here = o[j] as number;
      if (here === Infinity) continue;
      const spent = c[j] as number;
      relax(
        t + 1,
        j,
        here + (load > (cap[j] as number) ? 1 : 0),
        spent + (rate[j] as number),
        STAY,
      );
      for (const step of STEPS) {
        const target = j + step.delta;
        if (target < 0 || target >= size) continue;
        const moved = move(t, j, step.direction);
        const o2 = here + moved.over;
        const c2 = spent + moved.cost;
        if (t + span <= minutes) relax(t + span, target, o2, c2, step.code);
        else if (!unfinished || better(o2, c2, unfinished.over, unfinished.cost))
          unfinished = { over: o2, cost: c2, start: t, from: j, to: target };
      }
    }
  }

  const last = minutes % slots;
  let end = 0;
  for (let j = 1; j < size; j++) {
    if (
      better(
        (over[last] as Float64Array)[j] as number,
        (cost[last] as Float64Array)[j] as number,
        (over[last] as Float64Array)[end] as number,
        (cost[last] as Float64Array)[end] as number,
      )
    )
      end = j;
  }
  const finished = {
    over: (over[last] as Float64Array)[end] as number,
    cost: (cost[last] as Float64Array)[end] as number,
  };
  const tail =
    unfinished && better(unfinished.over, unfinished.cost, finished.over, finished.cost)
      ? unfinished
      : null;

  // Walk the decisions back to the start: the moves, in order.
  const moves: { start: number; from: number; to: number }[] = tail ? [tail] : [];
  let t = tail ? tail.start : minutes;
  let j = tail ? tail.from : end;
  while (t > 0) {
    const code = decision[t * size + j];
    if (code === STAY) {
      t--;
    } else {
      const from = code === UP ? j - 1 : j + 1;
      t -= span;
      moves.unshift({ start: t, from, to: j });
      j = from;
    }
  }
  return replay(world, j, moves, cap, rate);
}

/** The schedule from its start state and moves, minute by minute, as the figures are reported. */
function replay(
  world: VerticalWorld,
  start: number,
  moves: readonly { start: number; from: number; to: number }[],
  cap: readonly number[],
  rate: readonly number[],
): OracleSchedule {
  const { demand, nodes, capacities, microUsdPerHour: prices, timing } = world;
  const minutes = demand.length;
  const span = timing.moveMinutes;
  const capacity = new Float64Array(minutes);
  let state = start;
  let next = 0;
  let bill = 0;
  let over = 0;
  const rungsUsed = new Set<number>();
  const markState = (j: number) => {
    const { rung, upper } = chainState(j, nodes, capacities.length);
    rungsUsed.add(rung);
    if (upper > 0) rungsUsed.add(rung + 1);
  };
  markState(state);
  let resizes = 0;
  let lastEnd = -1;
  let lastDirection = 0;
  for (let t = 0; t < minutes;) {
    const move = moves[next];
    if (move && move.start === t) {
      const direction = move.to > move.from ? 1 : -1;
      if (!(lastEnd === t && lastDirection === direction)) resizes++;
      const { from, to } = chainMove(
        state,
        nodes,
        capacities.length,
        direction > 0 ? 'up' : 'down',
      );
      for (let m = 0; m < span && t < minutes; m++, t++) {
        const serving = (cap[state] as number) - (capacities[from] as number);
        capacity[t] = serving;
        if ((demand[t] as number) > serving) over++;
        bill += moveRate(rate[state] as number, prices[from] as number, prices[to] as number);
      }
      state = move.to;
      markState(state);
      lastEnd = t;
      lastDirection = direction;
      next++;
      continue;
    }
    capacity[t] = cap[state] as number;
    if ((demand[t] as number) > (cap[state] as number)) over++;
    bill += rate[state] as number;
    t++;
  }
  return {
    world: 'vertical',
    capacity,
    costMicroUsdMinutes: bill,
    minutesOverCapacity: over,
    resizes,
    nodesTouched: moves.length,
    rungsUsed: [...rungsUsed].sort((a, b) => a - b),
    maxNodes: nodes,
  };
}

/** A state's bill per minute while one of its nodes moves: that node at the larger of its types. */
function moveRate(stateRate: number, from: number, to: number): number {
  return stateRate - from + Math.max(from, to);
}
