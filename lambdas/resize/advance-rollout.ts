import { ec2Client } from '../adapters/aws/clients';
import type { DrpilotConfig, NodeGroupConfig } from '../core/config/schema';
import { rolloutPollBound, type RolloutPollBound } from '../core/resize/rollout-bound';
import { rollOutEc2, type NodeDrainer } from './ec2-rollout';
import { kubernetesDrainerFor, type DrainTimeouts } from './group-drainer';
import { LEASE_SECONDS, resizeContext } from './resize-context';
import type { RolloutNode, RolloutState } from './rollout-state';
import { pollTemplateRollout, startTemplateRollout } from './template-rollout';

export interface AdvanceOptions {
  /** The drainer for a group; default: the Kubernetes API with the group's kubeconfig secret. */
  drainerFor?: (group: NodeGroupConfig, nodes: readonly RolloutNode[]) => Promise<NodeDrainer>;
  /** Per wait inside one node's resize (drain, stopped, running, Ready). */
  timeouts?: { nodeMs: number; pollMs: number };
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  onProgress?: (message: string) => void;
}

/** How long Step Functions waits between two polls of an instance refresh or nodegroup update. */
export const TEMPLATE_POLL_SECONDS = 30;
export const DEFAULT_NODE_TIMEOUT_MS = 180_000;
export const DEFAULT_POLL_MS = 5_000;
/** How long AWS may take to replace one node of an instance refresh or nodegroup update. */
export const TEMPLATE_NODE_SECONDS = 900;
/** The resize function's timeout (`lib/resize.ts`): the longest one Advance can take. */
export const STEP_SECONDS = 900;

/** The poll bound a rollout of `group` moving `nodes` nodes starts with. */
export const pollBoundFor = (group: NodeGroupConfig, nodes: number): RolloutPollBound =>
  rolloutPollBound({
    kind: group.kind,
    nodes,
    perNodeSeconds: TEMPLATE_NODE_SECONDS,
    pollSeconds: TEMPLATE_POLL_SECONDS,
    stepSeconds: STEP_SECONDS,
  });

/**
 * One step of a rollout, short enough for one Lambda invocation: the next node of an `ec2`
 * group (drain, stop, retype, start, Ready, uncordon — or restore), or starting / polling the
 * launch-template change of an `asg` / `eks-managed` group. Renews the lease first, so a rollout
 * whose lease was lost stops here instead of racing another.
 */
export async function advanceRollout(
  config: DrpilotConfig,
  state: RolloutState,
  options: AdvanceOptions = {},
): Promise<RolloutState> {
  const group = config.nodeGroups.find((g) => g.id === state.groupId);
  if (!group) throw new Error(`node group ${state.groupId} is no longer in the config`);
  const context = resizeContext(config, group, options.now);
  const lease = await context.store.renewLease(state.lease, LEASE_SECONDS);
  // A state started before the poll bound existed gets it here.
  state = { ...state, poll: state.poll ?? pollBoundFor(group, state.nodes.length) };
  const progress = options.onProgress ?? (() => undefined);

  if (state.template) {
    const { template } = state;
    if (!template.handle) {
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
      nodes: finished
        ? state.nodes.map((n) => ({ ...n, outcome: nodeOutcome, detail: polled.detail }))
        : state.nodes,
      done: finished,
      waitSeconds: finished ? 0 : TEMPLATE_POLL_SECONDS,
    };
  }

  const node = state.nodes[state.next];
  if (!node) return { ...state, lease, done: true, waitSeconds: 0 };
  const timeouts: DrainTimeouts = {
    nodeMs: options.timeouts?.nodeMs ?? DEFAULT_NODE_TIMEOUT_MS,
    pollMs: options.timeouts?.pollMs ?? DEFAULT_POLL_MS,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  };
  const drainer = options.drainerFor
    ? await options.drainerFor(group, state.nodes)
    : await kubernetesDrainerFor(group, context.region, state.nodes, timeouts);
  const [report] = await rollOutEc2(ec2Client(context.region), drainer, [node], {
    timeoutMs: timeouts.nodeMs,
    pollMs: timeouts.pollMs,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    onProgress: progress,
    page: context.page,
  });
  if (!report) throw new Error(`the rollout reported nothing for ${node.id}`);
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
  return { ...state, lease, nodes, next, done, waitSeconds: 0 };
}
