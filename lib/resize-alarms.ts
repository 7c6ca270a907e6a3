import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { DrpilotConfig, NodeGroupConfig } from '../lambdas/core/config/schema';
import {
  resizeAlarmPrefix,
  SCHEDULED_ACTIONS,
  scheduledPayload,
} from '../lambdas/core/shared-names';
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
  readonly encryptionKey: kms.IKey;
}

/**
 * Keeps one up/down alarm pair per member of every node group in this region (tag-selected
 * instances share no CloudWatch dimension, and members come and go): every 5 minutes and when an
 * instance starts running or terminates. The alarms carry no actions; NodeGroupResize's rule
 * delivers their state changes.
 */
export class MemberAlarmReconciler extends Construct {
  readonly reactive: ReactiveFunction;
  readonly schedule: events.Rule;
  readonly instanceChanges: events.Rule;

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
      // Bursts of instance events would otherwise start overlapping runs that put the same alarms.
      reservedConcurrency: 1,
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
    this.instanceChanges = new events.Rule(this, 'InstanceChanges', {
      description: `drpilot ${config.name}: an instance started running or terminated; node group alarms follow`,
      eventPattern: {
        source: ['aws.ec2'],
        detailType: ['EC2 Instance State-change Notification'],
        detail: { state: ['running', 'terminated'] },
      },
      targets: [new targets.LambdaFunction(fn)],
    });

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
