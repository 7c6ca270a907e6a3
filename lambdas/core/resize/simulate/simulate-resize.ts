/**
 * The resize simulator: one trace through four policies on the same clock, alarms and prices —
 * the group's ladder policy (the Lambda's planner), horizontal doubling and halving, static sizing
 * for 120 % of the peak, and the oracle that knows the trace (the better of the ladder's world and
 * the horizontal one). Pure: the trace comes in parsed (or as the synthetic trace's seed), figures
 * and series go out.
 */
import { MEMBER_ALARM_WINDOWS } from '../member-alarms';
import { HorizontalFleet } from './horizontal-fleet';
import { PERIOD_MINUTES } from './member-alarm-model';
import { minutesOverBeyond, reactionMinutes } from './over-capacity';
import { LOAD_WINDOW_MINUTES, runPolicyClock } from './policy-clock';
import type { PolicyRun } from './policy-clock';
import { clockInput, runLadder, runOracle, usd } from './policy-runs';
import { chainState } from './rungs';
import { prepareSimulation } from './simulation-setup';
import type { SimulationInput, SimulationSetup, TraceSource } from './simulation-setup';
import { StaticFleet, STATIC_PEAK_FACTOR, staticState } from './static-fleet';
import { tunePolicy } from './tune-policy';
import type { TuningCandidate } from './tune-policy';

export type PolicyName = 'ladder' | 'horizontal' | 'static' | 'oracle';

export interface PolicyFigures {
  policy: PolicyName;
  label: string;
  /** How it was sized or what it may do. */
  detail: string;
  costUsd: number;
  /** Cost ÷ the oracle's cost. */
  ratioToOracle: number;
  minutesOverCapacity: number;
  /** Over-capacity minutes beyond the reaction time of each episode. */
  minutesOverBeyondReaction: number;
  resizes: number;
  nodesTouched: number;
  typesUsed: string[];
  maxNodes: number;
}

export interface SimulationReport {
  group: string;
  metric: 'cpu' | 'memory';
  unit: 'vCPU' | 'MiB';
  region: string;
  trace: TraceSource & {
    start: string;
    end: string;
    minutes: number;
    peak: number;
    mean: number;
  };
  setup: {
    nodes: number;
    startType: string;
    rungs: string[];
    horizontalMaxNodes: number;
    staticPeakFactor: number;
    headroom: number;
    scaleUpAt: number;
    scaleDownAt: number;
    cooldownSeconds: number;
    alarms: typeof MEMBER_ALARM_WINDOWS;
    replanMinutes: number;
    loadWindowMinutes: number;
    rollout: SimulationInput['timing'];
    reactionMinutes: number;
  };
  prices: {
    region: string;
    pricedAs: string;
    listPricesAsOf: string;
    source: string;
    note: string | null;
  };
  policies: PolicyFigures[];
  /** With `tune`: the current thresholds first, then cheaper ones that risk no more. */
  tuning: TuningCandidate[] | null;
}

export interface SimulationSeries {
  startMs: number;
  demand: Float64Array;
  capacity: Record<PolicyName, Float64Array>;
}

export type SimulationResult =
  { ok: true; report: SimulationReport; series: SimulationSeries } | { ok: false; error: string };

interface Outcome {
  run: Pick<
    PolicyRun,
    | 'capacity'
    | 'costMicroUsdMinutes'
    | 'minutesOverCapacity'
    | 'resizes'
    | 'nodesTouched'
    | 'typesUsed'
    | 'maxNodes'
  >;
  detail: string;
}

