import { startExecution } from '../adapters/aws/step-functions';
import type { Side } from '../core/config/schema';
import type { AdvanceOptions } from './advance-rollout';
import { beginResize, resizeResult } from './begin-resize';
import type { ResizeEnvironment } from './environment';
import { finishRollout } from './finish-rollout';
import type { ResizeAsk } from './resize-ask';
import { nodeReports, type ResizeResult } from './rollout-state';

/** A rollout handed to the state machine; `drpilot resize --via lambda` follows it. */
export interface ResizeStarted extends Omit<ResizeResult, 'outcome'> {
  outcome: 'started';
  executionArn: string;
}

/** Plans the resize an ask wants and, when nodes move, hands the rollout to the state machine. */
export async function startRollout(
  environment: ResizeEnvironment,
  ask: ResizeAsk,
  options: AdvanceOptions,
): Promise<ResizeResult | ResizeStarted> {
  const { config, region, stateMachineArn } = environment;
  const group = config.nodeGroups.find((g) => g.id === ask.groupId);
  const groupRegion = group ? config.clusters[group.cluster as Side].region : null;
  if (group && groupRegion !== region) {
    return resizeResult(
      ask.groupId,
      'refused',
      `node group ${ask.groupId} is in ${groupRegion}; this function serves ${region}`,
    );
  }
  const begun = await beginResize(config, ask.groupId, { ...ask, ...options });
  if (begun.kind === 'result') return begun.result;
  const { state } = begun;
  try {
    const executionArn = await startExecution(region, stateMachineArn, state.id, state);
    options.onProgress?.(`rollout of ${ask.groupId} started: ${executionArn}`);
    return {
      outcome: 'started',
      group: ask.groupId,
      from: state.plan.from.types,
      to: state.plan.to.type,
      nodes: nodeReports(state.nodes),
      reason: state.plan.reason,
      p95Percent: state.p95Percent,
      plan: state.plan,
      executionArn,
    };
  } catch (error) {
    // Nothing moved yet: record the failure and give the lease back, without paging.
    const detail = `not started: ${error instanceof Error ? error.message : String(error)}`;
    await finishRollout(config, {
      ...state,
      done: true,
      nodes: state.nodes.map((n) => ({ ...n, detail })),
    });
    throw error;
  }
}
