/**
 * A runbook execution's history (GetExecutionHistory's events) as the drill report's steps: the
 * same steps, verdicts, undo list and figures the in-process runner reports, so `drill runbook
 * --via lambda` writes the same report. Pure.
 *
 * Event shapes are the Step Functions API's HistoryEvent
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html): `type`,
 * `id`, `timestamp`, and per type `stateEnteredEventDetails { name, input }`,
 * `stateExitedEventDetails { name, output }` (API_StateEnteredEventDetails,
 * API_StateExitedEventDetails), `taskFailedEventDetails` / `taskTimedOutEventDetails { error,
 * cause }` (the `arn:aws:states:::` integrations), `lambdaFunctionFailedEventDetails` /
 * `lambdaFunctionTimedOutEventDetails { error, cause }` (a Task whose Resource is the function's
 * ARN, as LambdaInvoke with payloadResponseOnly renders it) and `executionFailedEventDetails
 * { error, cause }`. Each step's answer is read from
 * the data its Task state exits with, at `$.results.<key>` (under `Payload` for the cross-region
 * scale-up), as lib/drill-runbook.ts places it — whichever kind of Task produced it.
 */
import {
  describeAnswer,
  judgeAnswer,
  undoPlan,
  valueAt,
  type RunbookAction,
  type RunbookStep,
} from './runbook';
import { resultKey } from './runbook-states';

export interface HistoryEvent {
  type?: string;
  id?: number;
  /** A Date from the SDK; epoch seconds on the wire (JSON 1.0 protocol). */
  timestamp?: Date | number | string;
  stateEnteredEventDetails?: { name?: string; input?: string };
  stateExitedEventDetails?: { name?: string; output?: string };
  executionFailedEventDetails?: { error?: string; cause?: string };
  executionAbortedEventDetails?: { error?: string; cause?: string };
  executionTimedOutEventDetails?: { error?: string; cause?: string };
  taskFailedEventDetails?: { error?: string; cause?: string };
  taskTimedOutEventDetails?: { error?: string; cause?: string };
  lambdaFunctionFailedEventDetails?: { error?: string; cause?: string };
  lambdaFunctionTimedOutEventDetails?: { error?: string; cause?: string };
}

/** The report's step (cli/drill/drill-result.ts DrillStep, without the setup phase). */
export interface HistoryStep {
  name: string;
  ok: boolean;
  startedAt: string;
  endedAt: string;
  detail: string;
  skipped?: boolean;
}

export interface HistoryReport {
  ok: boolean;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED as the history shows it. */
  status: string;
  steps: HistoryStep[];
  undone: { name: string; ok: boolean }[];
  rtoSeconds: number | null;
  rpoSeconds: number | null;
}

function isoOf(timestamp: HistoryEvent['timestamp']): string {
  if (timestamp instanceof Date) return timestamp.toISOString();
  if (typeof timestamp === 'number') return new Date(timestamp * 1000).toISOString();
  return new Date(timestamp ?? 0).toISOString();
}

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const FAILURE_DETAILS = [
  'taskFailedEventDetails',
  'taskTimedOutEventDetails',
  'lambdaFunctionFailedEventDetails',
  'lambdaFunctionTimedOutEventDetails',
] as const;

