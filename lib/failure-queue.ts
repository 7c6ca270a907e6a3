import { Aspects, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { queueEncryption } from './encryption-key';
import { acknowledge } from './nag';
import { Pager } from './pager';

export interface FailureQueueProps {
  readonly config: DrpilotConfig;
  /** The alarm pages on this topic through the stack's pager (lib/pager.ts). */
  readonly alarmTopic: sns.ITopic;
  /** Encrypts the queue when `config.encryption` is `customer-managed`. */
  readonly encryptionKey?: kms.IKey;
}

const ID = 'FailureQueue';

/**
 * The one store of failures of a stack, and its alarm: a reaction that failed after its retries
 * (or expired) is kept 14 days and pages. It holds two kinds of message, told apart by their body:
 * - the on-failure record of every asynchronous function of the stack, Lambda's invocation record
 *   naming the function (`requestContext.functionArn`, with `condition`, `requestPayload` and
 *   `responsePayload`: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html);
 * - as the dead-letter queue of a queue a function consumes (the member-alarm reconciler's
 *   instance events), the queued message itself after its receives ran out: the EventBridge event
 *   as sent (`source`, `detail-type`, `detail`).
 * One queue per stack rather than per function or source queue loses nothing, and each queue
 * and its alarm cost an alarm metric a month (docs/cost.md).
 */
export class FailureQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;
  private readonly alarmTopic: sns.ITopic;
  private deadLetterSources = 0;
  private readonly encryptionKey?: kms.IKey;

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
          `${scope.node.path}: the stack's failure queue already alarms to ${existing.alarmTopic.node.path} under ${existing.encryptionKey?.node.path ?? 'SQS-managed encryption'}; one stack has one alarm topic and key`,
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

    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: `${stack.stackName}-failed-invocations`,
      alarmDescription: `A reaction in ${stack.stackName} failed: an asynchronous invocation failed or expired (the record names the function, requestContext.functionArn), or a queued event kept failing (the message is the event). docs/runbooks.md, "The failure queue".`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Last: the pager's own function makes (or finds) this queue while the pager is being built.
    Pager.of(this, {
      config: props.config,
      topic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
    }).pageOnAlarm(this.alarm);

    // cdk-nag counts a queue that is some queue's dead-letter queue as one; until then (decided
    // when the stack is complete: aspects run before synthesis) the acknowledgement says why.
    Aspects.of(this).add({
      visit: (node) => {
        if (node !== this || this.deadLetterSources > 0) return;
        acknowledge(this.queue, [
          {
            rule: 'AwsSolutions-SQS3',
            reason:
              'This queue is the dead-letter store of the asynchronous invocations; a DLQ behind it would let console peeks move records out of the alarmed queue.',
          },
        ]);
      },
    });
  }

  /** The failure queue as the dead-letter queue of a queue a function consumes. */
  asDeadLetterQueue(maxReceiveCount: number): sqs.DeadLetterQueue {
    this.deadLetterSources += 1;
    return { queue: this.queue, maxReceiveCount };
  }
}
