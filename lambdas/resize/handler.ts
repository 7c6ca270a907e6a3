import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Logger } from '@aws-lambda-powertools/logger';
import { cloudWatchClient, sfnClient } from '../adapters/aws/clients';
import { alarmingAlarmNames } from '../adapters/aws/metric-alarms';
import type { DrpilotConfig, Side } from '../core/config/schema';
import { TriggerEventError } from '../core/events/trigger-event';
import { accountOfFunctionArn } from '../core/events/trigger-trust';
import { groupsToReplan } from '../core/resize/replan';
import {
  checkRolloutShape,
  judgeRolloutLease,
  looksLikeRolloutState,
  resizeScope,
} from '../core/resize/rollout-trust';
import { resizeAlarmPrefix } from '../core/shared-names';
import { withObservability } from '../shared/powertools';
import { runtimeConfig } from '../shared/runtime-config';
import { advanceRollout, type AdvanceOptions } from './advance-rollout';
import { beginResize, resizeResult } from './begin-resize';
import { finishRollout } from './finish-rollout';
import { askFromEvent, REPLAN_ACTION, type ResizeAsk } from './resize-ask';
import { resizeContext } from './resize-context';
import { nodeReports, type ResizeResult, type RolloutState } from './rollout-state';

export { REPLAN_ACTION };

/** The environment variable the CDK app sets to the rollout state machine's ARN. */
export const RESIZE_STATE_MACHINE_ENV = 'DRPILOT_RESIZE_STATE_MACHINE_ARN';

/** A rollout handed to the state machine; `drpilot resize --via lambda` follows it. */
export interface ResizeStarted extends Omit<ResizeResult, 'outcome'> {
  outcome: 'started';
  executionArn: string;
}

/**
 * A rollout state sent back by the state machine — or by anyone allowed to invoke the function:
 * carried on only when well formed and matching the group's lease, else rejected with no write.
 */
async function continueRollout(
  config: DrpilotConfig,
  event: unknown,
  options: AdvanceOptions,
  logger: Logger,
): Promise<RolloutState | ResizeResult> {
  const reject = (message: string, issues: { path: string; message: string }[] = []) =>
    new TriggerEventError(`rollout state rejected: ${message}`, 'rollout-state', issues);
  const checked = checkRolloutShape(event);
  if (!checked.ok) {
    throw reject(checked.issues.map((i) => `${i.path}: ${i.message}`).join('; '), checked.issues);
  }
  const { state } = checked;
  const group = config.nodeGroups.find((g) => g.id === state.groupId);
  if (!group) {
    throw reject(`groupId: "${state.groupId}" is not a configured node group`, [
      { path: 'groupId', message: 'not a configured node group' },
    ]);
  }
  const { store } = resizeContext(config, group, options.now);
  const judged = judgeRolloutLease(state, await store.readLease(resizeScope(state.groupId)));
  if (!judged.ok) throw reject(judged.reason, [{ path: 'lease', message: judged.reason }]);
  // Checked above: the shape RolloutState describes, with the lease this rollout holds.
  const rollout = event as RolloutState;
  if (rollout.done || rollout.error) return finishRollout(config, rollout, options);
  return advanceRollout(config, rollout, {
    ...options,
    onProgress: (message) => logger.info(message),
  });
}

/** Plans the resize an ask wants and, when nodes move, hands the rollout to the state machine. */
async function startResize(
  config: DrpilotConfig,
  ask: ResizeAsk,
  options: AdvanceOptions,
  logger: Logger,
): Promise<ResizeResult | ResizeStarted> {
  const group = config.nodeGroups.find((g) => g.id === ask.groupId);
  const region = process.env.AWS_REGION;
  const groupRegion = group ? config.clusters[group.cluster as Side].region : null;
  if (group && region && groupRegion !== region) {
    return resizeResult(
      ask.groupId,
      'refused',
      `node group ${ask.groupId} is in ${groupRegion}; this function serves ${region}`,
    );
  }
  const onProgress = (message: string) => logger.info(message);
  const begun = await beginResize(config, ask.groupId, { ...ask, ...options, onProgress });
  if (begun.kind === 'result') return begun.result;
  const { state } = begun;
  const stateMachineArn = process.env[RESIZE_STATE_MACHINE_ENV];
  try {
    if (!stateMachineArn) throw new Error(`${RESIZE_STATE_MACHINE_ENV} is not set`);
    const { executionArn } = await sfnClient(region ?? config.controlRegion).send(
      new StartExecutionCommand({ stateMachineArn, name: state.id, input: JSON.stringify(state) }),
    );
    logger.info('rollout started', { group: ask.groupId, executionArn });
    return {
      outcome: 'started',
      group: ask.groupId,
      from: state.plan.from.types,
      to: state.plan.to.type,
      nodes: nodeReports(state.nodes),
      reason: state.plan.reason,
      p95Percent: state.p95Percent,
      plan: state.plan,
      executionArn: executionArn ?? '',
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

/** The every-5-minutes re-plan of this region's groups whose member alarms are still in ALARM. */
async function replan(config: DrpilotConfig, options: AdvanceOptions, logger: Logger) {
  const region = process.env.AWS_REGION ?? '';
  const alarming = await alarmingAlarmNames(cloudWatchClient(region), resizeAlarmPrefix(config));
  const groups = [];
  for (const { groupId, alarms } of groupsToReplan(config, region, alarming)) {
    const ask = { groupId, request: { kind: 'auto' } as const, dryRun: false };
    const named = alarms.length === 1 ? alarms[0] : `${alarms.length} alarms, first ${alarms[0]}`;
    const result = await startResize(
      config,
      { ...ask, trigger: `re-plan: ${named} in ALARM` },
      options,
      logger,
    );
    groups.push({ id: groupId, alarms, outcome: result.outcome, reason: result.reason });
  }
  logger.info('re-plan', { groups });
  return { action: REPLAN_ACTION, groups };
}

/**
 * The resize function. Alarms (EventBridge, SNS, the alarm's Lambda action) and people
 * (`{ "action": "resize", "groupId": …, "to"|"step"?, "dryRun"? }`) start a resize: it is planned
 * here and, when nodes move, handed to the rollout state machine. The state machine calls back
 * with the rollout's state for each Advance and for the Finish. `{ "action": "reconcile" }`
 * (every 5 minutes) plans again every group whose member alarms are still in ALARM.
 */
export const createResizeHandler = (options: AdvanceOptions = {}) =>
  withObservability('resize', async (event: unknown, context, { logger }) => {
    const config = runtimeConfig();
    if (looksLikeRolloutState(event)) return continueRollout(config, event, options, logger);
    const deployment = {
      region: process.env.AWS_REGION ?? config.controlRegion,
      accountId: accountOfFunctionArn(context?.invokedFunctionArn),
    };
    const ask = await askFromEvent(config, event, deployment, options.now ?? (() => new Date()));
    if (ask === REPLAN_ACTION) return replan(config, options, logger);
    if (!('request' in ask)) {
      logger.info('nothing to do', { reason: ask.reason });
      return ask;
    }
    return startResize(config, ask, options, logger);
  });

export const handler = createResizeHandler();
