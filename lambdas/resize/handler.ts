import { accountOfFunctionArn } from '../core/events/trigger-trust';
import { looksLikeRolloutState } from '../core/resize/rollout-trust';
import { withObservability } from '../shared/powertools';
import type { AdvanceOptions } from './advance-rollout';
import { continueRollout } from './continue-rollout';
import { resizeEnvironment } from './environment';
import { replanGroups } from './replan-groups';
import { askFromEvent, REPLAN_ACTION } from './resize-ask';
import { startRollout } from './start-rollout';

/**
 * The resize function. Alarms (EventBridge, SNS, the alarm's Lambda action) and people
 * (`{ "action": "resize", "groupId": …, "to"|"step"?, "dryRun"? }`) start a resize: it is planned
 * here and, when nodes move, handed to the rollout state machine. The state machine calls back
 * with the rollout's state for each Advance and for the Finish. `{ "action": "reconcile" }`
 * (every 5 minutes) plans again every group whose member alarms are still in ALARM.
 */
export const createResizeHandler = (options: AdvanceOptions = {}) =>
  withObservability('resize', async (event: unknown, context, { logger }) => {
    const environment = resizeEnvironment();
    const { config, region } = environment;
    const steps = { ...options, onProgress: (message: string) => logger.info(message) };
    if (looksLikeRolloutState(event)) return continueRollout(config, event, steps);
    const deployment = { region, accountId: accountOfFunctionArn(context?.invokedFunctionArn) };
    const ask = await askFromEvent(config, event, deployment, options.now ?? (() => new Date()));
    if (ask === REPLAN_ACTION) return replanGroups(environment, steps);
    if (!('request' in ask)) return ask;
    return startRollout(environment, ask, steps);
  });

export const handler = createResizeHandler();
