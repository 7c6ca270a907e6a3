import { describeExecution } from '../lambdas/adapters/aws/step-functions';
import type { DrpilotConfig, NodeGroupConfig, Side } from '../lambdas/core/config/schema';
import type { ResizeStarted } from '../lambdas/resize/start-rollout';
import type { ResizeResult } from '../lambdas/resize/rollout-state';
import { invokeDeployed } from './via-lambda';

const POLL_MS = [250, 500, 1_000, 2_000, 5_000] as const;
const pollDelay = (poll: number) => POLL_MS[Math.min(poll, POLL_MS.length - 1)] ?? 5_000;

/**
 * `drpilot resize --via lambda`: asks the group's regional resize function, and when it hands a
 * rollout to the state machine, follows the execution to its end and returns the Finish step's
 * result (the same document `--via local` prints).
 */
export async function resizeViaLambda(
  config: DrpilotConfig,
  group: NodeGroupConfig,
  payload: Record<string, unknown>,
  progress: (message: string) => void,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<ResizeResult> {
  const region = config.clusters[group.cluster as Side].region;
  const answer = (await invokeDeployed(config, 'resize', payload, region)) as
    ResizeResult | ResizeStarted;
  if (answer.outcome !== 'started') return answer;
  const { executionArn } = answer;
  progress(`rollout of ${answer.nodes.length} node(s) to ${answer.to} started: ${executionArn}`);
  const started = Date.now();
  for (let poll = 0; ; poll++) {
    const execution = await describeExecution(region, executionArn);
    if (execution.status === 'SUCCEEDED') return execution.output as ResizeResult;
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') {
      return {
        group: answer.group,
        from: answer.from,
        to: answer.to,
        nodes: answer.nodes,
        p95Percent: answer.p95Percent,
        plan: answer.plan,
        outcome: 'failed',
        reason: `the rollout execution ${execution.status}${execution.error ? `: ${execution.error}` : ''}${execution.cause ? ` (${execution.cause})` : ''}; see ${executionArn}`,
      };
    }
    if (poll > 0 && poll % 10 === 0) {
      progress(`rollout running for ${Math.round((Date.now() - started) / 1000)} s`);
    }
    await sleep(pollDelay(poll));
  }
}
