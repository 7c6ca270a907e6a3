import { describe, expect, it } from 'vitest';
import type { Pause } from '../../lambdas/core/pause/pause-rules';
import { decideRolloutPause, type RolloutAtPause } from '../../lambdas/core/resize/rollout-pause';

const NOW = Date.parse('2026-12-02T10:00:00Z');
const pause: Pause = {
  job: 'resize',
  by: 'alice',
  reason: 'CHG-1234',
  since: '2026-12-02T09:55:00.000Z',
  until: '2026-12-02T12:00:00.000Z',
};
const ec2: RolloutAtPause = {
  kind: 'ec2',
  atBoundary: true,
  done: [{ id: 'i-1', outcome: 'resized' }],
  notStarted: ['i-2', 'i-3'],
  toType: 'm6i.xlarge',
};

describe('decideRolloutPause: what a pause of resize does to a rollout under way', () => {
  it('no pause, or one whose until has passed: the rollout goes on', () => {
    expect(decideRolloutPause(null, NOW, ec2)).toEqual({ kind: 'go on' });
    const ended = { ...pause, until: '2026-12-02T09:59:59.000Z' };
    expect(decideRolloutPause(ended, NOW, ec2)).toEqual({ kind: 'go on' });
  });

  it('ec2 at a node boundary: held — no further node starts; who, why, done and not started', () => {
    expect(decideRolloutPause(pause, NOW, ec2)).toEqual({
      kind: 'hold',
      hold: {
        by: 'alice',
        reason: 'CHG-1234',
        since: pause.since,
        until: pause.until,
        stopped: true,
        detail:
          'held at a node boundary (done: i-1 resized; not started: i-2, i-3): paused by alice until 2026-12-02T12:00:00.000Z: CHG-1234 (would have: resize i-2, i-3 to m6i.xlarge; drpilot resume resize lifts it)',
      },
    });
  });

  it('ec2 in the middle of a node: goes on, so the node is never left stopped or cordoned', () => {
    expect(decideRolloutPause(pause, NOW, { ...ec2, atBoundary: false })).toEqual({
      kind: 'go on',
    });
  });

  it('a template rollout not yet handed to AWS is held: nothing moved', () => {
    const decided = decideRolloutPause(pause, NOW, {
      kind: 'asg',
      atBoundary: true,
      done: [],
      notStarted: ['i-1', 'i-2'],
      toType: 'm6i.xlarge',
    });
    expect(decided.kind).toBe('hold');
    expect(decided.kind !== 'go on' && decided.hold.detail).toMatch(
      /^held before the instance refresh started \(done: none; not started: i-1, i-2\): paused by alice/,
    );
  });

  it('a template rollout AWS is running is not cancelled: a note saying why it ran on', () => {
    for (const [kind, why] of [
      ['asg', /an instance refresh cannot be stopped safely mid-way/],
      ['eks-managed', /a managed node group update cannot be cancelled/],
    ] as const) {
      const decided = decideRolloutPause(pause, NOW, {
        kind,
        atBoundary: false,
        done: [],
        notStarted: ['i-1'],
        toType: 'm6i.xlarge',
      });
      expect(decided.kind).toBe('note');
      if (decided.kind === 'go on') continue;
      expect(decided.hold.stopped).toBe(false);
      expect(decided.hold.detail).toMatch(/^not held by the pause of resize \(paused by alice/);
      expect(decided.hold.detail).toMatch(why);
      expect(decided.hold.detail).toMatch(/so AWS's rollout ran on$/);
    }
  });
});
