import { snsClient } from '../adapters/aws/sdk-clients/sns';
import { publishPage } from '../adapters/aws/notify';
import { pageFor } from '../core/paging/alarm-page';
import { CONFIG_ENV, NOTIFICATION_TOPIC_ENV } from '../core/shared-names';
import { configFrom, environmentOf, requiredVariable } from '../shared/environment';
import { withObservability } from '../shared/powertools';

const pagerEnvironment = environmentOf(
  [CONFIG_ENV, NOTIFICATION_TOPIC_ENV, 'AWS_REGION'],
  (env) => ({
    deployment: configFrom().name,
    topicArn: requiredVariable(env, NOTIFICATION_TOPIC_ENV, "the stack's notification topic"),
    region: requiredVariable(env, 'AWS_REGION', 'the region the topic is in'),
  }),
);

/**
 * The stack's pager (lib/pager.ts): EventBridge hands it the state changes of drpilot's alarms and
 * the failed, timed-out or aborted executions of its state machines; it publishes one readable
 * page per event to the stack's notification topic. An event it cannot format, or a publish that
 * fails, throws: Lambda retries, then keeps the event in the stack's failure queue.
 */
export const handler = withObservability('pager', async (event: unknown, _context, { logger }) => {
  const { deployment, topicArn, region } = pagerEnvironment();
  const page = pageFor(event, deployment);
  const messageId = await publishPage(snsClient(region), topicArn, page);
  logger.info('paged', { subject: page.subject, messageId });
  return { subject: page.subject, messageId };
});
