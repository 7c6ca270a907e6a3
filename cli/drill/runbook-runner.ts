import {
  describeAnswer,
  judgeAnswer,
  payloadFor,
  undoPlan,
  valueAt,
  type RunbookAction,
  type RunbookInput,
  type RunbookStep,
} from '../../lambdas/core/drill/runbook';
import type { DrillStep, UndoneStep } from './drill-result';
import { StepRecorder } from './step-recorder';

/** Invokes a step's function with its payload and returns the answer; a function error throws. */
export type RunbookInvoker = (
  action: RunbookAction,
  payload: Record<string, unknown>,
) => Promise<unknown>;

export interface RunbookRun {
  ok: boolean;
  /** The runbook's steps as they ran, then the undo actions, each a step of the report. */
  steps: DrillStep[];
  /** The undo actions that ran, in the order they ran (newest step first), and whether each passed. */
  undone: UndoneStep[];
  rtoSeconds: number | null;
  rpoSeconds: number | null;
}

/** Checks run beside the runbook's steps, recorded as steps of the run. `answer`: the step's. */
export type ExtraSteps = (steps: StepRecorder, answer: unknown) => Promise<void>;

/**
 * What the embedded `drill full` proves beside the runbook (outage, cooldown refusal, tunnel flap,
 * resize drain…): before a runbook step (keyed by its id), after it (once it passed, with its
 * answer), and at the end of a run that passed. A failed extra stops the run like a failed step
 * and the reversible steps done are undone; after the end nothing is left to undo.
 */
export interface RunbookExtras {
  before?: Readonly<Record<string, ExtraSteps>>;
  after?: Readonly<Record<string, ExtraSteps>>;
  end?: ExtraSteps;
}

/**
 * The in-process runner of the drill runbook (`drill runbook`, `--via local` and `--embedded`):
 * the steps in order, each judged by its accept rule; the first that fails stops the run, and the
 * reversible steps that passed are undone, newest first. An undo that fails is reported and the
 * next one still runs: every reversible step gets its undo tried.
 */
export async function runRunbook(
  runbook: readonly RunbookStep[],
  input: RunbookInput,
  invoke: RunbookInvoker,
  onProgress: (message: string) => void,
  extras: RunbookExtras = {},
): Promise<RunbookRun> {
  const steps: DrillStep[] = [];
  const done: RunbookStep[] = [];
  let rtoSeconds: number | null = null;
  let rpoSeconds: number | null = null;
  const attempt = async (action: RunbookAction): Promise<{ ok: boolean; answer: unknown }> => {
    onProgress(action.id);
    const startedAt = new Date().toISOString();
    let ok = false;
    let answer: unknown = null;
    let detail: string;
    try {
      answer = await invoke(action, payloadFor(action, input));
      const verdict = judgeAnswer(action.accept, answer);
      ok = verdict.ok;
      detail = verdict.ok ? describeAnswer(action.accept, answer) : verdict.reason;
    } catch (error) {
      detail = error instanceof Error ? error.message : String(error);
    }
    steps.push({ name: action.id, ok, startedAt, endedAt: new Date().toISOString(), detail });
    return { ok, answer };
  };

  const extra = async (run: ExtraSteps | undefined, answer: unknown = null): Promise<boolean> => {
    if (!run) return true;
    const recorder = new StepRecorder(onProgress);
    await run(recorder, answer);
    steps.push(...recorder.steps);
    return recorder.ok;
  };

  let failed = false;
  for (const step of runbook) {
    if (!(await extra(extras.before?.[step.id]))) {
      failed = true;
      break;
    }
    if (step.onlyWhen && !input[step.onlyWhen]) {
      const now = new Date().toISOString();
      steps.push({
        name: step.id,
        ok: true,
        skipped: true,
        startedAt: now,
        endedAt: now,
        detail: `skipped: runs only with ${step.onlyWhen}`,
      });
      continue;
    }
    const { ok, answer } = await attempt(step);
    if (!ok) {
      failed = true;
      break;
    }
    done.push(step);
    const last = steps.at(-1) as DrillStep;
    if (step.measures === 'rto')
      rtoSeconds = (Date.parse(last.endedAt) - Date.parse(last.startedAt)) / 1000;
    if (step.measures === 'rpo') {
      const rpo = valueAt(answer, ['rpoSeconds']);
      rpoSeconds = typeof rpo === 'number' ? rpo : null;
    }
    if (!(await extra(extras.after?.[step.id], answer))) {
      failed = true;
      break;
    }
  }
  if (!failed && !(await extra(extras.end))) {
    return { ok: false, steps, undone: [], rtoSeconds, rpoSeconds };
  }

  const undone: UndoneStep[] = [];
  if (failed) {
    for (const undo of undoPlan(done)) {
      const { ok } = await attempt(undo);
      undone.push({ name: undo.id, ok });
    }
  }
  return { ok: !failed, steps, undone, rtoSeconds, rpoSeconds };
}
