import { ListMetricsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { AlarmDimension } from '../../core/resize/member-alarms';

/**
 * Whether CloudWatch lists the metric with exactly these dimension values and at least one datapoint
 * in the past three hours. ListMetrics returns metrics that had data in the past two weeks, or with
 * `RecentlyActive: "PT3H"` only those with data in the past three hours
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html): three
 * hours, so members that stop publishing (the agent removed) fall back to per-member alarms the
 * same afternoon rather than leaving a silent group alarm for two weeks. A metric with more
 * dimensions than asked for is listed too, so the answer is checked for the exact set.
 */
export async function metricListed(
  cloudwatch: CloudWatchClient,
  metric: { namespace: string; metricName: string; dimensions: readonly AlarmDimension[] },
): Promise<boolean> {
  const wanted = metric.dimensions
    .map((d) => `${d.name}=${d.value}`)
    .sort()
    .join('\n');
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new ListMetricsCommand({
        Namespace: metric.namespace,
        MetricName: metric.metricName,
        Dimensions: metric.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
        RecentlyActive: 'PT3H',
        NextToken,
      }),
    );
    const exact = (page.Metrics ?? []).some(
      (m) =>
        (m.Dimensions ?? [])
          .map((d) => `${d.Name}=${d.Value}`)
          .sort()
          .join('\n') === wanted,
    );
    if (exact) return true;
    NextToken = page.NextToken;
  } while (NextToken);
  return false;
}
