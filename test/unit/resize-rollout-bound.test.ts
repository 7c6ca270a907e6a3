import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EXECUTION_SECONDS_BUDGET,
  HISTORY_EVENT_BUDGET,
  HISTORY_EVENTS_PER_POLL,
  rolloutPollBound,
  rolloutPollCap,
} from '../../lambdas/core/resize/rollout-bound';
import { nodeStepBudget } from '../../lambdas/core/resize/node-steps';

const timing = { perNodeSeconds: 900, pollSeconds: 30 };
const limits = { drainSeconds: 180, nodeSeconds: 180, pollSeconds: 10 };
// cordon, 19 drain rounds, then twice: stop, 19 stopped? rounds, start, 19 ready? rounds.
const perEc2Node = nodeStepBudget(limits);

describe('rolloutPollBound: per-node budget × nodes, in polls', () => {
  it('ec2: one Advance plus every sub-step each node may take (drain, stop, start, twice when restoring)', () => {
    expect(perEc2Node).toBe(1 + 19 + 2 * (2 + 2 * 19));
    for (const nodes of [1, 3, 10])
      expect(rolloutPollBound({ kind: 'ec2', nodes, limits })).toEqual({
        count: 0,
        max: 1 + nodes * perEc2Node,
      });
    // A longer drainTimeoutSeconds gives each node more drain rounds.
    expect(
      rolloutPollBound({ kind: 'ec2', nodes: 1, limits: { ...limits, drainSeconds: 600 } }).max,
    ).toBe(1 + perEc2Node + 42);
  });

  it.each([
    // the first Advance starts the change, then ⌈nodes × 900 s / 30 s⌉ polls
    ['asg', 1, 31],
    ['asg', 3, 91],
    ['eks-managed', 10, 301],
  ] as const)('%s, %i nodes → %i polls', (kind, nodes, max) => {
    expect(rolloutPollBound({ kind, nodes, ...timing })).toEqual({ count: 0, max });
  });

  it('is capped below the 24 h execution timeout and the 25,000-event history', () => {
    // 20,000 events / 16 per round = 1250; 20 h / (2 × 30 s) = 1200; 20 h / (2 × 10 s) = 3600
    expect(rolloutPollCap(30)).toBe(1200);
    expect(rolloutPollCap(10)).toBe(1250);
    expect(rolloutPollBound({ kind: 'asg', nodes: 500, ...timing }).max).toBe(1200);
    expect(rolloutPollBound({ kind: 'ec2', nodes: 100, limits }).max).toBe(1250);
  });

  it('every bound fits the history budget and the execution budget, and grows with the nodes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('ec2', 'asg', 'eks-managed'),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 1, max: 3600 }),
        fc.integer({ min: 1, max: 300 }),
        (kind, nodes, perNodeSeconds, pollSeconds) => {
          const input =
            kind === 'ec2'
              ? {
                  kind,
                  nodes,
                  limits: {
                    drainSeconds: perNodeSeconds,
                    nodeSeconds: perNodeSeconds,
                    pollSeconds,
                  },
                }
              : { kind, nodes, perNodeSeconds, pollSeconds };
          const { count, max } = rolloutPollBound(input);
          expect(count).toBe(0);
          expect(Number.isInteger(max)).toBe(true);
          expect(max).toBeGreaterThanOrEqual(2);
          expect(max * HISTORY_EVENTS_PER_POLL).toBeLessThanOrEqual(HISTORY_EVENT_BUDGET);
          if (max > 2) expect(max * 2 * pollSeconds).toBeLessThanOrEqual(EXECUTION_SECONDS_BUDGET);
          expect(rolloutPollBound({ ...input, nodes: nodes + 1 }).max).toBeGreaterThanOrEqual(max);
        },
      ),
    );
  });
});
