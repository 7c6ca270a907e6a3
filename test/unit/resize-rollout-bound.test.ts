import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EXECUTION_SECONDS_BUDGET,
  HISTORY_EVENT_BUDGET,
  HISTORY_EVENTS_PER_POLL,
  rolloutPollBound,
  rolloutPollCap,
} from '../../lambdas/core/resize/rollout-bound';

const timing = { perNodeSeconds: 900, pollSeconds: 30, stepSeconds: 900 };

describe('rolloutPollBound: per-node budget × nodes, in polls', () => {
  it.each([
    ['ec2', 1, 2],
    ['ec2', 3, 4],
    ['ec2', 10, 11],
    // the first Advance starts the change, then ⌈nodes × 900 s / 30 s⌉ polls
    ['asg', 1, 31],
    ['asg', 3, 91],
    ['eks-managed', 10, 301],
  ] as const)('%s, %i nodes → %i polls', (kind, nodes, max) => {
    expect(rolloutPollBound({ kind, nodes, ...timing })).toEqual({ count: 0, max });
  });

  it('is capped below the 24 h execution timeout and the 25,000-event history', () => {
    // ec2: one Advance may take the whole 900 s step → 20 h / 900 s
    expect(rolloutPollBound({ kind: 'ec2', nodes: 500, ...timing }).max).toBe(80);
    expect(rolloutPollCap({ kind: 'asg', pollSeconds: 30, stepSeconds: 900 })).toBe(1200);
    expect(rolloutPollBound({ kind: 'asg', nodes: 500, ...timing }).max).toBe(1200);
  });

  it('every bound fits the history budget and the execution budget, and grows with the nodes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('ec2', 'asg', 'eks-managed'),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 1, max: 3600 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 900 }),
        (kind, nodes, perNodeSeconds, pollSeconds, stepSeconds) => {
          const input = { kind, nodes, perNodeSeconds, pollSeconds, stepSeconds };
          const { count, max } = rolloutPollBound(input);
          expect(count).toBe(0);
          expect(Number.isInteger(max)).toBe(true);
          expect(max).toBeGreaterThanOrEqual(2);
          expect(max * HISTORY_EVENTS_PER_POLL).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
          const perPoll = kind === 'ec2' ? stepSeconds : 2 * pollSeconds;
          if (max > 2) expect(max * perPoll).toBeLessThanOrEqual(EXECUTION_SECONDS_BUDGET);
          expect(rolloutPollBound({ ...input, nodes: nodes + 1 }).max).toBeGreaterThanOrEqual(max);
        },
      ),
    );
  });
});
