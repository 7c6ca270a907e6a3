import { ec2Client } from '../adapters/aws/sdk-clients/ec2';
import type { DrpilotConfig, NodeGroupConfig } from '../core/config/schema';
import type { NodeLimits } from '../core/resize/node-steps';
import { rolloutPollBound, type RolloutPollBound } from '../core/resize/rollout-bound';
import { decideRolloutPause, type RolloutHold } from '../core/resize/rollout-pause';
import { pauseOf } from '../pause/pause-gate';
import { stepEc2Node, type NodeDrainer } from './ec2-rollout';
import { kubernetesDrainerFor } from './group-drainer';
import { LEASE_SECONDS, resizeContext } from './resize-context';
import type { RolloutNode, RolloutState } from './rollout-state';
import { pollTemplateRollout, startTemplateRollout } from './template-rollout';

export interface AdvanceOptions {
  /** The drainer for a group; default: the Kubernetes API with the group's kubeconfig secret. */
  drainerFor?: (group: NodeGroupConfig, nodes: readonly RolloutNode[]) => Promise<NodeDrainer>;
  /**
   * `nodeMs`: how long an instance may take to stop, or to run and be Ready (default 180 s);
   * `pollMs`: the local runner's sleep between sub-steps instead of the state machine's wait.
   */
  timeouts?: { nodeMs: number; pollMs: number };
  /** The local runner's sleep between sub-steps (default: setTimeout). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  onProgress?: (message: string) => void;
}

/** How long Step Functions waits between two polls of an instance refresh or nodegroup update. */
export const TEMPLATE_POLL_SECONDS = 30;
/** How long Step Functions waits between two sub-steps of one `ec2` node (drain, stopped, Ready). */
export const NODE_POLL_SECONDS = 10;
export const DEFAULT_NODE_TIMEOUT_MS = 180_000;
/** How long AWS may take to replace one node of an instance refresh or nodegroup update. */
export const TEMPLATE_NODE_SECONDS = 900;

/** One `ec2` node's budgets: the group's drain timeout, the stop/start timeout, the poll. */
export const nodeLimitsFor = (
  group: NodeGroupConfig,
  nodeMs = DEFAULT_NODE_TIMEOUT_MS,
): NodeLimits => ({
  drainSeconds: group.drainTimeoutSeconds,
  nodeSeconds: nodeMs / 1000,
  pollSeconds: NODE_POLL_SECONDS,
});

/** The poll bound a rollout of `group` moving `nodes` nodes starts with. */
export const pollBoundFor = (group: NodeGroupConfig, nodes: number): RolloutPollBound =>
  group.kind === 'ec2'
    ? rolloutPollBound({ kind: 'ec2', nodes, limits: nodeLimitsFor(group) })
    : rolloutPollBound({
        kind: group.kind,
        nodes,
        perNodeSeconds: TEMPLATE_NODE_SECONDS,
        pollSeconds: TEMPLATE_POLL_SECONDS,
      });

/**
 * One step of a rollout, short enough for one Lambda invocation: the next sub-step of the current
 * node of an `ec2` group (cordon and evict, evict again, stop, stopped?, retype and start, Ready?
 * and uncordon — or the restore), or starting / polling the launch-template change of an `asg` /
 * `eks-managed` group. The waits in between are the state machine's (or the local runner's). Renews the lease first, so a rollout
 * whose lease was lost stops here instead of racing another.
 */
export async function advanceRollout(
  config: DrpilotConfig,
  given: RolloutState,
  options: AdvanceOptions = {},
): Promise<RolloutState & { poll: RolloutPollBound }> {
  const group = config.nodeGroups.find((g) => g.id === given.groupId);
  if (!group) throw new Error(`node group ${given.groupId} is no longer in the config`);
  const context = resizeContext(config, group, options.now);
  const lease = await context.store.renewLease(given.lease, LEASE_SECONDS);
  // A state started before the poll bound existed gets it here.
  const state = { ...given, poll: given.poll ?? pollBoundFor(group, given.nodes.length) };
  const progress = options.onProgress ?? (() => undefined);
  const now = options.now ?? (() => new Date());
  /** Asks the pause; `atBoundary`: before a node (or AWS's rollout) starts. */
  const pauseDecision = async (atBoundary: boolean) =>
    decideRolloutPause(await pauseOf(config, 'resize', now), now().getTime(), {
      kind: group.kind,
      atBoundary,
      done: state.nodes.slice(0, state.next).map((n) => ({ id: n.id, outcome: n.outcome })),
      notStarted: state.nodes.slice(state.template ? 0 : state.next).map((n) => n.id),
      toType: state.plan.to.type,
    });
  /** Held at a boundary: every node not started says why, and the rollout goes to Finish. */
  const heldAt = (hold: RolloutHold, from: number) => {
    progress(`${group.id}: ${hold.detail}`);
    return {
      ...state,
      lease,
      held: hold,
      nodes: state.nodes.map((n, i) =>
        i >= from
          ? {
              ...n,
              outcome: 'not-started' as const,
              detail: `held by the pause of resize (paused by ${hold.by}: ${hold.reason})`,
            }
          : n,
      ),
      step: null,
      done: true,
      waitSeconds: 0,
    };
  };

  if (state.template) {
    const { template } = state;
    if (!template.handle) {
      const decided = await pauseDecision(true);
      if (decided.kind === 'hold') return heldAt(decided.hold, 0);
      progress(
        `${group.id}: new launch-template version with ${state.plan.to.type}, then the rollout`,
      );
      const handle = await startTemplateRollout(
        template.target,
        state.plan.to.type,
        state.plan.reason,
      );
      return {
        ...state,
        lease,
        template: { ...template, handle, status: 'in-progress', detail: 'started' },
        waitSeconds: TEMPLATE_POLL_SECONDS,
      };
    }
    const polled = await pollTemplateRollout(template.handle);
    progress(`${group.id}: ${polled.status} — ${polled.detail}`);
    // AWS's rollout is not stopped by a pause; the first one seen is noted for the result.
    const noted = state.held ? null : await pauseDecision(false);
    if (noted?.kind === 'note') progress(`${group.id}: ${noted.hold.detail}`);
    const finished = polled.status !== 'in-progress';
    const nodeOutcome =
      polled.status === 'succeeded'
        ? 'resized'
        : polled.status === 'rolled-back'
          ? 'restored'
          : 'interrupted';
    return {
      ...state,
      lease,
      template: { ...template, status: polled.status, detail: polled.detail },
      held: noted?.kind === 'note' ? noted.hold : (state.held ?? null),
      nodes: finished
        ? state.nodes.map((n) => ({ ...n, outcome: nodeOutcome, detail: polled.detail }))
        : state.nodes,
      done: finished,
      waitSeconds: finished ? 0 : TEMPLATE_POLL_SECONDS,
    };
  }

  const node = state.nodes[state.next];
  if (!node) return { ...state, lease, done: true, waitSeconds: 0 };
  // A node a dead rollout left down or cordoned is brought back whatever the pause says.
  const step = state.step ?? node.resume ?? null;
  if (!step) {
    // A node boundary: the pause is asked before a node starts, never in the middle of one.
    const decided = await pauseDecision(true);
    if (decided.kind === 'hold') return heldAt(decided.hold, state.next);
  }
  const drainer = options.drainerFor
    ? await options.drainerFor(group, state.nodes)
    : await kubernetesDrainerFor(group, context.region, state.nodes);
  const stepped = await stepEc2Node(ec2Client(context.region), drainer, node, step, {
    limits: nodeLimitsFor(group, options.timeouts?.nodeMs),
    now,
    onProgress: progress,
    page: context.page,
  });
  if (stepped.kind === 'next') {
    return { ...state, lease, step: stepped.step, done: false, waitSeconds: stepped.waitSeconds };
  }
  const { report } = stepped;
  const stopped = report.outcome !== 'resized';
  const nodes = state.nodes.map((n, i) => {
    if (i === state.next) return { ...n, outcome: report.outcome, detail: report.detail };
    if (i > state.next && stopped)
      return {
        ...n,
        outcome: 'not-started' as const,
        detail: 'the rollout stopped at an earlier node',
      };
    return n;
  });
  const next = state.next + 1;
  const done = stopped || next >= nodes.length;
  return { ...state, lease, nodes, next, step: null, done, waitSeconds: 0 };
}
