import type { DrpilotConfig } from '../core/config/schema';
import type { ResizeRequest } from '../core/resize/plan-resize';
import { ROLLOUT_TIMED_OUT, rolloutTimedOutCause } from '../core/resize/rollout-bound';
import { advanceRollout, type AdvanceOptions } from './advance-rollout';
import { beginResize, type BeginOptions } from './begin-resize';
import { finishRollout } from './finish-rollout';
import type { ResizeResult, RolloutState } from './rollout-state';

export type { ResizeOutcome, ResizeResult } from './rollout-state';

export interface ResizeOptions
  extends AdvanceOptions, Pick<BeginOptions, 'automatic' | 'approved'> {
  request: ResizeRequest;
  dryRun: boolean;
  /** What started it, for the audit trail. */
  trigger: string;
  windowMinutes?: number;
}

/**
 * One resize in this process: the same Begin → Advance … → Finish steps the deployed state
 * machine runs, with the same poll bound (every Advance that was not done counts; at `poll.max`
 * the rollout finishes failed, timed out, and pages) and its waits slept here — `timeouts.pollMs`
 * when given, so tests and the drill stay fast; `sleep` and `now` make the time virtual. A step
 * that throws ends the rollout the way the state machine's Catch does.
 */
export async function runResize(
  config: DrpilotConfig,
  groupId: string,
  options: ResizeOptions,
): Promise<ResizeResult> {
  const begun = await beginResize(config, groupId, options);
  if (begun.kind === 'result') return begun.result;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let state: RolloutState = begun.state;
  for (;;) {
    let advanced;
    try {
      advanced = await advanceRollout(config, state, options);
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      state = { ...state, error: { Error: name, Cause: message } };
      break;
    }
    if (advanced.done) {
      state = advanced;
      break;
    }
    // Count, then Within bound? — as the state machine does after an Advance that was not done.
    const poll = { count: advanced.poll.count + 1, max: advanced.poll.max };
    state = { ...advanced, poll };
    if (poll.count >= poll.max) {
      state = { ...state, error: { Error: ROLLOUT_TIMED_OUT, Cause: rolloutTimedOutCause(poll) } };
      break;
    }
    if (state.waitSeconds > 0) await sleep(options.timeouts?.pollMs ?? state.waitSeconds * 1000);
  }
  return finishRollout(config, state, options);
}
