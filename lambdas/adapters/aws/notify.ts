import { paginateListTopics, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/** The ARN of drpilot's notification topic, found by name (the CLI has no stack outputs). */
async function topicArn(sns: SNSClient, topicName: string): Promise<string | null> {
  for await (const page of paginateListTopics({ client: sns }, {})) {
    const found = page.Topics?.find((t) => t.TopicArn?.endsWith(`:${topicName}`))?.TopicArn;
    if (found) return found;
  }
  return null;
}

/**
 * Publishes a decision to the notification topic. Returns a warning instead of throwing when the
 * topic cannot be reached: the decision is already in the audit trail, and a notification
 * failure must not undo or fail a DNS switch that happened.
 */
export async function notify(
  sns: SNSClient,
  /** The topic's ARN, or its name to look up. */
  topicName: string,
  subject: string,
  message: unknown,
): Promise<string | null> {
  try {
    const arn = topicName.startsWith('arn:') ? topicName : await topicArn(sns, topicName);
    if (!arn) return `notification topic ${topicName} not found: decision not notified`;
    await sns.send(
      new PublishCommand({
        TopicArn: arn,
        Subject: subject.slice(0, 100),
        Message: JSON.stringify(message, null, 2),
      }),
    );
    return null;
  } catch (error) {
    return `notification to ${topicName} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Publishes a page as is. Unlike notify, it throws: the page is the only trace of what happened,
 * so a failed publish must fail the invocation (Lambda retries it, then keeps it in the failure
 * queue).
 */
export async function publishPage(
  sns: SNSClient,
  topicArn: string,
  page: { subject: string; message: string },
): Promise<string> {
  const { MessageId } = await sns.send(
    new PublishCommand({ TopicArn: topicArn, Subject: page.subject, Message: page.message }),
  );
  if (!MessageId) throw new Error(`publish to ${topicArn} returned no MessageId`);
  return MessageId;
}
