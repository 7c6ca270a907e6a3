/**
 * One policy's run on a prepared simulation: the ladder policy (with the group's thresholds or a
 * tuning candidate's) and the oracle (the better of its two worlds), shared by the simulation and
 * the tuning grid.
 */
import type { ResizePolicy } from '../plan-resize';
import { LadderFleet } from './ladder-fleet';
import { better } from './oracle-schedule';
import type { OracleSchedule } from './oracle-schedule';
import { horizontalOracle } from './oracle-horizontal';
import { verticalOracle } from './oracle-vertical';
import { runPolicyClock } from './policy-clock';
import type { ClockInput, PolicyRun } from './policy-clock';
import type { SimulationSetup } from './simulation-setup';

/** The ladder policy with `policy` (the group's, or a tuning candidate). */
export function runLadder(setup: SimulationSetup, policy: ResizePolicy): PolicyRun {
  const { input, rungs, startRung } = setup;
  return runPolicyClock(
    clockInput(setup, policy),
    new LadderFleet({
      group: policy,
      typeInfo: setup.typeInfo,
      microUsdPerHour: setup.book.microUsdPerHour,
      zone: setup.zone,
      startType: rungs.types[startRung] as string,
      nodes: input.nodes,
      startMs: setup.startMs,
      timing: input.timing,
    }),
  );
}

/** The oracle: the better of the ladder's world and the horizontal one. */
export function runOracle(setup: SimulationSetup): OracleSchedule {
  const { input, rungs, startRung } = setup;
  const vertical = verticalOracle({
    demand: setup.demand,
    capacities: rungs.capacities,
    microUsdPerHour: setup.rungPrices,
    nodes: input.nodes,
    timing: input.timing,
  });
  const horizontal = horizontalOracle({
    demand: setup.demand,
    capacity: rungs.capacities[startRung] as number,
    microUsdPerHour: setup.rungPrices[startRung] as number,
    maxNodes: setup.horizontalMaxNodes,
    rung: startRung,
    timing: input.timing,
  });
  return better(
    horizontal.minutesOverCapacity,
    horizontal.costMicroUsdMinutes,
    vertical.minutesOverCapacity,
    vertical.costMicroUsdMinutes,
  )
    ? horizontal
    : vertical;
}

export function usd(costMicroUsdMinutes: number): number {
  return costMicroUsdMinutes / 60 / 1e6;
}

export function clockInput(setup: SimulationSetup, policy: ResizePolicy): ClockInput {
  return {
    demand: setup.demand,
    startMs: setup.startMs,
    metric: policy.metric,
    thresholds: { scaleUpAt: policy.scaleUpAt, scaleDownAt: policy.scaleDownAt },
  };
}
