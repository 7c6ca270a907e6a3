import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  SIDES,
  type DrpilotConfig,
  type NodeGroupConfig,
  type Side,
} from '../lambdas/core/config/schema';
import { acknowledge } from './nag';
import type { ReactiveFunction } from './reactive-function';

/** ARN of the configured hosted zone. */
export function hostedZoneArn(scope: Construct, config: DrpilotConfig): string {
  return Stack.of(scope).formatArn({
    service: 'route53',
    region: '',
    account: '',
    resource: 'hostedzone',
    resourceName: config.dns.hostedZoneId,
  });
}

/** Reading the zone's records: where the main record points, and external-dns's TXT records. */
export function readZoneStatement(
  scope: Construct,
  config: DrpilotConfig,
  sid: string,
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions: ['route53:ListResourceRecordSets'],
    resources: [hostedZoneArn(scope, config)],
  });
}

/**
 * Whether the two Velero buckets are versioned (s3:GetBucketVersioning on the buckets): the
 * re-sync deletes nothing unless both are, and `status` warns when one is not.
 */
export function readBucketVersioningStatement(
  scope: Construct,
  config: DrpilotConfig,
  sid: string,
): iam.PolicyStatement {
  const stack = Stack.of(scope);
  return new iam.PolicyStatement({
    sid,
    actions: ['s3:GetBucketVersioning'],
    resources: SIDES.map((side) =>
      stack.formatArn({
        service: 's3',
        region: '',
        account: '',
        resource: config.backups.buckets[side].bucket,
      }),
    ),
  });
}

/**
 * Reading the two health alarms. They live in the control region (HealthCheckStatus is a
 * us-east-1 metric); DescribeAlarms takes the alarm resource type, so callers pass AlarmNames.
 */
export function describeHealthAlarmsStatement(
  scope: Construct,
  config: DrpilotConfig,
): iam.PolicyStatement {
  const stack = Stack.of(scope);
  return new iam.PolicyStatement({
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
  });
}

/**
 * eks:DescribeNodegroup on the named nodegroups of these groups (where their Auto Scaling groups,
 * hence their members, are found), each in its cluster's region. Nothing for no EKS group.
 */
export function grantDescribeNodegroups(
  reactive: ReactiveFunction,
  config: DrpilotConfig,
  groups: readonly NodeGroupConfig[],
): void {
  const stack = Stack.of(reactive);
  const nodegroups = groups.flatMap((g) =>
    g.selector.eks
      ? [
          stack.formatArn({
            service: 'eks',
            region: config.clusters[g.cluster as Side].region,
            resource: 'nodegroup',
            resourceName: `${g.selector.eks.clusterName}/${g.selector.eks.nodegroupName}/*`,
          }),
        ]
      : [],
  );
  if (nodegroups.length === 0) return;
  reactive.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'FindNodegroupMembers',
      actions: ['eks:DescribeNodegroup'],
      resources: nodegroups,
    }),
  );
  acknowledge(reactive.role, [
    {
      rule: 'AwsSolutions-IAM5',
      reason: "The last part of a nodegroup's ARN is an id EKS chooses; the nodegroups are named.",
      appliesTo: nodegroups.map((arn) => `Resource::${arn}`),
    },
  ]);
}

/**
 * cloudwatch:DescribeAlarms in the stack's region, or in `regions` (a function that reads alarms
 * in other regions, as status does). A listing by name prefix is authorised against every alarm
 * (alarm:*), not against the prefix, so a prefix-scoped grant would be refused.
 */
export function grantListAlarms(reactive: ReactiveFunction, regions?: readonly string[]): void {
  const stack = Stack.of(reactive);
  const alarms = (regions ?? [undefined]).map((region) =>
    stack.formatArn({
      service: 'cloudwatch',
      region,
      resource: 'alarm',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  );
  reactive.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ListAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: alarms,
    }),
  );
  acknowledge(reactive.role, [
    {
      rule: 'AwsSolutions-IAM5',
      reason: `DescribeAlarms by name prefix is authorised against alarm:*; read-only, ${regions ? 'the named regions' : "this region's"} alarms.`,
      appliesTo: alarms.map((arn) => `Resource::${arn}`),
    },
  ]);
}
