import type { DrpilotConfig } from '../core/config/schema';
import { resizeResult } from './begin-resize';
import { startsCooldown } from '../core/resize/node-steps';
import { ROLLOUT_TIMED_OUT } from '../core/resize/rollout-bound';
import { resizeScope } from '../core/shared-names';
import { resizeContext } from './resize-context';
import { cancelTemplateRollout } from './template-rollout';
import {
  nodeReports,
  type ResizeResult,
  type RolloutNode,
  type RolloutState,
} from './rollout-state';

// A Cause can be a whole stack trace: the page and the audit get its start.
// A rollout the state machine stopped at its poll bound: the Cause says "timed out: …".
const describeError = (error: NonNullable<RolloutState['error']>) => {
  const text =
    error.Error === ROLLOUT_TIMED_OUT
      ? error.Cause || 'timed out'
      : [error.Error, error.Cause].filter(Boolean).join(': ') || 'unknown error';
  return text.length > 1000 ? `${text.slice(0, 999)}…` : text;
};

function nodesAfterError(state: RolloutState, cause: string): RolloutNode[] {
  return state.nodes.map((n, i) => {
    const inFlight = state.template ? state.template.handle !== null : i === state.next;
    if (inFlight && n.outcome === 'not-started') {
      return {
        ...n,
        outcome: 'interrupted',
        detail: `the step moving it failed (${cause}): check the instance and its node`,
      };
    }
    return n;
  });
}

/**
 * The last step of a rollout: cooldown when a node changed type (startsCooldown), audit,
 * notification, lease released.
 * A rollout the state machine cut short (`error`) is reported failed and pages, since a node may
 * be stopped or cordoned; one a pause held at a node boundary is reported `held` and pages, since
 * the group may be left on two types.
 */
export async function finishRollout(
  config: DrpilotConfig,
  state: RolloutState,
  options: { now?: () => Date } = {},
): Promise<ResizeResult> {
  const group = config.nodeGroups.find((g) => g.id === state.groupId);
  if (!group) throw new Error(`node group ${state.groupId} is no longer in the config`);
  const context = resizeContext(config, group, options.now);
  try {
    const timedOut = state.error?.Error === ROLLOUT_TIMED_OUT;
    // A launch-template change still running at the bound is cancelled where AWS allows it.
    const running = state.template?.status === 'in-progress' ? state.template.handle : null;
    const stopped = timedOut && running ? await cancelTemplateRollout(running) : null;
    const cause = state.error
      ? [describeError(state.error), stopped].filter(Boolean).join('; ')
      : null;
    const nodes = cause ? nodesAfterError(state, cause) : state.nodes;
    // Held by a pause: the group may be left split between two types, so a person hears of it.
    const held = !cause && state.held?.stopped ? state.held : null;
    if (held) {
      await context.page(
        `drpilot: the resize of ${group.id} was held by a pause (${held.detail}); nodes: ${nodes
          .map((n) => `${n.id} ${n.outcome}`)
          .join(', ')}`,
        'RESIZE HELD',
      );
    }
    if (cause) {
      await context.page(
        `drpilot: the resize of ${group.id} stopped (${cause}); nodes: ${nodes
          .map((n) => `${n.id} ${n.outcome}`)
          .join(', ')}`,
      );
    }
    const { plan } = state;
    if (startsCooldown(nodes)) {
      await context.store.startCooldown(
        resizeScope(group.id),
        group.cooldownSeconds,
        `resize ${plan.direction} to ${plan.to.type}`,
      );
    }
    const allResized = !cause && nodes.every((n) => n.outcome === 'resized');
    const firstProblem = nodes.find((n) => n.outcome !== 'resized');
    const ended = allResized
      ? plan.reason
      : held
        ? `rollout ${held.detail}`
        : timedOut
          ? (cause ?? '')
          : `rollout stopped: ${cause ?? firstProblem?.detail ?? state.template?.detail ?? ''}`;
    // A template rollout AWS ran on past a pause says so.
    const reason = state.held && !state.held.stopped ? `${ended}; ${state.held.detail}` : ended;
    const outcome = allResized ? 'resized' : held ? 'held' : 'failed';
    const result = resizeResult(group.id, outcome, reason, {
      from: plan.from.types,
      to: plan.to.type,
      p95Percent: state.p95Percent,
      plan,
      nodes: nodeReports(nodes),
    });
    return await context.record(result, state.trigger);
  } finally {
    await context.store.releaseLease(state.lease).catch(() => undefined);
  }
}
