import { cloudWatchClient, route53Client, snsClient } from '../adapters/aws/clients';
import { readAlarmStates } from '../adapters/aws/alarm-states';
import { notify } from '../adapters/aws/notify';
import { readRecord } from '../adapters/aws/route53-records';
import type { DrpilotConfig } from '../core/config/schema';
import { actionForTrigger, DNS_ACTIONS, reconcileAction } from '../core/dns/alarm-to-action';
import { parseTriggerEvent, type ParsedEvent } from '../core/events/trigger-event';
import { accountOfFunctionArn, assertFromDeployment, originOf } from '../core/events/trigger-trust';
import { NOTIFICATION_TOPIC_ENV, notificationTopicName } from '../core/shared-names';
import { activeSideOf } from '../core/status';
import { dnsResolver, type Resolver } from '../adapters/tls/tls-probe';
import { withObservability } from '../shared/powertools';
import { runtimeConfig } from '../shared/runtime-config';
import { readStatus } from '../status/read-status';
import { runSwitch } from './run-switch';

function describe(trigger: ParsedEvent): string {
  return trigger.kind === 'alarm'
    ? `alarm ${trigger.alarmName} ${trigger.previousState ?? '?'}→${trigger.state} (${trigger.source})`
    : `manual ${trigger.action}`;
}

/** The every-minute re-plan: a refused automatic failover is tried again while the primary stays down. */
async function reconcile(config: DrpilotConfig) {
  const [alarms, record] = await Promise.all([
    readAlarmStates(cloudWatchClient(config.controlRegion), [
      config.clusters.primary.healthAlarm,
      config.clusters.dr.healthAlarm,
    ]),
    readRecord(route53Client(), config.dns.hostedZoneId, config.dns.recordName, 'CNAME'),
  ]);
  return reconcileAction({
    primaryAlarm: alarms.get(config.clusters.primary.healthAlarm) ?? 'MISSING',
    drAlarm: alarms.get(config.clusters.dr.healthAlarm) ?? 'MISSING',
    activeSide: activeSideOf(record?.values[0] ?? null, config.clusters),
    autoFailback: config.dns.autoFailback,
  });
}

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
    const config = runtimeConfig();
    if (trigger.kind === 'alarm') {
      // The health alarms live in controlRegion, where this function runs.
      assertFromDeployment(trigger, {
        region: config.controlRegion,
        accountId: accountOfFunctionArn(context?.invokedFunctionArn),
      });
    }
    const topic = process.env[NOTIFICATION_TOPIC_ENV] ?? notificationTopicName(config);
    let outcome = actionForTrigger(trigger, config);
    if ('action' in outcome && outcome.action === 'reconcile') outcome = await reconcile(config);
    if ('ignore' in outcome) {
      logger.info('nothing to do', { trigger: describe(trigger), reason: outcome.ignore });
      if (outcome.notify) {
        await notify(snsClient(config.controlRegion), topic, `drpilot ${config.name}: attention`, {
          trigger: describe(trigger),
          message: outcome.ignore,
        });
      }
      return { outcome: 'ignored', reason: outcome.ignore };
    }
    if (outcome.action === 'status') return readStatus(config);
    if (outcome.action === 'reconcile')
      return { outcome: 'ignored', reason: 'nothing to reconcile' };
    const manual = trigger.kind === 'manual' ? trigger : null;
    return runSwitch(config, {
      action: outcome.action,
      reason: manual?.reason ?? outcome.reason,
      trigger: describe(trigger),
      origin: originOf(trigger, ['reconcile']),
      force: manual?.force ?? false,
      dryRun: manual?.dryRun ?? false,
      drill: manual?.drill ?? false,
      resolver: options.resolver,
      notificationTopic: topic,
      onProgress: (message) => logger.info(message),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.insyncPollMs !== undefined ? { insyncPollMs: options.insyncPollMs } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  });

export const handler = createDnsHandler({ resolver: dnsResolver });
