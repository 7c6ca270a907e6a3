import { TUNNELS_ACTION } from '../core/aks/names';
import { parseTriggerEvent } from '../core/events/trigger-event';
import { accountOfFunctionArn } from '../core/events/trigger-trust';
import { withObservability } from '../shared/powertools';
import { tunnelEnvironment } from './environment';
import { observeAllTunnels, onTunnelAlarm } from './tunnel-watch';

/**
 * The tunnel watch of one cluster region: the per-tunnel TunnelState alarms' state changes (an
 * EventBridge event, an SNS notification or an alarm's Lambda action), and `{ "action":
 * "tunnels" }` from the 5-minute schedule or a person, which reads every tunnel alarm again.
 */
export const handler = withObservability('tunnels', async (event: unknown, context, { logger }) => {
  const trigger = parseTriggerEvent(event, { allowedActions: [TUNNELS_ACTION] });
  const { config, region, topic } = tunnelEnvironment();
  const options = {
    deployment: { region, accountId: accountOfFunctionArn(context?.invokedFunctionArn) },
    topic,
    now: () => new Date(),
  };
  const reports =
    trigger.kind === 'alarm'
      ? [await onTunnelAlarm(config, trigger, options)]
      : await observeAllTunnels(config, options);
  for (const report of reports) logger.info('tunnels', { ...report });
  return { connections: reports };
});
