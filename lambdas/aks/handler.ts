import { AKS_ACTIONS } from '../core/aks/names';
import { parseTriggerEvent, TriggerEventError } from '../core/events/trigger-event';
import { withObservability } from '../shared/powertools';
import { runtimeConfig } from '../shared/environment';
import { runAksAction } from './run-aks';

/**
 * The AKS sender of the control region: `{ "action": "flush" }` every minute (pending events that
 * are due, the problem metrics), `{ "action": "resolver-ips" }` every 15 minutes (the active
 * side's inbound endpoint), `{ "action": "ping" }` from `drpilot notify --test --via lambda`.
 * It takes no alarms.
 */
export const handler = withObservability('aks', async (event: unknown, _context, { logger }) => {
  const trigger = parseTriggerEvent(event, { allowedActions: Object.values(AKS_ACTIONS) });
  if (trigger.kind !== 'manual') {
    throw new TriggerEventError(
      `the AKS function takes { "action": ${Object.values(AKS_ACTIONS).join(' | ')} }, not alarms`,
      trigger.source,
    );
  }
  const result = await runAksAction(runtimeConfig(), trigger.action, {
    now: () => new Date(),
    onProgress: (message) => logger.info(message),
  });
  logger.info('done', { action: trigger.action, result });
  return result;
});
