import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sfnClient } from '../aws/clients';
import type { DrpilotConfig, Side } from '../core/config/schema';
import { parseTriggerEvent, TriggerEventError } from '../core/events/alarm-event';
import type { ResizeRequest } from '../core/resize/plan-resize';
import { parseResizeAlarmName, resizeAlarmPrefix } from '../core/resource-names';
import { withObservability } from '../shared/powertools';
import { runtimeConfig } from '../shared/runtime-config';
import { advanceRollout, type AdvanceOptions } from './advance-rollout';
import { beginResize, resizeResult } from './begin-resize';
import { finishRollout } from './finish-rollout';
import { isRolloutState, type ResizeResult } from './rollout-state';

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

function askFromEvent(config: DrpilotConfig, event: unknown): ResizeAsk | ResizeResult {
  const trigger = parseTriggerEvent(event, { allowedActions: ['resize'] });
  if (trigger.kind === 'manual') {
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

/**
 * The resize function. Alarms (EventBridge, SNS, the alarm's Lambda action) and people
 * (`{ "action": "resize", "groupId": …, "to"|"step"?, "dryRun"? }`) start a resize: it is planned
 * here and, when nodes move, handed to the rollout state machine. The state machine calls back
 * with the rollout's state for each Advance and for the Finish.
 */
export const createResizeHandler = (options: AdvanceOptions = {}) =>
  withObservability('resize', async (event: unknown, _context, { logger }) => {
    const config = runtimeConfig();
    const onProgress = (message: string) => logger.info(message);
    if (isRolloutState(event)) {
      if (event.done || event.error) return finishRollout(config, event, options);
      return advanceRollout(config, event, { ...options, onProgress });
    }
    const ask = askFromEvent(config, event);
    if (!('request' in ask)) {
      logger.info('nothing to do', { reason: ask.reason });
      return ask;
    }
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
    const begun = await beginResize(config, ask.groupId, { ...ask, ...options, onProgress });
    if (begun.kind === 'result') return begun.result;
    const { state } = begun;
    const stateMachineArn = process.env[RESIZE_STATE_MACHINE_ENV];
    try {
      if (!stateMachineArn) throw new Error(`${RESIZE_STATE_MACHINE_ENV} is not set`);
      const { executionArn } = await sfnClient(region ?? config.controlRegion).send(
        new StartExecutionCommand({
          stateMachineArn,
          name: state.id,
          input: JSON.stringify(state),
        }),
      );
      const started: ResizeStarted = {
        ...resizeResult(ask.groupId, 'refused', state.plan.reason, {
          from: state.plan.from.types,
          to: state.plan.to.type,
          p95Percent: state.p95Percent,
          plan: state.plan,
          nodes: state.nodes.map(({ id, from, to, outcome, detail }) => ({
            id,
            from,
            to,
            outcome,
            detail,
          })),
        }),
        outcome: 'started',
        executionArn: executionArn ?? '',
      };
      logger.info('rollout started', { group: ask.groupId, executionArn });
      return started;
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
  });

export const handler = createResizeHandler();
