import {
  instanceState,
  instanceTags,
  type Ec2,
  setInstanceType,
  startInstance,
  stopInstance,
  tagInstance,
  untagInstance,
} from '../adapters/aws/ec2-instances';
import { managedElsewhere } from '../core/resize/managed-elsewhere';
import {
  firstNodeStep,
  nextNodeStep,
  type NodeLimits,
  type NodeObservation,
  type NodeStep,
} from '../core/resize/node-steps';
import {
  CORDONED_BY_ROLLOUT_TAG,
  ROLLOUT_MARK_TAGS,
  STOPPED_BY_ROLLOUT_TAG,
} from '../core/shared-names';

export interface RolloutNode {
  id: string;
  from: string;
  to: string;
  tags: Record<string, string>;
}

/**
 * What cordons, drains and readies a node, one short call at a time; the Kubernetes API in
 * production (`kubernetesNodeDrainer`), a fake in tests.
 */
export interface NodeDrainer {
  /** Whether the node is unschedulable now. */
  isCordoned(instanceId: string): Promise<boolean>;
  cordon(instanceId: string): Promise<{ alreadyCordoned: boolean }>;
  /** One eviction round: what is still on the node, and which evictions a budget refused. */
  evict(instanceId: string): Promise<{ remaining: string[]; blocked: string[] }>;
  isReady(instanceId: string): Promise<boolean>;
  uncordon(instanceId: string): Promise<void>;
}

/** `interrupted`: the step that was moving the node failed or timed out; its state is unknown. */
export type NodeOutcome =
  'resized' | 'restored' | 'blocked' | 'stranded' | 'refused' | 'interrupted' | 'not-started';

export interface NodeReport {
  id: string;
  from: string;
  to: string;
  outcome: NodeOutcome;
  detail: string;
}

export interface NodeStepOptions {
  limits: NodeLimits;
  now: () => Date;
  onProgress?: (message: string) => void;
  /** Called when a node is left stopped: a person must act now. */
  page: (message: string) => Promise<void>;
}

/** After one sub-step: the next one and the wait before it, or how the node ended. */
export type NodeStepResult =
  { kind: 'next'; step: NodeStep; waitSeconds: number } | { kind: 'end'; report: NodeReport };

const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** An AWS call whose refusal is an observation (the planner decides), not a failed step. */
const attempt = async (call: () => Promise<void>): Promise<string | null> =>
  call().then(
    () => null,
    (error: unknown) => errorText(error),
  );

/**
 * One sub-step of resizing one standalone node (`step` null: its first): carries out what the
 * sub-step does — cordon and evict, evict again, StopInstances, look at the state, retype and
 * StartInstances, look at the state and Ready, uncordon at the end — observes, and lets
 * `nextNodeStep` (core) decide what follows. Nothing here waits; the caller waits `waitSeconds`.
 * When the new type cannot start (InsufficientInstanceCapacity, anything) the old type is put
 * back; if even that fails the node is reported stranded and a person is paged.
 */
export async function stepEc2Node(
  ec2: Ec2,
  drainer: NodeDrainer,
  node: RolloutNode,
  step: NodeStep | null,
  options: NodeStepOptions,
): Promise<NodeStepResult> {
  const progress = options.onProgress ?? (() => undefined);
  const end = (outcome: NodeOutcome, detail: string): NodeStepResult => ({
    kind: 'end',
    report: { id: node.id, from: node.from, to: node.to, outcome, detail },
  });
  if (!step) {
    const refusal = managedElsewhere(node.tags);
    if (refusal) return end('refused', refusal);
    step = firstNodeStep(options.now());
  }
  const type = step.toward === 'to' ? node.to : node.from;
  let observed: NodeObservation;
  switch (step.phase) {
    case 'cordon': {
      progress(`${node.id}: cordoning and draining`);
      // Marked before the cordon, and only a node that was schedulable: a rollout that dies from
      // here on leaves the evidence the next one uncordons it by (resumeStep), and a node someone
      // else cordoned is never marked, so its cordon is kept. A node carrying the mark (a dead
      // rollout's, or this step's own earlier try) is this rollout's to uncordon.
      const marked = (await instanceTags(ec2, node.id))[CORDONED_BY_ROLLOUT_TAG] !== undefined;
      const cordonedByOthers = !marked && (await drainer.isCordoned(node.id));
      if (!marked && !cordonedByOthers) {
        await tagInstance(ec2, node.id, CORDONED_BY_ROLLOUT_TAG, options.now().toISOString());
      }
      await drainer.cordon(node.id);
      observed = {
        phase: 'cordon',
        alreadyCordoned: cordonedByOthers,
        ...(await drainer.evict(node.id)),
      };
      break;
    }
    case 'drain':
      observed = {
        phase: 'drain',
        alreadyCordoned: step.alreadyCordoned,
        ...(await drainer.evict(node.id)),
      };
      break;
    case 'stop':
      progress(
        step.toward === 'to'
          ? `${node.id}: stopping, ${node.from} → ${node.to}`
          : `${node.id}: ${node.to} did not come up (${step.cause}); restoring ${node.from}`,
      );
      observed = {
        phase: 'stop',
        // Putting the old type back: the instance may be stopped already.
        error: await attempt(async () => {
          if (step.toward === 'from' && (await instanceState(ec2, node.id)).state === 'stopped')
            return;
          // Marked first: a rollout that dies while the node is down leaves the evidence the next
          // one resumes it by (resumeStep); no mark, no stop.
          await tagInstance(ec2, node.id, STOPPED_BY_ROLLOUT_TAG, options.now().toISOString());
          await stopInstance(ec2, node.id);
        }),
      };
      break;
    case 'stopped?':
      observed = { phase: 'stopped?', state: (await instanceState(ec2, node.id)).state };
      break;
    case 'start':
      progress(`${node.id}: starting on ${type}`);
      observed = {
        phase: 'start',
        error: await attempt(async () => {
          // A node resumed after an interrupted rollout (from = to) keeps the type it has.
          if (node.from !== node.to) await setInstanceType(ec2, node.id, type);
          await startInstance(ec2, node.id);
        }),
      };
      break;
    case 'ready?': {
      const { state } = await instanceState(ec2, node.id);
      observed = {
        phase: 'ready?',
        state,
        ready: state === 'running' && (await drainer.isReady(node.id)),
      };
      break;
    }
    case 'uncordon':
      progress(`${node.id}: left cordoned by an interrupted rollout; uncordoning`);
      observed = { phase: 'uncordon' };
      break;
  }
  const decision = nextNodeStep(node, step, observed, options.limits, options.now());
  if (decision.kind === 'next') return decision;
  if (decision.uncordon) {
    await drainer.uncordon(node.id);
    await untagInstance(ec2, node.id, ROLLOUT_MARK_TAGS);
  }
  if (decision.page) {
    await options.page(`drpilot: node ${node.id} is stranded: ${decision.detail}`);
  }
  progress(`${node.id}: ${decision.outcome} — ${decision.detail}`);
  return end(decision.outcome, decision.detail);
}
