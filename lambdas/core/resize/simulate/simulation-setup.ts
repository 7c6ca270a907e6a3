/**
 * Everything the four policies share, checked once: the group's effective ladder (a one-type
 * ladder derived from the catalogue, as the Lambda derives it from DescribeInstanceTypes), the
 * chain of rungs the planner's step rule walks, the start (the smallest rung whose utilisation at
 * the first hour's p95 stays below scaleUpAt, so that a flat trace starts where the planner would
 * leave it), the prices, and the horizontal policy's range (up to the ladder's top capacity).
 */
import type { NodeGroupConfig } from '../../config/schema';
import { effectiveLadder } from '../derived-ladder';
import { capacityUnit } from '../instance-types';
import type { InstanceTypeInfo } from '../instance-types';
import { p95 } from '../p95';
import type { ResizePolicy } from '../plan-resize';
import { catalogueFamilies, catalogueTypeInfo } from './instance-catalogue';
import { MAX_HORIZONTAL_CELLS } from './oracle-horizontal';
import { MAX_VERTICAL_CELLS } from './oracle-vertical';
import { priceBook } from './price-book';
import type { PriceBook } from './price-book';
import type { PriceTable } from './price-table';
import type { RolloutTiming } from './rollout-timing';
import { chainSize, ladderRungs } from './rungs';
import { minuteDemand } from './parse-trace';
import { syntheticTrace } from './synthetic-trace';
import type { TracePoint } from './trace-point';
import type { Rungs } from './rungs';

/** The trace to replay: the seeded synthetic month, or a file's points (already parsed). */
export type TraceInput =
  | { kind: 'synthetic'; seed: number; days: number }
  | { kind: 'file'; file: string; points: readonly TracePoint[] };

export type TraceSource =
  | { kind: 'synthetic'; seed: number; days: number }
  | { kind: 'file'; file: string; points: number };

export interface SimulationInput {
  group: NodeGroupConfig;
  region: string;
  trace: TraceInput;
  nodes: number;
  startType: string | null;
  timing: RolloutTiming;
  prices: PriceTable | null;
}

export interface SimulationSetup {
  input: SimulationInput;
  /** Demand per minute, from `startMs`. */
  demand: Float64Array;
  startMs: number;
  source: TraceSource;
  /** The group as the planner gets it: the effective ladder. */
  policy: ResizePolicy;
  unit: 'vCPU' | 'MiB';
  zone: string;
  typeInfo: Readonly<Record<string, InstanceTypeInfo>>;
  rungs: Rungs;
  startRung: number;
  horizontalMaxNodes: number;
  book: PriceBook;
  /** Per rung, micro-dollars per hour. */
  rungPrices: number[];
}

export const MAX_NODES = 50;
const LIMITS: Record<keyof RolloutTiming, { min: number; max: number }> = {
  moveMinutes: { min: 1, max: 60 },
  launchMinutes: { min: 1, max: 60 },
  drainMinutes: { min: 0, max: 60 },
};

export function prepareSimulation(
  input: SimulationInput,
): { ok: true; setup: SimulationSetup } | { ok: false; error: string } {
  const fail = (error: string) => ({ ok: false as const, error });
  const { group, nodes, timing } = input;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    return fail(`nodes must be a whole number from 1 to ${MAX_NODES}, got ${nodes}`);
  }
  for (const [key, range] of Object.entries(LIMITS) as [
    keyof RolloutTiming,
    { min: number; max: number },
  ][]) {
    const value = timing[key];
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      return fail(
        `${key} must be a whole number of minutes from ${range.min} to ${range.max}, got ${value}`,
      );
    }
  }
  const zone = `${input.region}a`;
  const typeInfo = catalogueTypeInfo([zone]);
  const { ladder } = effectiveLadder(group, typeInfo, [zone]);
  const unknown = ladder.filter((type) => !typeInfo[type]);
  if (unknown.length > 0) {
    return fail(
      `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the simulator's instance catalogue (families ${catalogueFamilies().join(', ')})`,
    );
  }
  if (input.startType !== null && !ladder.includes(input.startType)) {
    return fail(
      `start type ${input.startType} is not on the ladder of ${group.id} (${ladder.join(', ')})`,
    );
  }
  const policy: ResizePolicy = { ...group, ladder };
  const context = {
    ladder,
    typeInfo,
    metric: group.metric,
    maxStepRatio: group.maxStepRatio,
    zones: [zone],
  };
  const rungs = ladderRungs(context, input.startType ?? (ladder[0] as string));
  if (typeof rungs === 'string') return fail(rungs);

  const top = rungs.capacities[rungs.capacities.length - 1] as number;
  const points =
    input.trace.kind === 'file'
      ? input.trace.points
      : syntheticTrace({ seed: input.trace.seed, days: input.trace.days, scale: nodes * top });
  const demand = minuteDemand(points);
  if (demand.length === 0) return fail('the trace has no points');
  const source: TraceSource =
    input.trace.kind === 'file'
      ? { kind: 'file', file: input.trace.file, points: input.trace.points.length }
      : input.trace;
  const firstHour = p95([...demand.subarray(0, 60)]) ?? 0;
  const startRung =
    input.startType !== null
      ? rungs.types.indexOf(input.startType)
      : firstRungBelow(rungs, nodes, firstHour, group.scaleUpAt);
  const cells = chainSize(rungs.types.length, nodes) * (demand.length + 1);
  if (cells > MAX_VERTICAL_CELLS) {
    return fail(
      `the oracle would keep ${cells} decisions (${nodes} nodes × ${rungs.types.length} rungs × ${demand.length} minutes); at most ${MAX_VERTICAL_CELLS}: use fewer nodes or a shorter trace`,
    );
  }
  const horizontalMaxNodes = Math.max(
    nodes,
    Math.ceil((nodes * top) / (rungs.capacities[startRung] as number)),
  );
  const horizontalCells = (horizontalMaxNodes + 1) * demand.length;
  if (horizontalCells > MAX_HORIZONTAL_CELLS) {
    return fail(
      `the oracle would keep ${horizontalCells} decisions for the horizontal policy (up to ${horizontalMaxNodes} nodes of ${rungs.types[startRung]} × ${demand.length} minutes); at most ${MAX_HORIZONTAL_CELLS}: start on a larger type or use a shorter trace`,
    );
  }
  const priced = priceBook(input.region, rungs.types, input.prices);
  if (!priced.ok) return fail(priced.error);
  return {
    ok: true,
    setup: {
      input,
      demand,
      startMs: (points[0] as TracePoint).timestampMs,
      source,
      policy,
      unit: capacityUnit(group.metric),
      zone,
      typeInfo,
      rungs,
      startRung,
      horizontalMaxNodes,
      book: priced.book,
      rungPrices: rungs.types.map((type) => priced.book.microUsdPerHour[type] as number),
    },
  };
}

function firstRungBelow(rungs: Rungs, nodes: number, load: number, scaleUpAt: number): number {
  const index = rungs.capacities.findIndex(
    (capacity) => (100 * load) / (nodes * capacity) < scaleUpAt,
  );
  return index < 0 ? rungs.capacities.length - 1 : index;
}
