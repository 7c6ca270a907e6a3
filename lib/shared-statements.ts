import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { SIDES, type DrpilotConfig } from '../lambdas/core/config/schema';

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
