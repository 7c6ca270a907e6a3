import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SIDES, type DrpilotConfig, type Side } from '../lambdas/core/config/schema';
import { grantReadWebhookSecret } from './aks-grants';
import { names } from './names';
import {
  describeHealthAlarmsStatement,
  grantDescribeNodegroups,
  grantListAlarms,
  readBucketVersioningStatement,
  readZoneStatement,
} from './shared-statements';
import { ReactiveFunction } from './reactive-function';

export interface StatusFunctionProps {
  readonly config: DrpilotConfig;
  readonly stateTable: dynamodb.ITable;
  readonly alarmTopic: sns.ITopic;
  readonly encryptionKey?: kms.IKey;
}

/**
 * `drpilot status --via lambda`: reads the DNS record, the clusters' health alarms, the node
 * groups' instances and resize alarms, and the state table. Read-only, and only on what the config
 * names.
 */
export class StatusFunction extends Construct {
  readonly reactive: ReactiveFunction;

  constructor(scope: Construct, id: string, props: StatusFunctionProps) {
    super(scope, id);
    const { config } = props;

    this.reactive = new ReactiveFunction(this, 'Status', {
      entry: 'lambdas/status/handler.ts',
      description: 'drpilot status: DNS target, cluster health, node groups, state (read-only)',
      functionName: names.function(config, 'status'),
      config,
      alarmTopic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
      timeout: Duration.seconds(30),
    });

    this.reactive.addToRolePolicy(readZoneStatement(this, config, 'ReadTheMainRecord'));

    this.reactive.addToRolePolicy(describeHealthAlarmsStatement(this, config));

    this.reactive.allowOnAnyResource('DescribeInstances', {
      actions: ['ec2:DescribeInstances', 'autoscaling:DescribeAutoScalingGroups'],
      reason:
        'ec2:DescribeInstances and autoscaling:DescribeAutoScalingGroups support no resource-level permissions; limited to the two cluster regions by aws:RequestedRegion.',
      conditions: {
        StringEquals: { 'aws:RequestedRegion': SIDES.map((side) => config.clusters[side].region) },
      },
    });

    grantDescribeNodegroups(this.reactive, config, config.nodeGroups);

    // status tells each node group's resize alarms (group pair or per member) from the names
    // listed under resizeAlarmPrefix, in the regions of the node groups' clusters.
    const alarmRegions = [
      ...new Set(config.nodeGroups.map((g) => config.clusters[g.cluster as Side].region)),
    ];
    if (alarmRegions.length > 0) grantListAlarms(this.reactive, alarmRegions);

    // status warns when a Velero bucket is not versioned (re-sync then deletes nothing).
    this.reactive.addToRolePolicy(
      readBucketVersioningStatement(this, config, 'CheckVeleroBucketVersioning'),
    );

    props.stateTable.grantReadData(this.reactive.role);

    // status signs a GET …/api/state to the AKS Function app with the webhook secret (read only).
    if (config.azure) grantReadWebhookSecret(this.reactive, config);
  }
}
