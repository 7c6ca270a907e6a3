/**
 * The rungs a group can stand on: the types the planner's own step rule (`nextOnLadder`) walks
 * through from the group's start type, up and down, in capacity order — and the states a group
 * of N nodes passes through on them. The planner keeps a group within two neighbouring rungs
 * (k nodes on the upper one), so its states form a chain: state j = i·N + k has N−k nodes on rung
 * i and k on rung i+1, and every rollout step moves one node one rung, to j+1 or j−1.
 */
import { capacityOf } from '../instance-types';
import type { InstanceTypeInfo, ResizeMetric } from '../instance-types';
import { nextOnLadder } from '../ladder';

export interface Rungs {
  types: string[];
  capacities: number[];
}

export interface RungContext {
  ladder: readonly string[];
  typeInfo: Readonly<Record<string, InstanceTypeInfo>>;
  metric: ResizeMetric;
  maxStepRatio: number;
  zones: readonly string[];
}

export function ladderRungs(context: RungContext, start: string): Rungs | string {
  const walk = (direction: 'up' | 'down'): string[] => {
    const found: string[] = [];
    let from = start;
    for (;;) {
      const step = nextOnLadder(context, from, direction);
      if (step.kind !== 'step') return found;
      found.push(step.to);
      from = step.to;
    }
  };
  const types = [...walk('down').reverse(), start, ...walk('up')];
  for (let i = 1; i < types.length; i++) {
    const back = nextOnLadder(context, types[i] as string, 'down');
    if (back.kind !== 'step' || back.to !== types[i - 1]) {
      return `the ladder is not a simple chain around ${start}: a step down from ${types[i]} does not undo the step up from ${types[i - 1]}`;
    }
  }
  return {
    types,
    capacities: types.map((type) =>
      capacityOf(context.typeInfo[type] as InstanceTypeInfo, context.metric),
    ),
  };
}

export interface ChainState {
  /** The lower rung. */
  rung: number;
  /** Nodes on rung + 1. */
  upper: number;
}

export function chainSize(rungCount: number, nodes: number): number {
  return (rungCount - 1) * nodes + 1;
}

export function chainState(index: number, nodes: number, rungCount: number): ChainState {
  const rung = Math.min(Math.floor(index / nodes), rungCount - 1);
  return { rung, upper: index - rung * nodes };
}

export function chainIndex(state: ChainState, nodes: number): number {
  return state.rung * nodes + state.upper;
}

/** Σ over the state's nodes of `perRung` (a capacity or a price per rung). */
export function chainSum(index: number, nodes: number, perRung: readonly number[]): number {
  const { rung, upper } = chainState(index, nodes, perRung.length);
  return (nodes - upper) * (perRung[rung] as number) + upper * (perRung[rung + 1] ?? 0);
}

/** The rung of the node a step moves from state `index`, and the rung it moves to. */
export function chainMove(
  index: number,
  nodes: number,
  rungCount: number,
  direction: 'up' | 'down',
): { from: number; to: number } {
  const { rung, upper } = chainState(index, nodes, rungCount);
  if (direction === 'up') return { from: rung, to: rung + 1 };
  return upper > 0 ? { from: rung + 1, to: rung } : { from: rung, to: rung - 1 };
}
