import { describe, expect, it } from 'vitest';
import {
  checkRolloutShape,
  judgeRolloutLease,
  looksLikeRolloutState,
  rolloutHolder,
} from '../../lambdas/core/resize/rollout-trust';
import { resizeScope } from '../../lambdas/core/shared-names';

const ID = 'primary-workers-1796000000000';
const state = () => ({
  drpilotRollout: 1,
  id: ID,
  groupId: 'primary-workers',
  trigger: 'alarm x',
  lease: {
    name: resizeScope('primary-workers'),
    holder: rolloutHolder('alarm x', ID),
    token: 't-1',
    expiresAtMs: 1,
  },
  startedAt: '2026-12-02T10:00:00Z',
  plan: {
    kind: 'resize',
    group: 'primary-workers',
    direction: 'up',
    from: { types: ['m6i.large'], capacity: 2 },
    to: { type: 'm6i.xlarge', capacity: 4 },
    nodes: [],
    reason: 'p95 90%',
    extraPlannerField: 1,
  },
  p95Percent: 90,
  nodes: [],
  next: 0,
  template: null,
  done: false,
  waitSeconds: 0,
});

describe('rollout states are claims', () => {
  it('a well-formed state passes the shape check and keeps the planner’s other fields', () => {
    const checked = checkRolloutShape(state());
    expect(checked.ok).toBe(true);
    if (checked.ok) expect(checked.state.plan).toHaveProperty('extraPlannerField', 1);
  });

  it('names what is wrong with a malformed one, at most ten issues', () => {
    const checked = checkRolloutShape({ drpilotRollout: 1, done: true, nodes: [] });
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.issues.map((i) => i.path)).toContain('groupId');
      expect(checked.issues.length).toBeLessThanOrEqual(10);
    }
  });

  it('carries the poll bound when it is well formed (absent in states started before it)', () => {
    expect(checkRolloutShape({ ...state(), poll: { count: 3, max: 4 } }).ok).toBe(true);
    const bad = checkRolloutShape({ ...state(), poll: { count: -1, max: 0 } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues.map((i) => i.path)).toEqual(['poll.count', 'poll.max']);
  });

  it('carries the pause that held the rollout when it is well formed', () => {
    const held = {
      by: 'alice',
      reason: 'CHG-1234',
      since: '2026-12-02T09:55:00.000Z',
      until: '2026-12-02T12:00:00.000Z',
      stopped: true,
      detail: 'held at a node boundary (…)',
    };
    expect(checkRolloutShape({ ...state(), held }).ok).toBe(true);
    const bad = checkRolloutShape({ ...state(), held: { ...held, stopped: 'yes' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues.map((i) => i.path)).toEqual(['held.stopped']);
  });

  it('carries the sub-step a node left down resumes at only when it is well formed', () => {
    const node = {
      id: 'i-0abc',
      from: 'm6i.xlarge',
      to: 'm6i.xlarge',
      outcome: 'not-started',
      detail: 'waiting',
      privateDnsName: null,
      tags: {},
    };
    const resume = {
      phase: 'start',
      toward: 'to',
      since: '2026-12-02T10:00:00.000Z',
      alreadyCordoned: false,
      cause: null,
    };
    expect(checkRolloutShape({ ...state(), nodes: [{ ...node, resume }] }).ok).toBe(true);
    const bad = checkRolloutShape({
      ...state(),
      nodes: [{ ...node, resume: { ...resume, phase: 'terminate' } }],
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues.map((i) => i.path)).toEqual(['nodes[0].resume.phase']);
  });

  it('is recognised by its marker only', () => {
    expect(looksLikeRolloutState({ drpilotRollout: 'anything' })).toBe(true);
    expect(looksLikeRolloutState({ action: 'resize' })).toBe(false);
    expect(looksLikeRolloutState(null)).toBe(false);
  });

  it('matches the lease only with the same token and a holder naming this rollout', () => {
    const held = { holder: rolloutHolder('alarm x', ID), token: 't-1', expiresAtMs: 0 };
    expect(judgeRolloutLease(state(), held)).toEqual({ ok: true });
    expect(judgeRolloutLease(state(), null)).toEqual({
      ok: false,
      reason: 'no rollout of primary-workers holds resize#primary-workers',
    });
    expect(judgeRolloutLease(state(), { ...held, token: 't-2' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/fencing token/),
    });
    const taken = { ...held, holder: rolloutHolder('alarm x', 'primary-workers-1') };
    expect(judgeRolloutLease(state(), taken)).toMatchObject({ ok: false });
    expect(judgeRolloutLease({ ...state(), id: 'primary-workers-1' }, held)).toMatchObject({
      ok: false,
    });
  });
});
