import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Logger } from '@aws-lambda-powertools/logger';
import { cloudWatchClient, sfnClient } from '../aws/clients';
import { alarmingAlarmNames } from '../aws/metric-alarms';
import type { DrpilotConfig, Side } from '../core/config/schema';
import { parseTriggerEvent, TriggerEventError } from '../core/events/alarm-event';
import type { ResizeRequest } from '../core/resize/plan-resize';
import { groupsToReplan } from '../core/resize/replan';
import { parseResizeAlarmName, resizeAlarmPrefix } from '../core/resource-names';
import { withObservability } from '../shared/powertools';
import { runtimeConfig } from '../shared/runtime-config';
import { advanceRollout, type AdvanceOptions } from './advance-rollout';
import { beginResize, resizeResult } from './begin-resize';
import { finishRollout } from './finish-rollout';
import { isRolloutState, nodeReports, type ResizeResult } from './rollout-state';

/** What the 5-minute schedule sends: `{ "action": "reconcile" }`. */
export const REPLAN_ACTION = 'reconcile';

/** The environment variable the CDK app sets to the rollout state machine's ARN. */
export const RESIZE_STATE_MACHINE_ENV = 'DRPILOT_RESIZE_STATE_MACHINE_ARN';

/** A rollout handed to the state machine; `drpilot resize --via lambda` follows it. */
export interface ResizeStarted extends Omit<ResizeResult, 'outcome'> {
  outcome: 'started';
  executionArn: string;
}

interface ResizeAsk {
  groupId: string;
  request: ResizeRequest;
  dryRun: boolean;
  trigger: string;
}

function askFromEvent(
  config: DrpilotConfig,
  event: unknown,
): ResizeAsk | ResizeResult | typeof REPLAN_ACTION {
  const trigger = parseTriggerEvent(event, { allowedActions: ['resize', REPLAN_ACTION] });
  if (trigger.kind === 'manual') {
    if (trigger.action === REPLAN_ACTION) return REPLAN_ACTION;
    const request: ResizeRequest = trigger.to
      ? { kind: 'to', type: trigger.to }
      : trigger.step
        ? { kind: 'step', direction: trigger.step }
        : { kind: 'auto' };
    return {
      // The parser requires groupId for action resize.
      groupId: trigger.groupId ?? '',
      request,
      dryRun: trigger.dryRun,
      trigger: trigger.reason ? `manual: ${trigger.reason}` : 'manual',
    };
  }
  const named = parseResizeAlarmName(config, trigger.alarmName);
  if (!named) {
    throw new TriggerEventError(
      `alarm ${trigger.alarmName} is not one of drpilot's resize alarms (${resizeAlarmPrefix(config)}<group>.<up|down>.<member>)`,
      trigger.source,
      [{ path: 'alarmName', message: 'does not name a configured node group' }],
    );
  }
  if (trigger.state !== 'ALARM') {
    return resizeResult(
      named.groupId,
      'noop',
      `alarm ${trigger.alarmName} went to ${trigger.state}: only ALARM starts a resize`,
    );
  }
  return {
    groupId: named.groupId,
    request: { kind: 'auto' },
    dryRun: false,
    trigger: `alarm ${trigger.alarmName}`,
  };
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
    const result = await startResize(
      config,
      { ...ask, trigger: `re-plan: ${alarms.join(', ')} in ALARM` },
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
  withObservability('resize', async (event: unknown, _context, { logger }) => {
    const config = runtimeConfig();
    if (isRolloutState(event)) {
      if (event.done || event.error) return finishRollout(config, event, options);
      return advanceRollout(config, event, {
        ...options,
        onProgress: (message) => logger.info(message),
      });
    }
    const ask = askFromEvent(config, event);
    if (ask === REPLAN_ACTION) return replan(config, options, logger);
    if (!('request' in ask)) {
      logger.info('nothing to do', { reason: ask.reason });
      return ask;
    }
    return startResize(config, ask, options, logger);
  });

export const handler = createResizeHandler();
