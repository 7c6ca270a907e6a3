/**
 * The sub-steps of resizing one standalone (`ec2`) node, and what comes next given what was
 * observed (pure). Real drains outlast one Lambda invocation (long termination grace periods, a
 * PodDisruptionBudget that refills slowly), so no step waits: each does one short thing, observes,
 * and this planner says which sub-step follows and how long the state machine's Wait state (or
 * the local runner) waits before it:
 *
 *   cordon (+ first eviction round) → drain (evict what is left) … → stop → stopped? …
 *   → start (type, StartInstances) → ready? … → end (uncordoned)
 *
 * and, for a member a dead rollout left cordoned but never stopped, `uncordon` → end.
 *
 * Rules:
 * - A drain that still has pods on the node `drainSeconds` after it began ends the node as
 *   `blocked`: the node is uncordoned (unless someone else had cordoned it before) and never
 *   stopped; the rollout stops, as with any node that is not resized.
 * - StopInstances refused outright: the node still runs on its old type → uncordon, `blocked`.
 * - The new type not stopped / not started / not running and Ready within `nodeSeconds`: the old
 *   type is put back (stop if needed, old type, start, Ready) → `restored`. When even that fails
 *   or times out the node is `stranded` and a person is paged — never a silent stopped node.
 */
import { CORDONED_BY_ROLLOUT_TAG, STOPPED_BY_ROLLOUT_TAG } from '../shared-names';

export const NODE_PHASES = [
  'cordon',
  'drain',
  'stop',
  'stopped?',
  'start',
  'ready?',
  'uncordon',
] as const;
export type NodePhase = (typeof NODE_PHASES)[number];

/** Where one node's resize stands; carried in the rollout state between invocations. */
export interface NodeStep {
  phase: NodePhase;
  /** `to`: moving to the new type; `from`: putting the old type back after `cause`. */
  toward: 'to' | 'from';
  /** When the current wait began (ISO 8601): the drain, the stop, or the start. */
  since: string;
  /** The node was unschedulable before drpilot cordoned it: a blocked drain leaves it so. */
  alreadyCordoned: boolean;
  /** Why the new type is being undone (`toward: 'from'`). */
  cause: string | null;
}

/** What the sub-step did and saw. */
export type NodeObservation =
  | {
      phase: 'cordon' | 'drain';
      alreadyCordoned: boolean;
      /** `namespace/name` of pods still on the node (DaemonSet and mirror pods not counted). */
      remaining: string[];
      /** Of those, the pods whose eviction a PodDisruptionBudget refused (429) this round. */
      blocked: string[];
    }
  | { phase: 'stop' | 'start'; error: string | null }
  | { phase: 'stopped?'; state: string }
  | { phase: 'ready?'; state: string; ready: boolean }
  | { phase: 'uncordon' };

export interface NodeLimits {
  /** The group's `drainTimeoutSeconds`. */
  drainSeconds: number;
  /** How long the instance may take to stop, or to run and be Ready. */
  nodeSeconds: number;
  /** The wait between two observations. */
  pollSeconds: number;
}

export type NodeEnd = 'resized' | 'restored' | 'blocked' | 'stranded';

export type NodeDecision =
  | { kind: 'next'; step: NodeStep; waitSeconds: number }
  | { kind: 'end'; outcome: NodeEnd; detail: string; uncordon: boolean; page: boolean };

export interface NodeMove {
  id: string;
  from: string;
  to: string;
}

/** The sub-step a node's resize begins with. */
export const firstNodeStep = (now: Date): NodeStep => ({
  phase: 'cordon',
  toward: 'to',
  since: now.toISOString(),
  alreadyCordoned: false,
  cause: null,
});

/**
 * What a rollout that died inside a member's steps left it as, from the member's EC2 state and the
 * marks a rollout writes (shared-names.ts): `stopped` — stopped or stopping with
 * STOPPED_BY_ROLLOUT_TAG; `cordoned` — up, but still carrying STOPPED_BY_ROLLOUT_TAG (started
 * again, never made Ready and uncordoned) or CORDONED_BY_ROLLOUT_TAG (cordoned, maybe partly
 * drained, never stopped). Null: untouched by a rollout, or stopped or cordoned by someone else,
 * which is not drpilot's to undo. A live rollout's node carries the same marks while it moves.
 */
