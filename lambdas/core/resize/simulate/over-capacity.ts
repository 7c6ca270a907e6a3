/**
 * Minutes over capacity that no reactive policy could have avoided, and those it could: an
 * episode of demand above capacity is forgiven for as long as the fastest reaction takes — the up
 * alarm's breaching periods, one more period for the evaluation and the re-plan to land, and one
 * node's move — and counted beyond that.
 */
import { MEMBER_ALARM_WINDOWS } from '../member-alarms';
import { PERIOD_MINUTES } from './member-alarm-model';
import type { RolloutTiming } from './rollout-timing';

export function reactionMinutes(timing: RolloutTiming): number {
  return (MEMBER_ALARM_WINDOWS.up.datapointsToAlarm + 1) * PERIOD_MINUTES + timing.moveMinutes;
}

export function minutesOverBeyond(
  demand: Float64Array,
  capacity: Float64Array,
  allowance: number,
): number {
  let beyond = 0;
  let episode = 0;
  for (let t = 0; t < demand.length; t++) {
    episode = (demand[t] as number) > (capacity[t] as number) ? episode + 1 : 0;
    if (episode > allowance) beyond++;
  }
  return beyond;
}
