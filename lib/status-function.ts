import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SIDES, type DrpilotConfig } from '../lambdas/core/config/schema';
import { names } from './names';
import { ReactiveFunction } from './reactive-function';

export interface StatusFunctionProps {
  readonly config: DrpilotConfig;
  readonly stateTable: dynamodb.ITable;
  readonly alarmTopic: sns.ITopic;
  readonly encryptionKey: kms.IKey;
}

/**
 * `drpilot status --via lambda`: reads the DNS record, the clusters' health alarms, the node
 * groups' instances and the state table. Read-only, and only on what the config names.
 */
export class StatusFunction extends Construct {
  readonly reactive: ReactiveFunction;

  constructor(scope: Construct, id: string, props: StatusFunctionProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);

    this.reactive = new ReactiveFunction(this, 'Status', {
      entry: 'lambdas/status/handler.ts',
      description: 'drpilot status: DNS target, cluster health, node groups, state (read-only)',
      functionName: names.function(config, 'status'),
      config,
      alarmTopic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
      timeout: Duration.seconds(30),
    });

    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheMainRecord',
        actions: ['route53:ListResourceRecordSets'],
        resources: [
          stack.formatArn({
            service: 'route53',
            region: '',
            account: '',
            resource: 'hostedzone',
            resourceName: config.dns.hostedZoneId,
          }),
        ],
      }),
    );

    // Route 53 health-check alarms live in the control region (HealthCheckStatus is a us-east-1
    // metric). DescribeAlarms takes the alarm resource type; the handler must pass AlarmNames.
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheHealthAlarms',
        actions: ['cloudwatch:DescribeAlarms'],
        resources: SIDES.map((side) =>
          stack.formatArn({
            service: 'cloudwatch',
            region: config.controlRegion,
            resource: 'alarm',
            resourceName: config.clusters[side].healthAlarm,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );

    this.reactive.allowOnAnyResource('DescribeInstances', {
      actions: ['ec2:DescribeInstances'],
      reason:
        'ec2:DescribeInstances supports no resource-level permissions; limited to the two cluster regions by aws:RequestedRegion.',
      conditions: {
        StringEquals: { 'aws:RequestedRegion': SIDES.map((side) => config.clusters[side].region) },
      },
    });

    props.stateTable.grantReadData(this.reactive.role);
  }
}