export function leftByRollout(
  state: string,
  tags: Readonly<Record<string, string>>,
): 'stopped' | 'cordoned' | null {
  const stopMark = tags[STOPPED_BY_ROLLOUT_TAG] !== undefined;
  if (stopMark && (state === 'stopped' || state === 'stopping')) return 'stopped';
  const up = state === 'running' || state === 'pending';
  if (up && (stopMark || tags[CORDONED_BY_ROLLOUT_TAG] !== undefined)) return 'cordoned';
  return null;
}

/**
 * What a rollout that died left this member as (leftByRollout), as status reports it: a live
 * rollout's node carries the same marks while it moves, so they say a rollout died only while no
 * rollout holds the group's lease (`lease`: the one read, null when none is stored).
 */
export function leftByDeadRollout(
  left: 'stopped' | 'cordoned' | null,
  lease: { expiresAtMs: number } | null,
  nowMs: number,
): 'stopped' | 'cordoned' | null {
  return left && (!lease || lease.expiresAtMs <= nowMs) ? left : null;
}

/**
 * Where a rollout resumes a member it finds as it begins (leftByRollout); null: nothing of a dead
 * rollout to undo. A member left stopped was cordoned and drained: it is started on the type it
 * has now (the new type once it was retyped, else its old one), then Ready and uncordoned, like a
 * moved node. One left up with the stop mark was drained and started again: it is waited on until
 * Ready and uncordoned. One left up with only the cordon mark may still have pods its drain never
 * evicted, so it is never stopped: it is uncordoned.
 */
export function resumeStep(
  state: string,
  tags: Readonly<Record<string, string>>,
  now: Date,
): NodeStep | null {
  const left = leftByRollout(state, tags);
  if (!left) return null;
  const phase: NodePhase =
    left === 'stopped'
      ? state === 'stopped'
        ? 'start'
        : 'stopped?'
      : tags[STOPPED_BY_ROLLOUT_TAG] !== undefined
        ? 'ready?'
        : 'uncordon';
  return { phase, toward: 'to', since: now.toISOString(), alreadyCordoned: false, cause: null };
}

/**
 * Whether a finished rollout starts the group's cooldown: a node moved to another type, or tried
 * to and had its old type put back. Bringing back a member a dead rollout left down or cordoned
 * (from = to) is recovery, not a resize: it starts none, so the move the next trigger asks for is
 * not refused by a cooldown nothing earned.
 */
export function startsCooldown(
  nodes: readonly { from: string; to: string; outcome: string }[],
): boolean {
  return nodes.some(
    (n) => n.from !== n.to && (n.outcome === 'resized' || n.outcome === 'restored'),
  );
}

/**
 * Sub-steps one node can take at most: cordon, drain rounds, stop, stopped? rounds, start,
 * ready? rounds — twice over the stop/start part when the old type is put back.
 */
export function nodeStepBudget(limits: NodeLimits): number {
  const polls = (seconds: number) => Math.ceil(seconds / Math.max(1, limits.pollSeconds)) + 1;
  return 1 + polls(limits.drainSeconds) + 2 * (2 + 2 * polls(limits.nodeSeconds));
}

const list = (pods: string[]) =>
  pods.length <= 5 ? pods.join(', ') : `${pods.slice(0, 5).join(', ')} and ${pods.length - 5} more`;

