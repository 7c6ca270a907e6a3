import { NOTIFICATION_TOPIC_ENV, regionAlarmTopicName } from '../core/shared-names';
import { TUNNELS_ACTION } from '../core/aks/names';
import { parseTriggerEvent } from '../core/events/trigger-event';
import { accountOfFunctionArn } from '../core/events/trigger-trust';
import { withObservability } from '../shared/powertools';
import { runtimeConfig } from '../shared/environment';
import { observeAllTunnels, onTunnelAlarm } from './tunnel-watch';

/**
 * The tunnel watch of one cluster region: the per-tunnel TunnelState alarms' state changes (an
 * EventBridge event, an SNS notification or an alarm's Lambda action), and `{ "action":
 * "tunnels" }` from the 5-minute schedule or a person, which reads every tunnel alarm again.
 */
export const handler = withObservability('tunnels', async (event: unknown, context, { logger }) => {
  const trigger = parseTriggerEvent(event, { allowedActions: [TUNNELS_ACTION] });
  const config = runtimeConfig();
  const region = process.env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set: Lambda sets it; set it to run locally');
  const options = {
    deployment: { region, accountId: accountOfFunctionArn(context?.invokedFunctionArn) },
    topic: process.env[NOTIFICATION_TOPIC_ENV] ?? regionAlarmTopicName(config, region),
    now: () => new Date(),
  };
  const reports =
    trigger.kind === 'alarm'
      ? [await onTunnelAlarm(config, trigger, options)]
      : await observeAllTunnels(config, options);
  for (const report of reports) logger.info('tunnels', { ...report });
  return { connections: reports };
});
