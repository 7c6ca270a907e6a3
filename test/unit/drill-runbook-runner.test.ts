import { describe, expect, it } from 'vitest';
import {
  runRunbook,
  type RunbookExtras,
  type RunbookInvoker,
} from '../../cli/drill/runbook-runner';
import type { StepRecorder } from '../../cli/drill/step-recorder';
import { validateConfig } from '../../lambdas/core/config/validate';
import {
  drillRunbook,
  type AcceptRule,
  type RunbookAction,
  type RunbookInput,
} from '../../lambdas/core/drill/runbook';
import { exampleConfig } from '../support/example-config';

const loaded = validateConfig(exampleConfig());
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const config = loaded.config;
const runbook = drillRunbook(config);
const input: RunbookInput = { drill: true, scaleUp: true };

/** An answer that meets the rule: its path holds the first accepted value. */
function passing(rule: AcceptRule, extra: Record<string, unknown> = {}): unknown {
  const answer: Record<string, unknown> = { ...extra };
  let at = answer;
  rule.path.slice(0, -1).forEach((key) => (at = at[key] = {} as Record<string, unknown>));
  at[rule.path.at(-1) as string] = rule.oneOf[0];
  return answer;
}

/** Every action answers as accepted, except `failAt`, which fails as `how` says. */
function invoker(failAt: string | null, how: 'throws' | 'refused') {
  const calls: { id: string; payload: Record<string, unknown> }[] = [];
  const invoke: RunbookInvoker = async (action: RunbookAction, payload) => {
    calls.push({ id: action.id, payload });
    if (action.id === failAt) {
      if (how === 'throws') throw new Error(`${action.job} failed: injected`);
      return { outcome: 'refused', reason: 'injected refusal' };
    }
    return passing(action.accept, action.id === 're-sync' ? { rpoSeconds: 600 } : {});
  };
  return { invoke, calls };
}