export function nextNodeStep(
  node: NodeMove,
  step: NodeStep,
  observed: NodeObservation,
  limits: NodeLimits,
  now: Date,
): NodeDecision {
  if (observed.phase !== step.phase) {
    throw new Error(`observed ${observed.phase} for sub-step ${step.phase} of ${node.id}`);
  }
  const elapsedSeconds = (now.getTime() - Date.parse(step.since)) / 1000;
  const wait = (phase: NodePhase, waitSeconds: number, restart = true): NodeDecision => ({
    kind: 'next',
    step: { ...step, phase, ...(restart ? { since: now.toISOString() } : {}) },
    waitSeconds,
  });
  const oldType = step.toward === 'from';
  const type = oldType ? node.from : node.to;
  /** The new type failed: put the old one back; the old one failed: the node is down. */
  const failed = (cause: string): NodeDecision =>
    oldType
      ? {
          kind: 'end',
          outcome: 'stranded',
          detail: `${node.to} failed (${step.cause ?? 'unknown'}) and restoring ${node.from} failed too (${cause}): the node is down`,
          uncordon: false,
          page: true,
        }
      : {
          kind: 'next',
          step: { ...step, phase: 'stop', toward: 'from', since: now.toISOString(), cause },
          waitSeconds: 0,
        };

  switch (observed.phase) {
    case 'cordon':
    case 'drain': {
      const cordoned =
        observed.phase === 'cordon' ? observed.alreadyCordoned : step.alreadyCordoned;
      const drainStep = { ...step, alreadyCordoned: cordoned };
      if (observed.remaining.length === 0) {
        return {
          kind: 'next',
          step: { ...drainStep, phase: 'stop', since: now.toISOString() },
          waitSeconds: 0,
        };
      }
      if (elapsedSeconds >= limits.drainSeconds) {
        const undo = cordoned ? 'left cordoned (it was before)' : 'uncordoned';
        const why =
          observed.blocked.length > 0
            ? `drain blocked by a PodDisruptionBudget: ${list(observed.blocked)} could not be evicted (429 TooManyRequests)`
            : `drain timed out: ${list(observed.remaining)} still on the node`;
        return {
          kind: 'end',
          outcome: 'blocked',
          detail: `not stopped: ${why} within drainTimeoutSeconds (${limits.drainSeconds} s); ${undo}, still ${node.from}`,
          uncordon: !cordoned,
          page: false,
        };
      }
      return {
        kind: 'next',
        step: { ...drainStep, phase: 'drain' },
        waitSeconds: Math.min(
          limits.pollSeconds,
          Math.max(0, limits.drainSeconds - elapsedSeconds),
        ),
      };
    }
    case 'stop':
      if (observed.error === null) return wait('stopped?', limits.pollSeconds);
      if (oldType) return failed(`StopInstances failed: ${observed.error}`);
      // Refused outright (throttled, unauthorized): the node still runs, so give it back.
      return {
        kind: 'end',
        outcome: 'blocked',
        detail: `StopInstances failed (${observed.error}): uncordoned, still ${node.from}`,
        uncordon: true,
        page: false,
      };
    case 'stopped?':
      if (observed.state === 'stopped') return wait('start', 0);
      if (elapsedSeconds >= limits.nodeSeconds) {
        return failed(
          `${node.id} is ${observed.state}, not stopped, after ${limits.nodeSeconds} s`,
        );
      }
      return wait('stopped?', limits.pollSeconds, false);
    case 'start':
      if (observed.error !== null) return failed(observed.error);
      return wait('ready?', limits.pollSeconds);
    case 'ready?':
      if (observed.state === 'running' && observed.ready) {
        return {
          kind: 'end',
          outcome: oldType ? 'restored' : 'resized',
          detail: oldType
            ? `${node.to} failed (${step.cause ?? 'unknown'}); running on ${node.from} again`
            : node.from === node.to
              ? `stopped by an interrupted rollout: running again on ${node.to}, Ready and uncordoned`
              : `${node.from} → ${node.to}, Ready and uncordoned`,
          uncordon: true,
          page: false,
        };
      }
      if (elapsedSeconds >= limits.nodeSeconds) {
        return failed(
          observed.state === 'running'
            ? `NodeNotReadyError: the node on ${type} was not Ready within ${limits.nodeSeconds} s`
            : `${node.id} is ${observed.state}, not running on ${type}, after ${limits.nodeSeconds} s`,
        );
      }
      return wait('ready?', limits.pollSeconds, false);
    case 'uncordon':
      return {
        kind: 'end',
        outcome: 'resized',
        detail: `left cordoned by an interrupted rollout before it was stopped: uncordoned, still ${node.from}`,
        uncordon: true,
        page: false,
      };
  }
}
