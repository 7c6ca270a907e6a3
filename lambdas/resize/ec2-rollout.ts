import {
  instanceState,
  type Ec2,
  setInstanceType,
  startInstance,
  stopInstance,
  waitForState,
} from '../adapters/aws/ec2-instances';
import { managedElsewhere } from '../core/resize/managed-elsewhere';

export interface RolloutNode {
  id: string;
  from: string;
  to: string;
  tags: Record<string, string>;
}

/** What drains and readies a node; the Kubernetes API in production, a fake in tests. */
export interface NodeDrainer {
  /** Cordons and evicts; throws when a PodDisruptionBudget keeps blocking (the node stays up). */
  drain(instanceId: string): Promise<void>;
  waitReady(instanceId: string): Promise<void>;
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

export interface RolloutOptions {
  timeoutMs: number;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (message: string) => void;
  /** Called when a node is left stopped: a person must act now. */
  page: (message: string) => Promise<void>;
}

const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Resizes standalone nodes one at a time: drain, stop, change the type, start, wait until the
 * node is Ready, uncordon. When the new type cannot start (InsufficientInstanceCapacity,
 * IncorrectInstanceState, anything) the old type is put back and started; if even that fails the
 * node is reported stranded, a person is paged, and the rollout stops — never a silent stopped
 * node. A drain blocked by a PodDisruptionBudget stops the rollout with the node still running.
 */
export async function rollOutEc2(
  ec2: Ec2,
  drainer: NodeDrainer,
  nodes: readonly RolloutNode[],
  options: RolloutOptions,
): Promise<NodeReport[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const wait = { timeoutMs: options.timeoutMs, pollMs: options.pollMs, sleep };
  const progress = options.onProgress ?? (() => undefined);
  const reports: NodeReport[] = [];
  let stopped = false;
  /** A stopped node on `type`: started, Ready in Kubernetes, schedulable again. */
  const startAs = async (id: string, type: string) => {
    await setInstanceType(ec2, id, type);
    await startInstance(ec2, id);
    await waitForState(ec2, id, 'running', wait);
    await drainer.waitReady(id);
    await drainer.uncordon(id);
  };

  for (const node of nodes) {
    const report = (outcome: NodeOutcome, detail: string) =>
      reports.push({ id: node.id, from: node.from, to: node.to, outcome, detail });
    if (stopped) {
      report('not-started', 'the rollout stopped at an earlier node');
      continue;
    }
    const refusal = managedElsewhere(node.tags);
    if (refusal) {
      report('refused', refusal);
      stopped = true;
      continue;
    }
    progress(`${node.id}: draining`);
    try {
      await drainer.drain(node.id);
    } catch (error) {
      report('blocked', `not stopped: ${errorText(error)}`);
      stopped = true;
      continue;
    }
    progress(`${node.id}: stopping, ${node.from} → ${node.to}`);
    try {
      await stopInstance(ec2, node.id);
    } catch (error) {
      // Refused outright (throttled, unauthorized): the node still runs, so give it back.
      await drainer.uncordon(node.id);
      report(
        'blocked',
        `StopInstances failed (${errorText(error)}): uncordoned, still ${node.from}`,
      );
      stopped = true;
      continue;
    }
    try {
      await waitForState(ec2, node.id, 'stopped', wait);
      await startAs(node.id, node.to);
      report('resized', `${node.from} → ${node.to}, Ready and uncordoned`);
    } catch (error) {
      const cause = errorText(error);
      progress(`${node.id}: ${node.to} did not come up (${cause}); restoring ${node.from}`);
      try {
        if ((await instanceState(ec2, node.id)).state !== 'stopped') {
          await stopInstance(ec2, node.id);
          await waitForState(ec2, node.id, 'stopped', wait);
        }
        await startAs(node.id, node.from);
        report('restored', `${node.to} failed (${cause}); running on ${node.from} again`);
      } catch (restoreError) {
        const detail = `${node.to} failed (${cause}) and restoring ${node.from} failed too (${errorText(restoreError)}): the node is down`;
        report('stranded', detail);
        await options.page(`drpilot: node ${node.id} is stranded: ${detail}`);
      }
      stopped = true;
    }
  }
  return reports;
}
