/**
 * The pager function (lambdas/pager/handler.ts) on moto: an alarm state change and a failed
 * execution, as EventBridge delivers them, arrive as readable pages on the notification topic
 * (read back through an SQS queue subscribed to it, as moto delivers SNS → SQS); a page that
 * cannot be published fails the invocation, so Lambda retries it and keeps it in the failure queue.
 */
import { readFileSync } from 'node:fs';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snsClient } from '../../lambdas/adapters/aws/clients';
import { NOTIFICATION_TOPIC_ENV } from '../../lambdas/core/shared-names';
import { handler } from '../../lambdas/pager/handler';
import { exampleConfig } from '../support/example-config';
import { useMoto } from '../support/moto';

useMoto();

const REGION = 'eu-west-1';
const context = {
  awsRequestId: 'pager-test',
  invokedFunctionArn: `arn:aws:lambda:${REGION}:123456789012:function:acme-drpilot-pager`,
} as never;
const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8'));

const saved = { region: process.env.AWS_REGION };
beforeEach(() => {
  process.env.DRPILOT_CONFIG_JSON = JSON.stringify(exampleConfig());
  process.env.AWS_REGION = REGION;
});
afterEach(() => {
  delete process.env.DRPILOT_CONFIG_JSON;
  Reflect.deleteProperty(process.env, NOTIFICATION_TOPIC_ENV);
  if (saved.region === undefined) delete process.env.AWS_REGION;
  else process.env.AWS_REGION = saved.region;
});

/** The region's alarm topic under the AWS managed key, and a queue subscribed to it. */
async function topicWithQueue() {
  const sns = snsClient(REGION);
  const { TopicArn } = await sns.send(
    new CreateTopicCommand({
      Name: 'acme-drpilot-primary-alarms',
      Attributes: { KmsMasterKeyId: 'alias/aws/sns' },
    }),
  );
  const sqs = new SQSClient({ region: REGION });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'pages' }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!['QueueArn'] }),
  );
  process.env[NOTIFICATION_TOPIC_ENV] = TopicArn!;
  return async () => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    return Messages.map((m) => {
      const envelope = JSON.parse(m.Body!);
      return { subject: envelope.Subject as string, message: envelope.Message as string };
    });
  };
}

describe('pager handler', () => {
  it('publishes an alarm state change as one page on the topic', async () => {
    const received = await topicWithQueue();
    const result = await handler(fixture('eventbridge-single-metric.json'), context);
    expect(result.subject).toBe('drpilot acme: ALARM ServerCpuTooHigh (us-east-1)');
    const pages = await received();
    expect(pages).toHaveLength(1);
    expect(pages[0]!.subject).toBe('drpilot acme: ALARM ServerCpuTooHigh (us-east-1)');
    expect(pages[0]!.message).toContain('Alarm: ServerCpuTooHigh\nState: ALARM (was OK)\n');
    expect(pages[0]!.message).toContain('Reason: Threshold Crossed: 1 out of the last 1');
  });

  it('publishes a failed execution as one page on the topic', async () => {
    const received = await topicWithQueue();
    await handler(fixture('eventbridge-sfn-execution-timed-out.json'), context);
    const pages = await received();
    expect(pages.map((p) => p.subject)).toEqual([
      'drpilot acme: execution TIMED_OUT state-machine (us-east-1)',
    ]);
    expect(pages[0]!.message).toContain('Execution: execution-name\nStatus: TIMED_OUT\n');
  });

  it('fails the invocation, and publishes nothing, for an event it does not page', async () => {
    const received = await topicWithQueue();
    await expect(
      handler(fixture('malformed/eventbridge-ec2-state-change.json'), context),
    ).rejects.toThrow(/detail-type: expected "CloudWatch Alarm State Change"/);
    expect(await received()).toEqual([]);
  });

  it('fails the invocation when the topic cannot be published to', async () => {
    process.env[NOTIFICATION_TOPIC_ENV] = `arn:aws:sns:${REGION}:123456789012:no-such-topic`;
    await expect(handler(fixture('eventbridge-single-metric.json'), context)).rejects.toThrow(
      /not.?found|does not exist/i,
    );
  });
});
