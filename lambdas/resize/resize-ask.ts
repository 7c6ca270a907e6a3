import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { readAlarmStates } from '../adapters/aws/alarm-states';
import type { DrpilotConfig } from '../core/config/schema';
import { parseTriggerEvent, TriggerEventError } from '../core/events/trigger-event';
import { assertManualRequestFits } from '../core/events/manual-request-rules';
import { assertFromDeployment, judgeTrigger, originOf } from '../core/events/trigger-trust';
import type { Deployment } from '../core/events/trigger-trust';
import type { ResizeRequest } from '../core/resize/plan-resize';
import { parseResizeAlarmName, resizeAlarmPrefix, SCHEDULED_ACTIONS } from '../core/shared-names';
import { resizeResult } from './begin-resize';
import { resizeContext } from './resize-context';
import type { ResizeResult } from './rollout-state';

/** What the 5-minute schedule sends: `{ "action": "reconcile" }`. */
export const REPLAN_ACTION = SCHEDULED_ACTIONS.resizeReplan;

export interface ResizeAsk {
  groupId: string;
  request: ResizeRequest;
  dryRun: boolean;
  trigger: string;
  /** An alarm or the re-plan asked, not a person (a large move waits for approval). */
  automatic?: boolean;
}

/**
 * What an invocation asks of the resize function: a resize to plan, the re-plan, or an answer
 * already (an alarm that asks for nothing, or one that no longer holds). Checked before anything
 * is written: a person's request against the config, an alarm for its origin, its age and — read
 * again now — its state. An alarm that no longer holds is audited as refused, nothing else.
 */
export async function askFromEvent(
  config: DrpilotConfig,
  event: unknown,
  deployment: Deployment,
  now: () => Date,
): Promise<ResizeAsk | ResizeResult | typeof REPLAN_ACTION> {
  const trigger = parseTriggerEvent(event, { allowedActions: ['resize', REPLAN_ACTION] });
  if (trigger.kind === 'manual') {
    if (trigger.action === REPLAN_ACTION) return REPLAN_ACTION;
    assertManualRequestFits(trigger, config);
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
  assertFromDeployment(trigger, deployment);
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
  const group = config.nodeGroups.find((g) => g.id === named.groupId);
  const ask = {
    groupId: named.groupId,
    request: { kind: 'auto' } as const,
    dryRun: false,
    trigger: `alarm ${trigger.alarmName}`,
    automatic: true,
  };
  // An alarm that outlived its group is refused by the planner, which names the groups.
  if (!group) return ask;
  const current = await readAlarmStates(cloudWatchClient(deployment.region), [trigger.alarmName]);
  const check = judgeTrigger(originOf(trigger, []), {
    alarmName: `resize alarm ${trigger.alarmName}`,
    currentState: current.get(trigger.alarmName) ?? 'MISSING',
    expectedState: 'ALARM',
    now: now(),
    maxEventAgeSeconds: config.triggers.maxEventAgeSeconds,
  });
  if (check.ok) return ask;
  const refused = resizeResult(named.groupId, 'refused', `trigger: ${check.detail}`);
  await resizeContext(config, group, now).store.appendAudit('resize', {
    trigger: ask.trigger,
    origin: 'alarm',
    outcome: refused.outcome,
    group: refused.group,
    reason: refused.reason,
  });
  return refused;
}
