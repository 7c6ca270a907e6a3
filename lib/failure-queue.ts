import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { queueEncryption } from './encryption-key';
import { acknowledge } from './nag';

export interface FailureQueueProps {
  readonly config: Pick<DrpilotConfig, 'encryption'>;
  /** The alarm notifies this topic (same region: CloudWatch alarm actions stay in their region). */
  readonly alarmTopic: sns.ITopic;
  /** Encrypts the queue when `config.encryption` is `customer-managed`. */
  readonly encryptionKey: kms.IKey;
}

const ID = 'FailureQueue';

/**
 * An alarm that goes off as soon as a queue of failures (an on-failure destination, a dead-letter
 * queue) holds a message, and notifies `alarmTopic`: a failed reaction is never lost silently.
 */
export function alarmWhenQueueHoldsMessages(
  scope: Construct,
  id: string,
  props: { queue: sqs.IQueue; alarmTopic: sns.ITopic; alarmName: string; alarmDescription: string },
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmName: props.alarmName,
    alarmDescription: props.alarmDescription,
    metric: props.queue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
  return alarm;
}

/**
 * The one on-failure destination of every asynchronous function in a stack, and its alarm: a
 * reaction that failed after its retries (or expired) is kept 14 days and pages. One queue per
 * stack rather than per function loses nothing: Lambda's invocation record names the function
 * (`requestContext.functionArn`, with `condition`, `requestPayload` and `responsePayload`:
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html), and each
 * queue and its alarm cost an alarm metric a month (docs/cost.md).
 */
export class FailureQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;
  private readonly alarmTopic: sns.ITopic;
  private readonly encryptionKey: kms.IKey;

  /** The stack's failure queue, made on first use; every user must name the same topic and key. */
  static of(scope: Construct, props: FailureQueueProps): FailureQueue {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(ID);
    if (existing instanceof FailureQueue) {
      if (
        existing.alarmTopic !== props.alarmTopic ||
        existing.encryptionKey !== props.encryptionKey
      ) {
        throw new Error(
          `${scope.node.path}: the stack's failure queue already alarms to ${existing.alarmTopic.node.path} under ${existing.encryptionKey.node.path}; one stack has one alarm topic and key`,
        );
      }
      return existing;
    }
    return new FailureQueue(stack, ID, props);
  }

  private constructor(scope: Construct, id: string, props: FailureQueueProps) {
    super(scope, id);
    this.alarmTopic = props.alarmTopic;
    this.encryptionKey = props.encryptionKey;
    const stack = Stack.of(this);

    this.queue = new sqs.Queue(this, 'Queue', {
      ...queueEncryption(props.config, props.encryptionKey),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.alarm = alarmWhenQueueHoldsMessages(this, 'Alarm', {
      queue: this.queue,
      alarmTopic: props.alarmTopic,
      alarmName: `${stack.stackName}-failed-invocations`,
      alarmDescription: `An asynchronous invocation of a function of ${stack.stackName} failed or expired; the record in the failure queue names the function (requestContext.functionArn).`,
    });

    acknowledge(this.queue, [
      {
        rule: 'AwsSolutions-SQS3',
        reason:
          'This queue is the dead-letter store of the asynchronous invocations; a DLQ behind it would let console peeks move records out of the alarmed queue.',
      },
    ]);
  }
}
