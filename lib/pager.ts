import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { NOTIFICATION_TOPIC_ENV } from '../lambdas/core/shared-names';
import { names } from './names';
import { ReactiveFunction } from './reactive-function';

export interface PagerProps {
  readonly config: DrpilotConfig;
  /** Where the pages go: the stack's notification topic (same region). */
  readonly topic: sns.ITopic;
  /** The stack's customer managed key under `encryption: "customer-managed"`, else none. */
  readonly encryptionKey?: kms.IKey;
}

export interface PageOnAlarmOptions {
  /** Page when the alarm returns to OK too (an all-clear), not only when it goes to ALARM. */
  readonly alsoWhenOk?: boolean;
}

const ID = 'Pager';
const ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';

/**
 * How drpilot's alarms reach people, one per stack: an EventBridge rule on the default bus matches
 * the state changes of exactly the alarms registered here (their ARNs in `resources`; ALARM for
 * each, OK for those registered with `alsoWhenOk`) and of the registered state machines'
 * executions that ended FAILED, TIMED_OUT or ABORTED, and hands them to a small function that
 * publishes a readable page to the stack's notification topic (lambdas/pager/handler.ts).
 *
 * Why not alarm actions: an alarm publishes to a KMS-encrypted topic only under a customer
 * managed key whose policy lets cloudwatch.amazonaws.com use it (the AWS managed key's cannot be
 * changed: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html), $1 a month per key
 * and stack. CloudWatch sends every alarm state change to EventBridge, guaranteed
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html),
 * and AWS service events on the default bus cost nothing; so the topic can stay under the AWS
 * managed key alias/aws/sns. A Step Functions rule replaces a metric-math alarm on the execution
 * metrics (three alarm metrics a month) for the same reason.
 */
export class Pager extends Construct {
  readonly reactive: ReactiveFunction;
  /** State changes of the registered alarms. */
  readonly alarmRule: events.Rule;
  /** Failed, timed-out or aborted executions of the registered state machines, once one is. */
  private executionRule: events.Rule | undefined;
  private readonly deployment: string;
  private readonly topic: sns.ITopic;
  private readonly encryptionKey: kms.IKey | undefined;
  private readonly pagedAlarms = new Set<cloudwatch.IAlarm>();
  private readonly recoveryPagedAlarms = new Set<cloudwatch.IAlarm>();
  private readonly pagedStateMachines = new Set<sfn.IStateMachine>();

  /** The stack's pager, made on first use; every user must name the same topic and key. */
  static of(scope: Construct, props: PagerProps): Pager {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(ID);
    if (existing instanceof Pager) {
      if (existing.topic !== props.topic || existing.encryptionKey !== props.encryptionKey) {
        throw new Error(
          `${scope.node.path}: the stack's pager already publishes to ${existing.topic.node.path}; one stack has one notification topic and key`,
        );
      }
      return existing;
    }
    return new Pager(stack, ID, props);
  }

  private constructor(scope: Construct, id: string, props: PagerProps) {
    super(scope, id);
    const { config } = props;
    this.deployment = config.name;
    this.topic = props.topic;
    this.encryptionKey = props.encryptionKey;
    const stack = Stack.of(this);

    // Its own failures land in the stack's failure queue, whose alarm registers here as well.
    this.reactive = new ReactiveFunction(this, 'Pager', {
      entry: 'lambdas/pager/handler.ts',
      // The same name in each region: people look for it when a page did not arrive.
      functionName: names.function(config, 'pager'),
      description: `drpilot pager: publishes the state changes of drpilot's alarms and failed executions in ${stack.stackName} to the notification topic`,
      config,
      alarmTopic: props.topic,
      encryptionKey: props.encryptionKey,
      // One Publish call.
      timeout: Duration.seconds(30),
      memorySize: 128,
      // A page is worth sending late (an hour is the default for reactions that go stale).
      maxEventAge: Duration.hours(6),
    });
    this.reactive.fn.addEnvironment(NOTIFICATION_TOPIC_ENV, props.topic.topicArn);
    this.reactive.allowPublish(props.topic);

    this.alarmRule = new events.Rule(this, 'AlarmStateChanged', {
      description: `drpilot ${config.name}: a drpilot alarm of ${stack.stackName} changed state; page`,
      eventPattern: { source: ['aws.cloudwatch'], detailType: [ALARM_STATE_CHANGE] },
      targets: [new targets.LambdaFunction(this.reactive.fn)],
    });
    // The alarms register while the stack is built (this pager's own failure alarm during this
    // constructor), so the pattern is rendered at synthesis.
    (this.alarmRule.node.defaultChild as events.CfnRule).eventPattern = Lazy.any({
      produce: () => this.alarmPattern(),
    });
  }

  /** Pages when `alarm` goes to ALARM (and back to OK with `alsoWhenOk`). */
  pageOnAlarm(alarm: cloudwatch.IAlarm, options: PageOnAlarmOptions = {}): void {
    this.pagedAlarms.add(alarm);
    if (options.alsoWhenOk) this.recoveryPagedAlarms.add(alarm);
  }

  /** Pages when an execution of `stateMachine` ends FAILED, TIMED_OUT or ABORTED. */
  pageOnFailedExecutions(stateMachine: sfn.IStateMachine): void {
    this.pagedStateMachines.add(stateMachine);
    this.executionRule ??= new events.Rule(this, 'ExecutionFailed', {
      description: `drpilot ${this.deployment}: an execution of a drpilot state machine failed, timed out or was aborted; page`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: FAILED_EXECUTION_STATUSES,
          stateMachineArn: Lazy.list({
            produce: () => [...this.pagedStateMachines].map((s) => s.stateMachineArn),
          }),
        },
      },
      targets: [new targets.LambdaFunction(this.reactive.fn)],
    });
  }

  /**
   * ALARM for every registered alarm, OK for those that page their recovery: an `$or` of the two
   * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
   */
  private alarmPattern(): Record<string, unknown> {
    const branch = (alarms: Set<cloudwatch.IAlarm>, state: string) => ({
      resources: [...alarms].map((a) => a.alarmArn),
      detail: { state: { value: [state] } },
    });
    const branches = [
      branch(this.pagedAlarms, 'ALARM'),
      ...(this.recoveryPagedAlarms.size > 0 ? [branch(this.recoveryPagedAlarms, 'OK')] : []),
    ];
    const envelope = { source: ['aws.cloudwatch'], 'detail-type': [ALARM_STATE_CHANGE] };
    // `$or` takes two branches or more (CloudFormation rejects one).
    return branches.length === 1 ? { ...envelope, ...branches[0] } : { ...envelope, $or: branches };
  }
}

/** The execution statuses that page (RUNNING and SUCCEEDED do not). */
export const FAILED_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'];
