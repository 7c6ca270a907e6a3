/**
 * The drill runbook: the ordered steps of a drill, defined once as data. The CDK builds the
 * deployed state machine from it (lib/drill-runbook.ts) and the CLI's in-process runner executes
 * it (cli/drill/runbook-runner.ts); both invoke the same handler actions with the same payloads
 * and judge each answer by the same rule. Pure.
 */
import type { DrpilotConfig } from '../config/schema';

/** The deployed function a step invokes (`<name>-drpilot-<job>`). */
export type RunbookJob = 'status' | 'resize' | 'resync' | 'restore' | 'dns' | 'aks';

/** What an execution is started with: `drpilot drill runbook [--live] [--scale-up]`. */
export interface RunbookInput {
  /** Flip dns.drillRecordName (true) or, with --live, the customer-facing record (false). */
  drill: boolean;
  /** Run the optional scale-up of the DR node groups (and scale them down when undoing). */
  scaleUp: boolean;
}

/** A payload field: a literal, or a field of the execution's input. */
export type PayloadValue = string | boolean | { input: keyof RunbookInput };

/** The step passed when the value at `path` in the function's answer is one of `oneOf`. */
export interface AcceptRule {
  path: readonly string[];
  oneOf: readonly (string | number | boolean)[];
}

export interface RunbookAction {
  /** The state's name in the state machine and the step's name in the report (≤ 80 characters). */
  id: string;
  job: RunbookJob;
  /** Where the function runs: the control region, or the DR cluster's region (resize). */
  region: 'control' | 'dr';
  /** The manual payload the handler takes (DESIGN.md "Lambda events"). */
  payload: Readonly<Record<string, PayloadValue>>;
  accept: AcceptRule;
}

export interface RunbookStep extends RunbookAction {
  /** Runs only when this input flag is true; otherwise the step is skipped. */
  onlyWhen?: keyof RunbookInput;
  /** What the answer measures for the report. */
  measures?: 'rpo' | 'rto';
  /** Reversible: the action that undoes it when a later step fails. */
  undo?: RunbookAction;
}

const REASON = 'drill runbook';
const DRILL = { input: 'drill' } as const;

/**
 * The steps of a drill for this config: preflight; the optional scale-up of each DR node group;
 * re-sync; the restore drill (with backups.restoreDrill); switch to dr (the DNS function's switch
 * checks the target's TLS certificate for the main name and waits for INSYNC before it answers
 * `switched`); verify DNS and TLS (the switched record points at dr, and dr's endpoint presents a
 * certificate covering the main name); the AKS side told (with azure) and confirmed through its
 * signed state endpoint; switch back. RTO and RPO come from the switch's duration and the re-sync's answer.
 */
