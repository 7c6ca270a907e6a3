import { parseTriggerEvent } from '../core/events/trigger-event';
import { accountOfFunctionArn, assertFromDeployment } from '../core/events/trigger-trust';
import { SCHEDULED_ACTIONS } from '../core/shared-names';
import { withObservability } from '../shared/powertools';
import { resizeAlarmsEnvironment } from './environment';
import { isQueuedBatch, sortBatch } from './instance-batch';
import {
  assertEveryGroupRead,
  reconcileMemberAlarms,
  reportSummary,
} from './reconcile-member-alarms';

export { MemberAlarmsFailedError } from './reconcile-member-alarms';

/** The manual action, and the payload the schedule sends: `{ "action": "reconcile-alarms" }`. */
export const RECONCILE_ALARMS_ACTION = SCHEDULED_ACTIONS.resizeAlarms;

/**
 * Keeps one up/down alarm pair per member of each node group in this function's region (its
 * AWS_REGION), or one per group on the CloudWatch agent's group metric (alarms "group"/"auto"),
 * on a schedule and on EC2 instance state changes. State changes arrive in batches from an SQS
 * queue (lambdas/core/instance-events.ts says why); a batch reconciles once, and
 * re-reads every group: the events do not say which group an instance was in. A record that fails
 * the trigger checks is reported as a batch item failure and, retried, ends in the stack's
 * failure queue (the event queue's dead-letter queue); the rest of its batch still counts. A
 * group whose members could not be read makes the run throw once the others are done, so it is
 * retried and finally lands in the stack's failure queue (the schedule's invocation record, or
 * the batch's events), which pages.
 */
export const handler = withObservability(
  'resize-alarms',
  async (event: unknown, context, { logger }) => {
    if (isQueuedBatch(event)) {
      const { config, region } = resizeAlarmsEnvironment();
      const { accepted, rejected } = sortBatch(event, {
        region,
        accountId: accountOfFunctionArn(context?.invokedFunctionArn),
      });
      for (const { messageId, error } of rejected) {
        logger.warn('queued event rejected', { messageId, error: error.message });
      }
      const batchItemFailures = rejected.map(({ messageId }) => ({ itemIdentifier: messageId }));
      if (accepted.length === 0) return { batchItemFailures, report: null };
      const report = await reconcileMemberAlarms(config, {
        region,
        dryRun: false,
        onProgress: (message) => logger.info(message),
      });
      logger.info('member alarms reconciled', {
        ...reportSummary(report),
        instanceEvents: accepted.length,
      });
      assertEveryGroupRead(report);
      return { batchItemFailures, report };
    }
    const trigger = parseTriggerEvent(event, {
      allowedActions: [RECONCILE_ALARMS_ACTION],
      events: 'instance-state-changes',
    });
    const { config, region } = resizeAlarmsEnvironment();
    if (trigger.kind === 'instance-state') {
      assertFromDeployment(trigger, {
        region,
        accountId: accountOfFunctionArn(context?.invokedFunctionArn),
      });
    }
    const report = await reconcileMemberAlarms(config, {
      region,
      dryRun: trigger.kind === 'manual' && trigger.dryRun,
      onProgress: (message) => logger.info(message),
    });
    logger.info('member alarms reconciled', reportSummary(report));
    assertEveryGroupRead(report);
    return report;
  },
);
