import { parseTriggerEvent } from '../core/events/trigger-event';
import { accountOfFunctionArn, assertFromDeployment } from '../core/events/trigger-trust';
import { SCHEDULED_ACTIONS } from '../core/shared-names';
import { withObservability } from '../shared/powertools';
import { resizeAlarmsEnvironment } from './environment';
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
 * AWS_REGION), on a schedule and on EC2 instance state changes. A state change re-reads every
 * group: the event does not say which group the instance was in. A group whose members could not
 * be read makes the run throw once the others are done, so it is retried and finally lands in the
 * failure queue.
 */
export const handler = withObservability(
  'resize-alarms',
  async (event: unknown, context, { logger }) => {
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
