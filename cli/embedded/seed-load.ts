import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { MEMBER_METRICS } from '../../lambdas/core/resize/member-alarms';
import type { ResizeMetric } from '../../lambdas/core/resize/instance-types';

export const LOAD_MINUTES = 10;

/**
 * Utilisation the way EC2 (cpu) or the CloudWatch agent (memory) publishes it: one average per
 * instance per minute, `percent` for each of the LOAD_MINUTES minutes before `atMs` (now). Real
 * CloudWatch reserves `AWS/` namespaces to AWS services; moto lets the drill play EC2.
 */
export async function publishUtilisation(
  cloudwatch: CloudWatchClient,
  metric: ResizeMetric,
  instanceIds: readonly string[],
  percent: number,
  atMs = Date.now(),
): Promise<void> {
  const { namespace, metricName: name } = MEMBER_METRICS[metric];
  const minute = Math.floor(atMs / 60_000) * 60_000;
  for (const id of instanceIds) {
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: Array.from({ length: LOAD_MINUTES }, (_, i) => ({
          MetricName: name,
          Dimensions: [{ Name: 'InstanceId', Value: id }],
          Timestamp: new Date(minute - (i + 1) * 60_000),
          Value: percent,
          Unit: 'Percent',
        })),
      }),
    );
  }
}
