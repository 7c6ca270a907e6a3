import { ArnFormat, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { DrpilotConfig, Side } from '../lambdas/core/config/schema';
import { ROLLOUT_TIMED_OUT, ROLLOUT_TIMED_OUT_CAUSE } from '../lambdas/core/resize/rollout-bound';
import {
  NOTIFICATION_TOPIC_ENV,
  RESIZE_STATE_MACHINE_ENV,
  SCHEDULED_ACTIONS,
  scheduledPayload,
} from '../lambdas/core/shared-names';
import { names } from './names';
import { acknowledge } from './nag';
import { SNS_AWS_MANAGED_KEY_ALIAS, topicKeyGrantFindings } from './notification-topic';
import { Pager } from './pager';
import { ReactiveFunction } from './reactive-function';
import { grantListAlarms } from './shared-statements';

/** What the re-plan schedule sends. */
export const REPLAN_INPUT = scheduledPayload(
  SCHEDULED_ACTIONS.resizeReplan,
  'scheduled every 5 minutes',
);

/**
 * Transient errors of invoking a Lambda function, retried with backoff on every Lambda task:
 * the service exceptions the Step Functions guide says to retry ("Handle Lambda service
 * exceptions", https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 * — `Lambda.ClientExecutionTimeoutException`, `Lambda.ServiceException`,
 * `Lambda.AWSLambdaException`, `Lambda.SdkClientException`) and the throttling error the same page
 * names, `Lambda.TooManyRequestsException` (the function did not run, so a retry is safe).
 */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** 2 s, 4 s, … at most 60 s apart, 8 attempts (about 4 minutes), jittered. */
const LAMBDA_RETRY: sfn.RetryProps = {
  errors: LAMBDA_TRANSIENT_ERRORS,
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 8,
  maxDelay: Duration.seconds(60),
  jitterStrategy: sfn.JitterType.FULL,
};

export interface ResizeRolloutProps {
  readonly config: DrpilotConfig;
  readonly side: Side;
  /** Failures page on this topic (the region's alarm topic). */
  readonly alarmTopic: sns.ITopic;
  readonly encryptionKey?: kms.IKey;
}

/**
 * The node resize of one cluster region: the resize function (alarms and people start it) and
 * the rollout state machine it hands long rollouts to — Advance (one sub-step of an `ec2` node:
 * cordon and evict, evict again, stop, stopped?, retype and start, Ready? — or one poll of an
 * instance refresh / nodegroup update) → done? → Count → within bound? → Wait (the drain, stop
 * and Ready waits of a node, the polls) → Advance …, then
 * Finish; a failed or timed-out Advance, or a rollout past its poll bound (`poll.max`, set by the
 * start from the group: per-node budget × nodes), goes to Finish with the error, which reports,
 * pages and gives the lease back. A Finish that fails pages on the region's alarm topic. Every
 * path ends through Finish or that page; neither the 24 h timeout nor the history limit is reached.
 * The state table and notification topic live in the control region and are addressed by name.
 */
export class ResizeRollout extends Construct {
  readonly reactive: ReactiveFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly replanSchedule: events.Rule;

  constructor(scope: Construct, id: string, props: ResizeRolloutProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    const stateMachineName = names.resizeStateMachine(config);
    // Built from the name: the state machine's definition refers to the function, so the
    // function's environment cannot refer back to the state machine (a circular dependency).
    const stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.reactive = new ReactiveFunction(this, 'Resize', {
      entry: 'lambdas/resize/handler.ts',
      description:
        'drpilot resize: plans a node group resize on its alarms or on request, and runs each step of the rollout',
      functionName: names.function(config, 'resize'),
      config,
      alarmTopic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
      // No step waits (the state machine's Wait states do): each is a few API calls; the
      // timeout is only the ceiling of a hung call, which the Catch sends to Finish.
      timeout: Duration.minutes(15),
      memorySize: 512,
    });
    const fn = this.reactive.fn;
    fn.addEnvironment(RESIZE_STATE_MACHINE_ENV, stateMachineArn);
    fn.addEnvironment(
      NOTIFICATION_TOPIC_ENV,
      controlArn(stack, config, 'sns', names.notificationTopic(config)),
    );
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StartRollouts',
        actions: ['states:StartExecution'],
        resources: [stateMachineArn],
      }),
    );
    this.grantControlPlane(config);
    // Member alarms still in ALARM are found by listing.
    grantListAlarms(this.reactive);
    this.replanSchedule = new events.Rule(this, 'Replan', {
      description: `drpilot ${config.name}: re-plan node groups whose alarms are still in ALARM, every 5 minutes`,
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(fn, { event: events.RuleTargetInput.fromObject(REPLAN_INPUT) }),
      ],
    });
    this.reactive.allowOnAnyResource('ObserveNodeGroups', {
      actions: [
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribeLaunchTemplateVersions',
        'cloudwatch:GetMetricData',
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeLifecycleHooks',
        'autoscaling:DescribeInstanceRefreshes',
      ],
      reason:
        'Describe and metric-read actions support no resource-level permissions; read-only, limited to this region (aws:RequestedRegion).',
      conditions: {
        StringEquals: { 'aws:RequestedRegion': config.clusters[props.side].region },
      },
    });

    // A Finish that fails (after its retries) leaves the lease held and maybe a node cordoned:
    // page on the region's alarm topic, then fail the execution (which pages too, lib/pager.ts).
    const finishFailed = new sfn.Fail(this, 'Finish failed', {
      error: 'drpilot.FinishFailed',
      cause: 'the Finish step of the rollout failed; it was paged on the alarm topic',
    });
    const pageFinishFailure = new tasks.SnsPublish(this, 'Page Finish failure', {
      topic: props.alarmTopic,
      subject: `drpilot ${config.name}: resize rollout Finish failed`,
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(
          `drpilot ${config.name} (${config.clusters[props.side].region}): the Finish step of a node group rollout failed ({}: {}). No cooldown or audit was written; the lease is held until it expires and a node may be cordoned or stopped. See the execution history.`,
          sfn.JsonPath.stringAt('$.finishError.Error'),
          sfn.JsonPath.stringAt('$.finishError.Cause'),
        ),
      ),
      resultPath: sfn.JsonPath.DISCARD,
      comment: 'pages when Finish itself failed',
    });
    pageFinishFailure.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 4,
    });
    pageFinishFailure.addCatch(finishFailed, { resultPath: '$.pageError' });
    pageFinishFailure.next(finishFailed);

    const finish = new tasks.LambdaInvoke(this, 'Finish', {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      comment:
        'cooldown, audit, notification, lease released; pages when the rollout was cut short',
    });
    finish.addRetry(LAMBDA_RETRY);
    finish.addCatch(pageFinishFailure, { resultPath: '$.finishError' });
    const advance = new tasks.LambdaInvoke(this, 'Advance', {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      comment:
        'the next sub-step of the node in progress, or one poll of the launch-template rollout',
    });
    advance.addRetry(LAMBDA_RETRY);
    advance.addCatch(finish, { resultPath: '$.error' });
    const wait = new sfn.Wait(this, 'Wait', {
      time: sfn.WaitTime.secondsPath('$.waitSeconds'),
    });
    // The poll bound: every Advance that was not done counts; at poll.max (per-node budget ×
    // nodes, `rolloutPollBound`) the rollout goes to Finish as timed out, which pages.
    const count = new sfn.Pass(this, 'Count', {
      comment: 'one more Advance that was not done',
      parameters: {
        count: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.poll.count'), 1),
        max: sfn.JsonPath.numberAt('$.poll.max'),
      },
      resultPath: '$.poll',
    });
    const timedOut = new sfn.Pass(this, 'Timed out', {
      comment: 'the rollout used its poll bound: Finish reports it failed (timed out) and pages',
      parameters: {
        Error: ROLLOUT_TIMED_OUT,
        Cause: sfn.JsonPath.format(
          ROLLOUT_TIMED_OUT_CAUSE,
          sfn.JsonPath.stringAt('$.poll.count'),
          sfn.JsonPath.stringAt('$.poll.max'),
        ),
      },
      resultPath: '$.error',
    });
    timedOut.next(finish);
    const withinBound = new sfn.Choice(this, 'Within bound?')
      .when(sfn.Condition.numberGreaterThanEqualsJsonPath('$.poll.count', '$.poll.max'), timedOut)
      .otherwise(wait.next(advance));
    const isDone = new sfn.Choice(this, 'Done?')
      .when(sfn.Condition.booleanEquals('$.done', true), finish)
      .otherwise(count.next(withinBound));
    advance.next(isDone);

    const logGroup = new logs.LogGroup(this, 'RolloutLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Rollout', {
      stateMachineName,
      comment: `drpilot ${config.name}: node group rollouts in ${config.clusters[props.side].region}`,
      definitionBody: sfn.DefinitionBody.fromChainable(advance),
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    // The Finish-failure page: the SNS task grants sns:Publish only, and a publisher to the
    // encrypted alarm topic needs its key too (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
    props.alarmTopic.masterKey?.grant(this.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledge(this.stateMachine, [
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          'CDK grant for invoking the resize function: the wildcard is its versions and aliases (`<function ARN>:*`), one function.',
        appliesTo: [`Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*`],
      },
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          'Step Functions logging to CloudWatch Logs and X-Ray need log-delivery and trace actions that support no resource-level permissions.',
        appliesTo: ['Resource::*'],
      },
    ]);
    const topicKeyFindings = topicKeyGrantFindings(this, props.alarmTopic);
    if (topicKeyFindings.length > 0) {
      acknowledge(this.stateMachine, [
        {
          rule: 'AwsSolutions-IAM5',
          reason:
            'The Finish-failure page publishes to the alarm topic under the AWS managed key alias/aws/sns: CDK grants on key/* limited by kms:ResourceAliases to that alias.',
          appliesTo: topicKeyFindings,
        },
      ]);
    }

    // A rollout that failed, timed out or was aborted may leave nodes cordoned or stopped.
    Pager.of(this, {
      config,
      topic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
    }).pageOnFailedExecutions(this.stateMachine);
  }

  /** The state table and notification topic of the control region, and their key (by alias). */
  private grantControlPlane(config: DrpilotConfig): void {
    const stack = Stack.of(this);
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'LeasesCooldownsAudit',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
        ],
        resources: [controlArn(stack, config, 'dynamodb', config.stateTable)],
      }),
    );
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'NotifyPeople',
        actions: ['sns:Publish'],
        resources: [controlArn(stack, config, 'sns', names.notificationTopic(config))],
      }),
    );
    const controlKeys = stack.formatArn({
      service: 'kms',
      region: config.controlRegion,
      resource: 'key',
      resourceName: '*',
    });
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'UseTheControlKey',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [controlKeys],
        conditions: {
          // The state table and topic under customer-managed; otherwise only the topic is under
          // a KMS key, the AWS managed one (lib/notification-topic.ts).
          'ForAnyValue:StringEquals': {
            'kms:ResourceAliases':
              config.encryption === 'customer-managed'
                ? names.controlKeyAlias(config)
                : SNS_AWS_MANAGED_KEY_ALIAS,
          },
        },
      }),
    );
    acknowledge(this.reactive.role, [
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          "The control region's key is created in another stack; it is addressed by its alias (kms:ResourceAliases condition), so the resource is key/* in that region.",
        appliesTo: [`Resource::${controlKeys}`],
      },
    ]);
  }
}

/** ARN of a control-region resource by its name (DynamoDB table or SNS topic). */
function controlArn(
  stack: Stack,
  config: DrpilotConfig,
  service: 'dynamodb' | 'sns',
  name: string,
) {
  return service === 'dynamodb'
    ? stack.formatArn({
        service,
        region: config.controlRegion,
        resource: 'table',
        resourceName: name,
      })
    : stack.formatArn({
        service,
        region: config.controlRegion,
        resource: name,
        arnFormat: ArnFormat.NO_RESOURCE_NAME,
      });
}