export function simulateResize(
  input: SimulationInput,
  options: { tune?: boolean } = {},
): SimulationResult {
  const prepared = prepareSimulation(input);
  if (!prepared.ok) return prepared;
  const setup = prepared.setup;
  const { rungs, startRung, demand, startMs } = setup;
  const start = rungs.types[startRung] as string;

  const ladder = runLadder(setup, setup.policy);
  const horizontal = runPolicyClock(
    clockInput(setup, setup.policy),
    new HorizontalFleet({
      group: setup.policy,
      type: start,
      capacity: rungs.capacities[startRung] as number,
      microUsdPerHour: setup.rungPrices[startRung] as number,
      nodes: input.nodes,
      maxNodes: setup.horizontalMaxNodes,
      startMs,
      timing: input.timing,
    }),
  );
  const peak = demand.reduce((most, value) => Math.max(most, value), 0);
  const staticIndex = staticState(rungs, input.nodes, peak);
  const fixed = runPolicyClock(
    clockInput(setup, setup.policy),
    new StaticFleet(rungs, input.nodes, staticIndex, setup.rungPrices),
  );
  const oracle = runOracle(setup);

  const outcomes: Record<PolicyName, Outcome> = {
    ladder: { run: ladder, detail: `starts at ${input.nodes} × ${start}; the Lambda's planResize` },
    horizontal: {
      run: horizontal,
      detail: `${start}, 1–${setup.horizontalMaxNodes} nodes, starts at ${input.nodes}`,
    },
    static: { run: fixed, detail: describeState(setup, staticIndex) },
    oracle: {
      run: { ...oracle, typesUsed: oracle.rungsUsed.map((rung) => rungs.types[rung] as string) },
      detail:
        oracle.world === 'vertical'
          ? `${input.nodes} nodes moved along the ladder, knowing the trace`
          : `${start} nodes added and removed, knowing the trace`,
    },
  };
  const allowance = reactionMinutes(input.timing);
  const oracleCost = oracle.costMicroUsdMinutes;
  const labels: Record<PolicyName, string> = {
    ladder: 'ladder (drpilot)',
    horizontal: 'horizontal ×2/÷2',
    static: `static ${Math.round(STATIC_PEAK_FACTOR * 100)}% of peak`,
    oracle: `oracle (${oracle.world})`,
  };
  const policies = (Object.keys(outcomes) as PolicyName[]).map((policy) => {
    const { run, detail } = outcomes[policy];
    return {
      policy,
      label: labels[policy],
      detail,
      costUsd: usd(run.costMicroUsdMinutes),
      ratioToOracle: oracleCost > 0 ? run.costMicroUsdMinutes / oracleCost : 1,
      minutesOverCapacity: run.minutesOverCapacity,
      minutesOverBeyondReaction: minutesOverBeyond(demand, run.capacity, allowance),
      resizes: run.resizes,
      nodesTouched: run.nodesTouched,
      typesUsed: run.typesUsed,
      maxNodes: run.maxNodes,
    };
  });
  const group = input.group;
  return {
    ok: true,
    report: {
      group: group.id,
      metric: group.metric,
      unit: setup.unit,
      region: input.region,
      trace: {
        ...setup.source,
        start: new Date(startMs).toISOString(),
        end: new Date(startMs + demand.length * 60_000).toISOString(),
        minutes: demand.length,
        peak,
        mean: demand.reduce((sum, value) => sum + value, 0) / Math.max(1, demand.length),
      },
      setup: {
        nodes: input.nodes,
        startType: start,
        rungs: rungs.types,
        horizontalMaxNodes: setup.horizontalMaxNodes,
        staticPeakFactor: STATIC_PEAK_FACTOR,
        headroom: group.headroom,
        scaleUpAt: group.scaleUpAt,
        scaleDownAt: group.scaleDownAt,
        cooldownSeconds: group.cooldownSeconds,
        alarms: MEMBER_ALARM_WINDOWS,
        replanMinutes: PERIOD_MINUTES,
        loadWindowMinutes: LOAD_WINDOW_MINUTES,
        rollout: input.timing,
        reactionMinutes: allowance,
      },
      prices: {
        region: setup.book.region,
        pricedAs: setup.book.pricedAs,
        listPricesAsOf: setup.book.date,
        source: setup.book.source,
        note: setup.book.note,
      },
      policies,
      tuning: options.tune ? tunePolicy(setup, oracleCost) : null,
    },
    series: {
      startMs,
      demand,
      capacity: {
        ladder: ladder.capacity,
        horizontal: horizontal.capacity,
        static: fixed.capacity,
        oracle: oracle.capacity,
      },
    },
  };
}

function describeState(setup: SimulationSetup, index: number): string {
  const { nodes } = setup.input;
  const { rung, upper } = chainState(index, nodes, setup.rungs.types.length);
  const parts = [`${nodes - upper} × ${setup.rungs.types[rung]}`];
  if (upper > 0) parts.push(`${upper} × ${setup.rungs.types[rung + 1]}`);
  return parts.join(' + ');
}
