import type { Lease } from '../adapters/aws/state-store';
import type { NodeStep } from '../core/resize/node-steps';
import type { ResizePlan, ResizeStep } from '../core/resize/plan-resize';
import type { RolloutPollBound } from '../core/resize/rollout-bound';
import type { RolloutHold } from '../core/resize/rollout-pause';
import type { TemplateTarget } from '../core/resize/template-target';
import type { NodeReport } from './ec2-rollout';
import type { TemplateRolloutHandle } from './template-rollout';

/** `held`: a pause of `resize` held the rollout at a node boundary (some nodes not started). */
export type ResizeOutcome =
  'resized' | 'noop' | 'refused' | 'dry-run' | 'failed' | 'pending' | 'held';

/** The contract's resize result. */
export interface ResizeResult {
  outcome: ResizeOutcome;
  group: string;
  from: string[] | null;
  to: string | null;
  nodes: NodeReport[];
  reason: string;
  /** p95 utilisation of the alarmed metric over the window, when measured. */
  p95Percent: number | null;
  plan: ResizePlan | null;
}

/** A node of an `ec2` rollout with what drain needs to find its Kubernetes node. */
export interface RolloutNode extends NodeReport {
  privateDnsName: string | null;
  tags: Record<string, string>;
  /**
   * A member a dead rollout left down or cordoned: the sub-step it resumes at (`resumeStep`), not
   * `cordon`.
   */
  resume?: NodeStep | null;
}

/** An `asg` / `eks-managed` rollout: one launch-template change that AWS rolls out. */
export interface TemplateRolloutState {
  target: TemplateTarget;
  handle: TemplateRolloutHandle | null;
  status: 'not-started' | 'in-progress' | 'succeeded' | 'failed' | 'rolled-back';
  detail: string;
}

/**
 * Everything a rollout in progress needs, as JSON: Step Functions carries it from one step to
 * the next (Advance → Wait → Advance … → Finish), and the local runner loops over the same steps,
 * sleeping where the state machine waits.
 * `error` is set by the state machine's Catch when a step failed (a Lambda timeout included).
 */
export interface RolloutState {
  drpilotRollout: 1;
  id: string;
  groupId: string;
  trigger: string;
  lease: Lease;
  startedAt: string;
  plan: ResizeStep;
  p95Percent: number | null;
  /** `ec2`: the plan's nodes in rollout order; the template kinds: the members moving with it. */
  nodes: RolloutNode[];
  /** `ec2`: index of the next node to resize. */
  next: number;
  /**
   * `ec2`: the sub-step of node `next` in progress (drain, stop, start, Ready — `nextNodeStep`);
   * absent or null before its first sub-step.
   */
  step?: NodeStep | null;
  template: TemplateRolloutState | null;
  done: boolean;
  /** How long the state machine waits before the next step. */
  waitSeconds: number;
  /**
   * The poll bound (per-node budget × nodes, `rolloutPollBound`): the state machine counts the
   * Advances that were not done and, at `max`, finishes the rollout as timed out. Absent only in
   * states started before the bound existed; the next Advance sets it.
   */
  poll?: RolloutPollBound;
  /**
   * A pause of `resize` seen during the rollout (`decideRolloutPause`): `stopped`, it held the
   * rollout at a node boundary; otherwise AWS's template rollout ran on past it.
   */
  held?: RolloutHold | null;
  error?: { Error?: string; Cause?: string };
}

/** The contract's per-node report of rollout nodes (without what drain needed to find them). */
export const nodeReports = (nodes: readonly RolloutNode[]): NodeReport[] =>
  nodes.map(({ id, from, to, outcome, detail }) => ({ id, from, to, outcome, detail }));

export function isRolloutState(value: unknown): value is RolloutState {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { drpilotRollout?: unknown }).drpilotRollout === 1
  );
}
