/**
 * The poll bound of a rollout (pure). The rollout state machine loops Advance → Wait → Advance
 * until a step says `done`; a rollout that never finishes would otherwise run into the
 * execution's 24 h timeout or the 25,000-event history limit, neither of which a Catch sees, so
 * Finish (cooldown, audit, page, lease) would never run. The start puts the bound in the
 * execution's state (`poll: { count: 0, max }`); the state machine counts every Advance that was
 * not done and, at `max`, goes to Finish with a `timed out` error (which pages).
 */
import { nodeStepBudget, type NodeLimits } from './node-steps';

/** What the bound of one rollout is derived from. */
export type RolloutBoundInput =
  | {
      kind: 'ec2';
      /** The nodes the rollout moves, one after the other. */
      nodes: number;
      /** One node's drain, stop and start budgets and the wait between its sub-steps. */
      limits: NodeLimits;
    }
  | {
      kind: 'asg' | 'eks-managed';
      nodes: number;
      /** How long AWS may take to replace one node (launch, warm-up, drain). */
      perNodeSeconds: number;
      /** The wait between two polls of an instance refresh or nodegroup update. */
      pollSeconds: number;
    };

export interface RolloutPollBound {
  /** Advances that were not done so far (the state machine counts). */
  count: number;
  /** At this count the rollout is timed out. */
  max: number;
}

/**
 * Events one loop round writes to the execution history: Advance (entered, scheduled, started,
 * succeeded, exited), Done?, Count, Within bound? and Wait (entered, exited each) — 13, and up
 * to 3 more per retried Lambda invocation.
 */
export const HISTORY_EVENTS_PER_POLL = 16;
/** Step Functions' hard limit on a Standard execution's history, kept at 80 %. */
export const HISTORY_EVENT_BUDGET = 20_000;
/** The state machine's 24 h execution timeout, kept at 20 h. */
export const EXECUTION_SECONDS_BUDGET = 20 * 3600;

/**
 * The largest bound any rollout gets: below both the history limit and the execution timeout.
 * No Advance waits inside (an `ec2` sub-step or a template poll is a few API calls; a hung one is
 * a Lambda timeout, which the Catch sends to Finish), so a round is about 2 × the wait.
 */
export function rolloutPollCap(pollSeconds: number) {
  return Math.min(
    Math.floor(HISTORY_EVENT_BUDGET / HISTORY_EVENTS_PER_POLL),
    Math.floor(EXECUTION_SECONDS_BUDGET / Math.max(1, 2 * pollSeconds)),
  );
}

/**
 * Per-node budget × nodes, in polls: `ec2` one Advance to start plus, per node, every sub-step
 * its drain, stop and start may take ({@link nodeStepBudget}); `asg` / `eks-managed` the first
 * Advance (which starts the change) plus ⌈nodes × perNodeSeconds / pollSeconds⌉ polls.
 * Never above {@link rolloutPollCap}; never below 2.
 */
export function rolloutPollBound(input: RolloutBoundInput): RolloutPollBound {
  const nodes = Math.max(1, Math.ceil(input.nodes));
  const pollSeconds = input.kind === 'ec2' ? input.limits.pollSeconds : input.pollSeconds;
  const wanted =
    input.kind === 'ec2'
      ? 1 + nodes * nodeStepBudget(input.limits)
      : 1 + Math.ceil((nodes * input.perNodeSeconds) / Math.max(1, input.pollSeconds));
  return { count: 0, max: Math.max(2, Math.min(wanted, rolloutPollCap(pollSeconds))) };
}

/** The error the state machine's `Timed out` state puts in the rollout state. */
export const ROLLOUT_TIMED_OUT = 'drpilot.RolloutTimedOut';

/** Its Cause, a `States.Format` template: the count, then the bound. */
export const ROLLOUT_TIMED_OUT_CAUSE =
  'timed out: no result after {} of {} polls (the bound is the per-node budget times the nodes)';

/** The Cause as the state machine formats it. */
export const rolloutTimedOutCause = (bound: RolloutPollBound) =>
  ROLLOUT_TIMED_OUT_CAUSE.replace('{}', String(bound.count)).replace('{}', String(bound.max));
