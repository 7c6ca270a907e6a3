import { dnsResolver, type Resolver } from '../adapters/tls/tls-probe';
import { DNS_ACTIONS } from '../core/dns/alarm-to-action';
import { parseTriggerEvent } from '../core/events/trigger-event';
import { accountOfFunctionArn, assertFromDeployment } from '../core/events/trigger-trust';
import { withObservability } from '../shared/powertools';
import { answerDnsTrigger } from './answer-trigger';
import { dnsEnvironment } from './environment';

export interface DnsHandlerOptions {
  /** Where endpoints' TLS is reached: DNS in production, local servers in the drill and tests. */
  resolver: Resolver;
  sleep?: (ms: number) => Promise<void>;
  insyncPollMs?: number;
  now?: () => Date;
}

/**
 * The DNS failover function: health-alarm state changes (EventBridge, SNS or the alarm's own
 * Lambda action), the every-minute `reconcile`, and people's `failover | failback | status`.
 */
export const createDnsHandler = (options: DnsHandlerOptions) =>
  withObservability('dns', async (event: unknown, context, { logger }) => {
    const trigger = parseTriggerEvent(event, { allowedActions: DNS_ACTIONS });
    const { config, notificationTopic } = dnsEnvironment();
    if (trigger.kind === 'alarm') {
      // The health alarms live in controlRegion, where this function runs.
      assertFromDeployment(trigger, {
        region: config.controlRegion,
        accountId: accountOfFunctionArn(context?.invokedFunctionArn),
      });
    }
    return answerDnsTrigger(config, trigger, {
      ...options,
      notificationTopic,
      onProgress: (message) => logger.info(message),
      onIgnored: (described, reason) =>
        logger.info('nothing to do', { trigger: described, reason }),
    });
  });

export const handler = createDnsHandler({ resolver: dnsResolver });
