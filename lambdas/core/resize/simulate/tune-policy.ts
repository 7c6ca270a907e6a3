/**
 * Tuning suggestions: the ladder policy replayed with other thresholds — headroom, scaleUpAt,
 * scaleDownAt and the cooldown, on a grid that keeps the config's own rules (scaleDownAt <
 * scaleUpAt, scaleDownAt × maxStepRatio < scaleUpAt) — ranked by over-capacity minutes beyond the
 * reaction time, then by cost. The group's current setting is always among the candidates, so a
 * suggestion is only shown when it does at least as well on both.
 */
import type { ResizePolicy } from '../plan-resize';
import { minutesOverBeyond, reactionMinutes } from './over-capacity';
import { runLadder, usd } from './policy-runs';
import type { SimulationSetup } from './simulation-setup';

export interface TuningCandidate {
  headroom: number;
  scaleUpAt: number;
  scaleDownAt: number;
  cooldownSeconds: number;
  current: boolean;
  costUsd: number;
  ratioToOracle: number;
  minutesOverCapacity: number;
  minutesOverBeyondReaction: number;
  resizes: number;
}

const HEADROOMS = [1.1, 1.2, 1.3];
const SCALE_UP_AT = [70, 80, 90];
const SCALE_DOWN_AT = [20, 30, 40];
const COOLDOWNS = [900, 1800];

export function tuningGrid(policy: ResizePolicy): ResizePolicy[] {
  const grid: ResizePolicy[] = [policy];
  for (const headroom of HEADROOMS)
    for (const scaleUpAt of SCALE_UP_AT)
      for (const scaleDownAt of SCALE_DOWN_AT)
        for (const cooldownSeconds of COOLDOWNS) {
          if (scaleDownAt >= scaleUpAt || scaleDownAt * policy.maxStepRatio >= scaleUpAt) continue;
          const candidate = { ...policy, headroom, scaleUpAt, scaleDownAt, cooldownSeconds };
          if (!grid.some((seen) => sameThresholds(seen, candidate))) grid.push(candidate);
        }
  return grid;
}

/** The current setting first, then the candidates that beat it on cost without more risk. */
export function tunePolicy(
  setup: SimulationSetup,
  oracleCostMicroUsdMinutes: number,
  limit = 5,
): TuningCandidate[] {
  const allowance = reactionMinutes(setup.input.timing);
  const [current, ...others] = tuningGrid(setup.policy).map((policy, index) => {
    const run = runLadder(setup, policy);
    return {
      headroom: policy.headroom,
      scaleUpAt: policy.scaleUpAt,
      scaleDownAt: policy.scaleDownAt,
      cooldownSeconds: policy.cooldownSeconds,
      current: index === 0,
      costUsd: usd(run.costMicroUsdMinutes),
      ratioToOracle: run.costMicroUsdMinutes / Math.max(1, oracleCostMicroUsdMinutes),
      minutesOverCapacity: run.minutesOverCapacity,
      minutesOverBeyondReaction: minutesOverBeyond(setup.demand, run.capacity, allowance),
      resizes: run.resizes,
    };
  }) as [TuningCandidate, ...TuningCandidate[]];
  const better = others
    .filter(
      (candidate) =>
        candidate.minutesOverBeyondReaction <= current.minutesOverBeyondReaction &&
        candidate.costUsd < current.costUsd,
    )
    .sort(
      (a, b) => a.minutesOverBeyondReaction - b.minutesOverBeyondReaction || a.costUsd - b.costUsd,
    );
  return [current, ...better.slice(0, limit)];
}

function sameThresholds(a: ResizePolicy, b: ResizePolicy): boolean {
  return (
    a.headroom === b.headroom &&
    a.scaleUpAt === b.scaleUpAt &&
    a.scaleDownAt === b.scaleDownAt &&
    a.cooldownSeconds === b.cooldownSeconds
  );
}