describe('the drill runbook of the example config', () => {
  it('holds the steps in order, the reversible ones with their undo', () => {
    const shape = runbook.map((s) => `${s.id}${s.undo ? ` ⟲ ${s.undo.id}` : ''}`);
    console.log(shape.join('\n'));
    expect(shape).toEqual([
      'preflight',
      'scale up dr-workers ⟲ undo: scale down dr-workers',
      're-sync',
      'restore drill',
      'switch to dr ⟲ undo: switch back to primary',
      'verify DNS and TLS',
      'AKS told',
      'AKS confirmed',
      'switch back to primary',
    ]);
  });

  it('passes every step when every answer is accepted, and undoes nothing', async () => {
    const { invoke, calls } = invoker(null, 'throws');
    const run = await runRunbook(runbook, input, invoke, () => {});
    expect(run.ok).toBe(true);
    expect(run.undone).toEqual([]);
    expect(calls.map((c) => c.id)).toEqual(runbook.map((s) => s.id));
    expect(run.rpoSeconds).toBe(600);
    expect(run.rtoSeconds).not.toBeNull();
    expect(calls.find((c) => c.id === 'switch to dr')?.payload).toEqual({
      action: 'failover',
      reason: 'drill runbook',
      drill: true,
    });
  });

  it('skips the optional scale-up without --scale-up, and has nothing of it to undo', async () => {
    const { invoke, calls } = invoker('AKS told', 'throws');
    const run = await runRunbook(runbook, { drill: false, scaleUp: false }, invoke, () => {});
    expect(run.steps.find((s) => s.name === 'scale up dr-workers')?.skipped).toBe(true);
    expect(calls.some((c) => c.id.includes('scale'))).toBe(false);
    expect(run.undone).toEqual([{ name: 'undo: switch back to primary', ok: true }]);
    // --live: the undo flips the main record back.
    expect(calls.at(-1)?.payload['drill']).toBe(false);
  });

  const cases = runbook.flatMap((step, index) =>
    (['throws', 'refused'] as const).map((how) => ({ step, index, how })),
  );
  it.each(cases)(
    'a failure at "$step.id" ($how): stops there, undoes the reversible steps before it, newest first',
    async ({ step, index, how }) => {
      const { invoke, calls } = invoker(step.id, how);
      const run = await runRunbook(runbook, input, invoke, () => {});
      const before = runbook.slice(0, index);
      const expectedUndo = before
        .filter((s) => s.undo)
        .map((s) => s.undo?.id)
        .reverse();
      const failed = run.steps.find((s) => !s.ok);

      expect(run.ok).toBe(false);
      expect(failed?.name).toBe(step.id);
      expect(failed?.detail).toMatch(how === 'throws' ? /injected/ : /injected refusal/);
      // Nothing after the failed step ran; then exactly the undo chain, in reverse order.
      expect(calls.map((c) => c.id)).toEqual([
        ...before.map((s) => s.id),
        step.id,
        ...expectedUndo,
      ]);
      expect(run.undone).toEqual(expectedUndo.map((name) => ({ name, ok: true })));
      // The report lists the steps that ran, then each undo as a step of its own.
      expect(run.steps.map((s) => s.name)).toEqual(calls.map((c) => c.id));
      console.log(
        `${step.id} (${how}) → undone: ${run.undone.map((u) => u.name).join(', ') || 'nothing'}`,
      );
    },
  );

  it('an undo that fails is reported, and the older undo still runs', async () => {
    const calls: string[] = [];
    const invoke: RunbookInvoker = async (action) => {
      calls.push(action.id);
      if (action.id === 'AKS told') throw new Error('injected');
      if (action.id === 'undo: switch back to primary')
        return { outcome: 'refused', reason: 'lease held' };
      return passing(action.accept);
    };
    const run = await runRunbook(runbook, input, invoke, () => {});
    expect(run.undone).toEqual([
      { name: 'undo: switch back to primary', ok: false },
      { name: 'undo: scale down dr-workers', ok: true },
    ]);
    expect(run.steps.find((s) => s.name === 'undo: switch back to primary')?.detail).toMatch(
      /outcome is "refused".*lease held/,
    );
  });

  describe('with extra steps around the runbook (drill full)', () => {
    /** Extras that record a step named after where they ran; `failAt` throws there. */
    function extras(failAt: string | null) {
      const extra = (name: string) => async (steps: StepRecorder, answer: unknown) => {
        await steps.run(name, async () => {
          if (name === failAt) throw new Error('injected extra failure');
          return JSON.stringify(answer);
        });
      };
      return {
        before: { preflight: extra('before preflight'), 'switch to dr': extra('outage') },
        after: { 're-sync': extra('after re-sync'), 'AKS told': extra('after AKS told') },
        end: extra('at the end'),
      } satisfies RunbookExtras;
    }

    it('runs each before its step, after it with its answer, and at the end', async () => {
      const { invoke } = invoker(null, 'throws');
      const run = await runRunbook(runbook, input, invoke, () => {}, extras(null));
      expect(run.ok).toBe(true);
      const names = run.steps.map((s) => s.name);
      expect(names).toEqual([
        'before preflight',
        'preflight',
        'scale up dr-workers',
        're-sync',
        'after re-sync',
        'restore drill',
        'outage',
        'switch to dr',
        'verify DNS and TLS',
        'AKS told',
        'after AKS told',
        'AKS confirmed',
        'switch back to primary',
        'at the end',
      ]);
      expect(run.steps.find((s) => s.name === 'after re-sync')?.detail).toBe(
        JSON.stringify({ rpoSeconds: 600, outcome: 'copied' }),
      );
    });

    it('a failed extra stops the run and undoes the reversible steps done', async () => {
      const { invoke, calls } = invoker(null, 'throws');
      const run = await runRunbook(runbook, input, invoke, () => {}, extras('after AKS told'));
      expect(run.ok).toBe(false);
      expect(run.steps.find((s) => !s.ok)).toMatchObject({
        name: 'after AKS told',
        detail: 'injected extra failure',
      });
      expect(calls.map((c) => c.id)).not.toContain('AKS confirmed');
      expect(run.undone).toEqual([
        { name: 'undo: switch back to primary', ok: true },
        { name: 'undo: scale down dr-workers', ok: true },
      ]);
    });

    it('a failed extra before the first step stops the run before any function is asked', async () => {
      const { invoke, calls } = invoker(null, 'throws');
      const run = await runRunbook(runbook, input, invoke, () => {}, extras('before preflight'));
      expect(run.ok).toBe(false);
      expect(calls).toEqual([]);
      expect(run.undone).toEqual([]);
    });

    it('a failed extra at the end fails the run, with nothing left to undo', async () => {
      const { invoke, calls } = invoker(null, 'throws');
      const run = await runRunbook(runbook, input, invoke, () => {}, extras('at the end'));
      expect(run.ok).toBe(false);
      expect(run.steps.at(-1)).toMatchObject({ name: 'at the end', ok: false });
      expect(calls.map((c) => c.id)).toEqual(runbook.map((s) => s.id));
      expect(run.undone).toEqual([]);
    });
  });
});
