import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE, RPO_METRIC, WORST_RPO_METRIC } from '../../core/metric-names';
import type { RpoReport } from '../../core/resync/rpo';

/**
 * Publishes the standby side's RPO with PutMetricData rather than EMF: Powertools adds a
 * `service` dimension to EMF metrics, and the RPO alarm watches the metric without dimensions.
 * The worst figure is left out while any schedule has no restorable backup on the standby side,
 * so the alarm (missing data = breaching) fires.
 */
export async function publishRpo(cloudwatch: CloudWatchClient, report: RpoReport): Promise<void> {
  const Timestamp = new Date(report.now);
  const measured = report.schedules.filter((s) => s.rpoSeconds !== null);
  const MetricData = measured.map((s) => ({
    MetricName: RPO_METRIC,
    Dimensions: [{ Name: 'Schedule', Value: s.schedule }],
    Value: s.rpoSeconds ?? 0,
    Unit: 'Seconds' as const,
    Timestamp,
  }));
  if (measured.length > 0 && measured.length === report.schedules.length) {
    MetricData.push({
      MetricName: WORST_RPO_METRIC,
      Dimensions: [],
      Value: Math.max(...measured.map((s) => s.rpoSeconds ?? 0)),
      Unit: 'Seconds',
      Timestamp,
    });
  }
  for (let i = 0; i < MetricData.length; i += 1000) {
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: METRICS_NAMESPACE,
        MetricData: MetricData.slice(i, i + 1000),
      }),
    );
  }
}
