import { describe, expect, it } from 'vitest';
import {
  firstNodeStep,
  nextNodeStep,
  nodeStepBudget,
  resumeStep,
  leftByDeadRollout,
  leftByRollout,
  startsCooldown,
  type NodeDecision,
  type NodeObservation,
  type NodeStep,
} from '../../lambdas/core/resize/node-steps';
import { CORDONED_BY_ROLLOUT_TAG, STOPPED_BY_ROLLOUT_TAG } from '../../lambdas/core/shared-names';

const node = { id: 'i-0abc', from: 'm6i.large', to: 'm6i.xlarge' };
const limits = { drainSeconds: 180, nodeSeconds: 300, pollSeconds: 10 };
const T0 = new Date('2026-12-02T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const drained = { remaining: [], blocked: [] };

function next(decision: NodeDecision) {
  if (decision.kind !== 'next') throw new Error(`ended: ${JSON.stringify(decision)}`);
  return decision;
}

/** Runs the planner over a script of observations, 10 s apart, and lists the phases taken. */
function walk(observations: NodeObservation[], start: NodeStep = firstNodeStep(T0)) {
  let step = start;
  const phases: string[] = [step.phase];
  let seconds = 0;
  for (const observed of observations) {
    const decision = nextNodeStep(node, step, observed, limits, at(seconds));
    if (decision.kind === 'end') return { phases, end: decision };
    step = decision.step;
    phases.push(step.phase);
    seconds += Math.max(decision.waitSeconds, 1);
  }
  return { phases, step };
}

describe('nextNodeStep: the sub-steps of one ec2 node', () => {
  it('the whole way: cordon → drain → stop → stopped? → start → ready? → resized, uncordoned', () => {
    const { phases, end } = walk([
      { phase: 'cordon', alreadyCordoned: false, remaining: ['app/web-0'], blocked: [] },
      { phase: 'drain', alreadyCordoned: false, ...drained },
      { phase: 'stop', error: null },
      { phase: 'stopped?', state: 'stopping' },
      { phase: 'stopped?', state: 'stopped' },
      { phase: 'start', error: null },
      { phase: 'ready?', state: 'pending', ready: false },
      { phase: 'ready?', state: 'running', ready: false },
      { phase: 'ready?', state: 'running', ready: true },
    ]);
    expect(phases).toEqual([
      'cordon',
      'drain',
      'stop',
      'stopped?',
      'stopped?',
      'start',
      'ready?',
      'ready?',
      'ready?',
    ]);
    expect(end).toEqual({
      kind: 'end',
      outcome: 'resized',
      detail: 'm6i.large → m6i.xlarge, Ready and uncordoned',
      uncordon: true,
      page: false,
    });
  });

  it('waits in between are the poll; a drained node is stopped at once', () => {
    const step = firstNodeStep(T0);
    const waiting = next(
      nextNodeStep(
        node,
        step,
        { phase: 'cordon', alreadyCordoned: false, remaining: ['a/b'], blocked: [] },
        limits,
        T0,
      ),
    );
    expect(waiting).toMatchObject({
      step: { phase: 'drain', since: T0.toISOString() },
      waitSeconds: 10,
    });
    const stop = next(
      nextNodeStep(
        node,
        waiting.step,
        { phase: 'drain', alreadyCordoned: false, ...drained },
        limits,
        at(10),
      ),
    );
    expect(stop).toMatchObject({
      step: { phase: 'stop', since: at(10).toISOString() },
      waitSeconds: 0,
    });
  });

  it('a drain still blocked by a PodDisruptionBudget at drainTimeoutSeconds: uncordoned, not stopped, blocked', () => {
    const drain: NodeStep = { ...firstNodeStep(T0), phase: 'drain' };
    const blocked = {
      phase: 'drain' as const,
      alreadyCordoned: false,
      remaining: ['app/web-0'],
      blocked: ['app/web-0'],
    };
    // Before the timeout: evict again after the poll (never past the timeout).
    expect(next(nextNodeStep(node, drain, blocked, limits, at(175))).waitSeconds).toBe(5);
    const end = nextNodeStep(node, drain, blocked, limits, at(180));
    expect(end).toEqual({
      kind: 'end',
      outcome: 'blocked',
      detail:
        'not stopped: drain blocked by a PodDisruptionBudget: app/web-0 could not be evicted (429 TooManyRequests) within drainTimeoutSeconds (180 s); uncordoned, still m6i.large',
      uncordon: true,
      page: false,
    });
  });

  it('pods still terminating at the drain timeout: blocked as well, naming them; an operator cordon stays', () => {
    const drain: NodeStep = { ...firstNodeStep(T0), phase: 'drain', alreadyCordoned: true };
    const end = nextNodeStep(
      node,
      drain,
      { phase: 'drain', alreadyCordoned: true, remaining: ['app/slow-0'], blocked: [] },
      limits,
      at(200),
    );
    expect(end).toMatchObject({
      kind: 'end',
      outcome: 'blocked',
      uncordon: false,
      detail: expect.stringContaining('drain timed out: app/slow-0 still on the node'),
    });
    expect((end as { detail: string }).detail).toContain('left cordoned (it was before)');
  });

  it('StopInstances refused: the node still runs, uncordoned, blocked', () => {
    const stop: NodeStep = { ...firstNodeStep(T0), phase: 'stop' };
    expect(
      nextNodeStep(node, stop, { phase: 'stop', error: 'UnauthorizedOperation: no' }, limits, T0),
    ).toEqual({
      kind: 'end',
      outcome: 'blocked',
      detail: 'StopInstances failed (UnauthorizedOperation: no): uncordoned, still m6i.large',
      uncordon: true,
      page: false,
    });
  });

  it('InsufficientInstanceCapacity on start: the old type is put back → restored', () => {
    const start: NodeStep = { ...firstNodeStep(T0), phase: 'start' };
    const cause = 'InsufficientInstanceCapacity: no m6i.xlarge';
    const { phases, end } = walk(
      [
        { phase: 'start', error: cause },
        { phase: 'stop', error: null },
        { phase: 'stopped?', state: 'stopped' },
        { phase: 'start', error: null },
        { phase: 'ready?', state: 'running', ready: true },
      ],
      start,
    );
    expect(phases).toEqual(['start', 'stop', 'stopped?', 'start', 'ready?']);
    expect(end).toMatchObject({
      outcome: 'restored',
      detail: `m6i.xlarge failed (${cause}); running on m6i.large again`,
      uncordon: true,
      page: false,
    });
  });

  it('the old type failing too: stranded, paged, not uncordoned', () => {
    const start: NodeStep = { ...firstNodeStep(T0), phase: 'start' };
    const { end } = walk(
      [
        { phase: 'start', error: 'InsufficientInstanceCapacity: no m6i.xlarge' },
        { phase: 'stop', error: null },
        { phase: 'stopped?', state: 'stopped' },
        { phase: 'start', error: 'InsufficientInstanceCapacity: no m6i.large' },
      ],
      start,
    );
    expect(end).toMatchObject({ outcome: 'stranded', page: true, uncordon: false });
    expect(end!.detail).toMatch(/restoring m6i.large failed too .*no m6i.large.*the node is down/);
  });

  it('not stopped, or not Ready, within the node timeout: the new type is undone; the old one timing out strands', () => {
    const stopped: NodeStep = { ...firstNodeStep(T0), phase: 'stopped?' };
    expect(
      next(nextNodeStep(node, stopped, { phase: 'stopped?', state: 'stopping' }, limits, at(299))),
    ).toMatchObject({
      step: { phase: 'stopped?', since: T0.toISOString() },
      waitSeconds: 10,
    });
    expect(
      next(nextNodeStep(node, stopped, { phase: 'stopped?', state: 'stopping' }, limits, at(300))),
    ).toMatchObject({
      step: {
        phase: 'stop',
        toward: 'from',
        cause: 'i-0abc is stopping, not stopped, after 300 s',
      },
      waitSeconds: 0,
    });
    const ready: NodeStep = { ...firstNodeStep(T0), phase: 'ready?', toward: 'from', cause: 'x' };
    expect(
      nextNodeStep(
        node,
        ready,
        { phase: 'ready?', state: 'running', ready: false },
        limits,
        at(300),
      ),
    ).toMatchObject({
      kind: 'end',
      outcome: 'stranded',
      page: true,
      detail: expect.stringContaining('NodeNotReadyError'),
    });
  });

  it('refuses an observation of another sub-step', () => {
    expect(() =>
      nextNodeStep(node, firstNodeStep(T0), { phase: 'stop', error: null }, limits, T0),
    ).toThrow(/observed stop for sub-step cordon/);
  });

  it('the budget covers the longest walk: drain to its timeout, then stop and start twice to theirs', () => {
    // Walk the slowest path the planner allows, counting every sub-step.
    let step = firstNodeStep(T0);
    let seconds = 0;
    let count = 0;
    const slow = (phase: NodeStep['phase']): NodeObservation =>
      phase === 'cordon' || phase === 'drain'
        ? { phase, alreadyCordoned: false, remaining: [], blocked: [] }
        : phase === 'stop' || phase === 'start'
          ? { phase, error: null }
          : phase === 'stopped?'
            ? { phase, state: 'stopping' }
            : { phase, state: 'running', ready: false };
    for (;;) {
      count++;
      // The drain takes until just before its timeout.
      const observed: NodeObservation =
        step.phase === 'drain' && seconds < limits.drainSeconds - limits.pollSeconds
          ? { phase: 'drain', alreadyCordoned: false, remaining: ['a/b'], blocked: [] }
          : step.phase === 'cordon'
            ? { phase: 'cordon', alreadyCordoned: false, remaining: ['a/b'], blocked: [] }
            : slow(step.phase);
      const decision = nextNodeStep(node, step, observed, limits, at(seconds));
      if (decision.kind === 'end') break;
      step = decision.step;
      seconds += decision.waitSeconds;
    }
    expect(count).toBeLessThanOrEqual(nodeStepBudget(limits));
    expect(nodeStepBudget(limits)).toBe(1 + 19 + 2 * (2 + 2 * 31));
  });
});

describe('resumeStep: a member a dead rollout left down', () => {
  const marked = {
    [STOPPED_BY_ROLLOUT_TAG]: '2026-12-03T04:00:00.000Z',
    'drpilot:managed': 'true',
  };

  const resumed = { toward: 'to', since: T0.toISOString(), alreadyCordoned: false, cause: null };

  it('stopped: resumed at start; stopping: at stopped?; up again (started, not yet Ready and uncordoned): at ready?; gone: nothing to resume', () => {
    expect(resumeStep('stopped', marked, T0)).toEqual({ phase: 'start', ...resumed });
    expect(resumeStep('stopping', marked, T0)).toEqual({ phase: 'stopped?', ...resumed });
    expect(resumeStep('running', marked, T0)).toEqual({ phase: 'ready?', ...resumed });
    expect(resumeStep('pending', marked, T0)).toEqual({ phase: 'ready?', ...resumed });
    for (const state of ['shutting-down', 'terminated', 'unknown']) {
      expect(resumeStep(state, marked, T0)).toBeNull();
    }
  });

  it('cordoned, never stopped (only the cordon mark): uncordoned, never stopped; stopped with only that mark was stopped by someone else and is left down', () => {
    const cordoned = {
      [CORDONED_BY_ROLLOUT_TAG]: '2026-12-03T04:00:00.000Z',
      'drpilot:managed': 'true',
    };
    expect(resumeStep('running', cordoned, T0)).toEqual({ phase: 'uncordon', ...resumed });
    expect(leftByRollout('running', cordoned)).toBe('cordoned');
    for (const state of ['stopped', 'stopping', 'terminated']) {
      expect(resumeStep(state, cordoned, T0)).toBeNull();
    }
    expect(leftByRollout('stopped', cordoned)).toBeNull();
    const node = { id: 'i-0abc', from: 'm6i.large', to: 'm6i.large' };
    expect(
      nextNodeStep(node, resumeStep('running', cordoned, T0)!, { phase: 'uncordon' }, limits, T0),
    ).toEqual({
      kind: 'end',
      outcome: 'resized',
      detail:
        'left cordoned by an interrupted rollout before it was stopped: uncordoned, still m6i.large',
      uncordon: true,
      page: false,
    });
  });

  it('leftByRollout: what status flags, from the state and the marks', () => {
    const both = { ...marked, [CORDONED_BY_ROLLOUT_TAG]: 'x' };
    expect(leftByRollout('stopped', marked)).toBe('stopped');
    expect(leftByRollout('stopping', both)).toBe('stopped');
    expect(leftByRollout('running', marked)).toBe('cordoned');
    expect(leftByRollout('running', both)).toBe('cordoned');
    expect(leftByRollout('running', { 'drpilot:managed': 'true' })).toBeNull();
    expect(leftByRollout('terminated', both)).toBeNull();
  });

  it('leftByDeadRollout: the marks say a rollout died only while no rollout holds the lease', () => {
    const nowMs = T0.getTime();
    expect(leftByDeadRollout('stopped', null, nowMs)).toBe('stopped');
    expect(leftByDeadRollout('cordoned', { expiresAtMs: nowMs }, nowMs)).toBe('cordoned');
    expect(leftByDeadRollout('cordoned', { expiresAtMs: nowMs + 1 }, nowMs)).toBeNull();
    expect(leftByDeadRollout('stopped', { expiresAtMs: nowMs + 60_000 }, nowMs)).toBeNull();
    expect(leftByDeadRollout(null, null, nowMs)).toBeNull();
  });

  it('a member stopped without the rollout mark (a person, an instance scheduler) is left down', () => {
    const unmarked = { 'drpilot:managed': 'true' };
    expect(resumeStep('stopped', unmarked, T0)).toBeNull();
    expect(resumeStep('stopping', unmarked, T0)).toBeNull();
  });

  it('a stopped node on the type it has: started, Ready, then uncordoned (it was cordoned by the dead rollout)', () => {
    const left = { id: 'i-0abc', from: 'm6i.xlarge', to: 'm6i.xlarge' };
    let step = resumeStep('stopped', marked, T0)!;
    const phases: string[] = [step.phase];
    for (const observed of [
      { phase: 'start', error: null },
      { phase: 'ready?', state: 'pending', ready: false },
      { phase: 'ready?', state: 'running', ready: true },
    ] as NodeObservation[]) {
      const decision = nextNodeStep(left, step, observed, limits, at(phases.length * 10));
      if (decision.kind === 'end') {
        expect(phases).toEqual(['start', 'ready?', 'ready?']);
        expect(decision).toEqual({
          kind: 'end',
          outcome: 'resized',
          detail:
            'stopped by an interrupted rollout: running again on m6i.xlarge, Ready and uncordoned',
          uncordon: true,
          page: false,
        });
        return;
      }
      step = decision.step;
      phases.push(step.phase);
    }
    throw new Error('never ended');
  });

  it('one that does not start again: the restore on the same type fails too → stranded, paged', () => {
    const left = { id: 'i-0abc', from: 'm6i.xlarge', to: 'm6i.xlarge' };
    const first = next(
      nextNodeStep(
        left,
        resumeStep('stopped', marked, T0)!,
        { phase: 'start', error: 'InsufficientInstanceCapacity' },
        limits,
        T0,
      ),
    );
    expect(first.step).toMatchObject({ phase: 'stop', toward: 'from' });
    let step = first.step;
    for (const observed of [
      { phase: 'stop', error: null },
      { phase: 'stopped?', state: 'stopped' },
      { phase: 'start', error: 'InsufficientInstanceCapacity' },
    ] as NodeObservation[]) {
      const decision = nextNodeStep(left, step, observed, limits, T0);
      if (decision.kind === 'end') {
        expect(decision).toMatchObject({ outcome: 'stranded', uncordon: false, page: true });
        return;
      }
      step = decision.step;
    }
    throw new Error('never ended');
  });
});

describe('startsCooldown: which finished rollouts start the group cooldown', () => {
  const node = (from: string, to: string, outcome: string) => ({ from, to, outcome });
  it('a node moved to another type, or put back on its old one after trying', () => {
    expect(startsCooldown([node('m6i.large', 'm6i.xlarge', 'resized')])).toBe(true);
    expect(startsCooldown([node('m6i.large', 'm6i.xlarge', 'restored')])).toBe(true);
    expect(
      startsCooldown([node('m6i.large', 'm6i.large', 'resized'), node('a', 'b', 'resized')]),
    ).toBe(true);
  });
  it('only members brought back after a dead rollout (from = to), or nothing moved: none', () => {
    expect(startsCooldown([node('m6i.large', 'm6i.large', 'resized')])).toBe(false);
    expect(startsCooldown([node('m6i.large', 'm6i.large', 'restored')])).toBe(false);
    for (const outcome of ['blocked', 'stranded', 'refused', 'interrupted', 'not-started']) {
      expect(startsCooldown([node('m6i.large', 'm6i.xlarge', outcome)])).toBe(false);
    }
    expect(startsCooldown([])).toBe(false);
  });
});