/** The report of an execution of `runbook` from its history events, in order. */
export function reportFromHistory(
  runbook: readonly RunbookStep[],
  events: readonly HistoryEvent[],
): HistoryReport {
  const actions = new Map<string, { action: RunbookAction; step: RunbookStep | null }>();
  for (const step of runbook) actions.set(step.id, { action: step, step });
  for (const undo of undoPlan(runbook)) actions.set(undo.id, { action: undo, step: null });

  const steps: HistoryStep[] = [];
  const undone: HistoryReport['undone'] = [];
  let status = 'RUNNING';
  let executionError: string | null = null;
  let current: { id: string; startedAt: string; failure: string | null } | null = null;
  let rtoSeconds: number | null = null;
  let rpoSeconds: number | null = null;

  const finish = (endedAt: string, output: unknown) => {
    if (!current) return;
    const { action, step } = actions.get(current.id) as {
      action: RunbookAction;
      step: RunbookStep | null;
    };
    const key = resultKey(action.id);
    const data = valueAt(output, [step ? 'results' : 'undone', key]);
    const answer = action.region === 'dr' ? valueAt(data, ['Payload']) : data;
    let ok = false;
    let detail: string;
    if (data === undefined) {
      detail = current.failure ?? 'the step ended without an answer';
    } else {
      const verdict = judgeAnswer(action.accept, answer);
      ok = verdict.ok;
      detail = verdict.ok ? describeAnswer(action.accept, answer) : verdict.reason;
    }
    steps.push({ name: action.id, ok, startedAt: current.startedAt, endedAt, detail });
    if (!step) undone.push({ name: action.id, ok });
    if (ok && step?.measures === 'rto')
      rtoSeconds = (Date.parse(endedAt) - Date.parse(current.startedAt)) / 1000;
    if (ok && step?.measures === 'rpo') {
      const rpo = valueAt(answer, ['rpoSeconds']);
      rpoSeconds = typeof rpo === 'number' ? rpo : null;
    }
    current = null;
  };

  const optional = new Map(runbook.filter((s) => s.onlyWhen).map((s) => [`${s.id}?`, s]));
  for (const [index, event] of events.entries()) {
    const at = isoOf(event.timestamp);
    switch (event.type) {
      case 'ChoiceStateExited': {
        // An optional step's Choice that went elsewhere than the step: skipped, as the runner says.
        const step = optional.get(event.stateExitedEventDetails?.name ?? '');
        const nextState = events.slice(index + 1).find((e) => e.type?.endsWith('StateEntered'))
          ?.stateEnteredEventDetails?.name;
        if (step?.onlyWhen && nextState !== undefined && nextState !== step.id) {
          steps.push({
            name: step.id,
            ok: true,
            skipped: true,
            startedAt: at,
            endedAt: at,
            detail: `skipped: runs only with ${step.onlyWhen}`,
          });
        }
        break;
      }
      case 'TaskStateEntered': {
        const name = event.stateEnteredEventDetails?.name ?? '';
        if (actions.has(name)) {
          current = { id: name, startedAt: at, failure: null };
        }
        break;
      }
      case 'TaskStateExited':
        if (current && event.stateExitedEventDetails?.name === current.id)
          finish(at, parsed(event.stateExitedEventDetails.output));
        break;
      case 'ExecutionSucceeded':
        status = 'SUCCEEDED';
        break;
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimedOut': {
        status =
          { ExecutionFailed: 'FAILED', ExecutionAborted: 'ABORTED' }[event.type as string] ??
          'TIMED_OUT';
        const details =
          event.executionFailedEventDetails ??
          event.executionAbortedEventDetails ??
          event.executionTimedOutEventDetails;
        executionError = `${details?.error ?? status}${details?.cause ? `: ${details.cause}` : ''}`;
        break;
      }
      default: {
        const failure = FAILURE_DETAILS.map((k) => event[k]).find(Boolean);
        if (failure && current) {
          current.failure = `${failure.error ?? 'failed'}${failure.cause ? `: ${failure.cause}` : ''}`;
        } else if (event.type?.endsWith('StateEntered') && current) {
          // Caught: the next state was entered without the Task exiting with an answer.
          finish(at, undefined);
        }
      }
    }
  }
  // A step still running is left out until it ends; one the execution ended in has failed.
  if (current && status !== 'RUNNING') finish(isoOf(events.at(-1)?.timestamp), undefined);

  const stepFailed = steps.some((s) => !s.ok && !undone.some((u) => u.name === s.name));
  if (executionError && !stepFailed) {
    const at = isoOf(events.at(-1)?.timestamp);
    steps.push({
      name: 'execution',
      ok: false,
      startedAt: at,
      endedAt: at,
      detail: executionError,
    });
  }
  return {
    ok: status === 'SUCCEEDED' && !stepFailed,
    status,
    steps,
    undone,
    rtoSeconds,
    rpoSeconds,
  };
}