export function drillRunbook(config: DrpilotConfig): RunbookStep[] {
  const scaleUps: RunbookStep[] = config.nodeGroups
    .filter((g) => g.cluster === 'dr')
    .map((g) => ({
      id: `scale up ${g.id}`,
      job: 'resize',
      region: 'dr',
      onlyWhen: 'scaleUp',
      payload: { action: 'resize', groupId: g.id, step: 'up', reason: REASON },
      accept: { path: ['outcome'], oneOf: ['resized', 'started', 'noop'] },
      undo: {
        id: `undo: scale down ${g.id}`,
        job: 'resize',
        region: 'dr',
        payload: { action: 'resize', groupId: g.id, step: 'down', reason: `${REASON}: undo` },
        accept: { path: ['outcome'], oneOf: ['resized', 'started', 'noop'] },
      },
    }));
  const restore: RunbookStep[] = config.backups.restoreDrill
    ? [
        {
          id: 'restore drill',
          job: 'restore',
          region: 'control',
          payload: { action: 'verify-restore', reason: REASON },
          accept: { path: ['outcome'], oneOf: ['verified'] },
        },
      ]
    : [];
  const aks: RunbookStep[] = config.azure
    ? [
        {
          id: 'AKS told',
          job: 'aks',
          region: 'control',
          payload: { action: 'flush', reason: REASON },
          accept: { path: ['pendingAfter'], oneOf: [0] },
        },
        {
          id: 'AKS confirmed',
          job: 'status',
          region: 'control',
          payload: { action: 'status', reason: REASON },
          accept: { path: ['aks', 'functionApp', 'ok'], oneOf: [true] },
        },
      ]
    : [];
  return [
    {
      id: 'preflight',
      job: 'status',
      region: 'control',
      payload: { action: 'status', reason: REASON },
      accept: { path: ['dns', 'activeSide'], oneOf: ['primary'] },
    },
    ...scaleUps,
    {
      id: 're-sync',
      job: 'resync',
      region: 'control',
      measures: 'rpo',
      payload: { action: 'resync', reason: REASON },
      accept: { path: ['outcome'], oneOf: ['copied', 'noop'] },
    },
    ...restore,
    {
      id: 'switch to dr',
      job: 'dns',
      region: 'control',
      measures: 'rto',
      payload: { action: 'failover', reason: REASON, drill: DRILL },
      accept: { path: ['outcome'], oneOf: ['switched'] },
      undo: {
        id: 'undo: switch back to primary',
        job: 'dns',
        region: 'control',
        // Within the cooldown of the switch it undoes: forced (audited), never past the lease.
        payload: { action: 'failback', reason: `${REASON}: undo`, drill: DRILL, force: true },
        accept: { path: ['outcome'], oneOf: ['switched', 'noop'] },
      },
    },
    {
      id: 'verify DNS and TLS',
      job: 'dns',
      region: 'control',
      // The record (as Route 53 holds it) points at dr, whose certificate covers the main name.
      payload: { action: 'verify', reason: REASON, drill: DRILL },
      accept: { path: ['verifiedSide'], oneOf: ['dr'] },
    },
    ...aks,
    {
      id: 'switch back to primary',
      job: 'dns',
      region: 'control',
      payload: { action: 'failback', reason: REASON, drill: DRILL, force: true },
      accept: { path: ['outcome'], oneOf: ['switched'] },
    },
  ];
}

/** The payload a step sends for this input. */
export function payloadFor(
  action: Pick<RunbookAction, 'payload'>,
  input: RunbookInput,
): Record<string, string | boolean> {
  return Object.fromEntries(
    Object.entries(action.payload).map(([key, value]) => [
      key,
      typeof value === 'object' ? input[value.input] : value,
    ]),
  );
}

/** The value at the rule's path in an answer, or undefined. */
export function valueAt(answer: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (at, key) =>
      at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined,
    answer,
  );
}

/** Whether an answer passes; otherwise why not, naming the field and what was expected. */
export function judgeAnswer(
  rule: AcceptRule,
  answer: unknown,
): { ok: true } | { ok: false; reason: string } {
  const value = valueAt(answer, rule.path);
  if (rule.oneOf.some((expected) => expected === value)) return { ok: true };
  const reason = valueAt(answer, ['reason']);
  return {
    ok: false,
    reason: `${rule.path.join('.')} is ${JSON.stringify(value) ?? 'missing'}, expected ${rule.oneOf.map((v) => JSON.stringify(v)).join(' or ')}${typeof reason === 'string' ? ` (${reason})` : ''}`,
  };
}

/** A passing answer in a line: its outcome (and reason), or the value the rule read. */
export function describeAnswer(rule: AcceptRule, answer: unknown): string {
  const outcome = valueAt(answer, ['outcome']);
  const reason = valueAt(answer, ['reason']);
  if (typeof outcome === 'string')
    return typeof reason === 'string' ? `${outcome}: ${reason}` : outcome;
  return `${rule.path.join('.')} is ${JSON.stringify(valueAt(answer, rule.path))}`;
}

/** What undoing needs after the steps `done` (in order) passed: their undo actions, newest first. */
export function undoPlan(done: readonly RunbookStep[]): RunbookAction[] {
  return done.flatMap((step) => (step.undo ? [step.undo] : [])).reverse();
}
