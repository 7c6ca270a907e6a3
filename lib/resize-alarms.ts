import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DrpilotConfig, NodeGroupConfig } from '../lambdas/core/config/schema';
import {
  resizeAlarmPrefix,
  SCHEDULED_ACTIONS,
  scheduledPayload,
} from '../lambdas/core/shared-names';
import { INSTANCE_EVENTS, RECONCILER_RESERVED_CONCURRENCY } from '../lambdas/core/instance-events';
import { queueEncryption } from './encryption-key';
import { FailureQueue } from './failure-queue';
import { names } from './names';
import { acknowledge } from './nag';
import { ReactiveFunction } from './reactive-function';
import { grantDescribeNodegroups, grantListAlarms } from './shared-statements';

export const RECONCILE_INPUT = scheduledPayload(
  SCHEDULED_ACTIONS.resizeAlarms,
  'scheduled every 5 minutes',
);

export interface MemberAlarmReconcilerProps {
  readonly config: DrpilotConfig;
  /** The node groups of this region. */
  readonly groups: readonly NodeGroupConfig[];
  readonly alarmTopic: sns.ITopic;
  readonly encryptionKey?: kms.IKey;
}

/**
 * Keeps one up/down alarm pair per member of every node group in this region (tag-selected
 * instances share no CloudWatch dimension, and members come and go): every 5 minutes and when
 * instances start running or terminate. The alarms carry no actions; NodeGroupResize's rule
 * delivers their state changes.
 *
 * Instance state changes are not delivered one invocation each: no EventBridge pattern can keep
 * only the group members (the events carry no tags), so every instance of the region matches, and
 * a burst of churn would age invocations into the failure queue and page. The rule feeds an SQS
 * queue instead, and the function takes the queue in batches (a batching window) and reconciles
 * once per batch; reconciling is idempotent and re-observes every group, so coalescing loses
 * nothing (lambdas/core/instance-events.ts). The events of a batch that keeps failing move to the
 * stack's failure queue (its dead-letter queue), whose alarm pages (lib/failure-queue.ts).
 */
export class MemberAlarmReconciler extends Construct {
  readonly reactive: ReactiveFunction;
  readonly schedule: events.Rule;
  readonly instanceChanges: events.Rule;
  /** Where instanceChanges puts the events until a batch of them is taken. */
  readonly instanceEvents: sqs.Queue;

  constructor(scope: Construct, id: string, props: MemberAlarmReconcilerProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    this.reactive = new ReactiveFunction(this, 'Reconciler', {
      entry: 'lambdas/resize-alarms/handler.ts',
      description:
        'drpilot resize alarms: keeps one alarm pair per node group member in step with the members',
      functionName: names.function(config, 'resize-alarms'),
      config,
      alarmTopic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
      timeout: Duration.minutes(2),
      // The queue's batches (at most INSTANCE_EVENTS.maxConcurrency at once) and the schedule: a
      // throttled batch would count a receive, and enough of them would page for nothing.
      reservedConcurrency: RECONCILER_RESERVED_CONCURRENCY,
      maxEventAge: Duration.minutes(15),
    });
    const fn = this.reactive.fn;

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `drpilot ${config.name}: node group member alarms, every 5 minutes`,
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(fn, {
          event: events.RuleTargetInput.fromObject(RECONCILE_INPUT),
        }),
      ],
    });
    this.instanceEvents = new sqs.Queue(this, 'InstanceEvents', {
      ...queueEncryption(config, props.encryptionKey),
      enforceSSL: true,
      retentionPeriod: Duration.days(INSTANCE_EVENTS.retentionDays),
      // AWS's advice for an SQS event source: six times the function's timeout, so a batch is not
      // handed out again while it still runs.
      visibilityTimeout: Duration.minutes(12),
      // The stack's failure queue, which pages: a message there is the event itself.
      deadLetterQueue: FailureQueue.of(this, {
        config,
        alarmTopic: props.alarmTopic,
        encryptionKey: props.encryptionKey,
      }).asDeadLetterQueue(INSTANCE_EVENTS.maxReceiveCount),
    });
    this.instanceChanges = new events.Rule(this, 'InstanceChanges', {
      description: `drpilot ${config.name}: an instance started running or terminated; node group alarms follow`,
      eventPattern: {
        source: ['aws.ec2'],
        detailType: ['EC2 Instance State-change Notification'],
        detail: { state: ['running', 'terminated'] },
      },
      targets: [new targets.SqsQueue(this.instanceEvents)],
    });
    fn.addEventSource(
      new lambdaEventSources.SqsEventSource(this.instanceEvents, {
        batchSize: INSTANCE_EVENTS.batchSize,
        maxBatchingWindow: Duration.seconds(INSTANCE_EVENTS.maxBatchingWindowSeconds),
        maxConcurrency: INSTANCE_EVENTS.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    const alarms = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${resizeAlarmPrefix(config)}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'KeepMemberAlarms',
        actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:TagResource'],
        resources: [alarms],
      }),
    );
    grantListAlarms(this.reactive);
    grantDescribeNodegroups(this.reactive, config, props.groups);
    this.reactive.allowOnAnyResource('FindMembers', {
      actions: ['ec2:DescribeInstances', 'autoscaling:DescribeAutoScalingGroups'],
      reason:
        'DescribeInstances and DescribeAutoScalingGroups support no resource-level permissions; read-only, limited to this region (aws:RequestedRegion).',
      conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
    });
    // alarms "auto": the reconciler asks whether the agent publishes a group's metric.
    if (props.groups.some((group) => group.kind === 'ec2' && group.alarms === 'auto')) {
      this.reactive.allowOnAnyResource('FindGroupMetrics', {
        actions: ['cloudwatch:ListMetrics'],
        reason:
          'ListMetrics supports no resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html); read-only, limited to this region (aws:RequestedRegion).',
        conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
      });
    }
    acknowledge(this.reactive.role, [
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          'The member alarms are named by drpilot with a fixed prefix and the member id: alarm:<prefix>* covers only those.',
        appliesTo: [`Resource::${alarms}`],
      },
    ]);
  }
}
