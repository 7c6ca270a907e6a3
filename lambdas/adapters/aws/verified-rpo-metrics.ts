import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE, VERIFIED_RPO_METRIC } from '../../core/metric-names';
import type { VerifiedRpoReport } from '../../core/restore/verified-rpo';

/**
 * Publishes the verified RPO: per schedule (dimension `Schedule`), and the newest verified backup
 * of any schedule without dimensions, which the alarm watches. Before the first verified drill
 * nothing is published, so the alarm (missing data = breaching) fires: no drill, no proof.
 */
export async function publishVerifiedRpo(
  cloudwatch: CloudWatchClient,
  report: VerifiedRpoReport,
): Promise<void> {
  if (!report.overall) return;
  const Timestamp = new Date(report.now);
  const MetricData = [
    ...report.schedules.map((s) => ({
      MetricName: VERIFIED_RPO_METRIC,
      Dimensions: [{ Name: 'Schedule', Value: s.schedule }],
      Value: s.rpoSeconds,
      Unit: 'Seconds' as const,
      Timestamp,
    })),
    {
      MetricName: VERIFIED_RPO_METRIC,
      Dimensions: [],
      Value: report.overall.rpoSeconds,
      Unit: 'Seconds' as const,
      Timestamp,
    },
  ];
  for (let i = 0; i < MetricData.length; i += 1000) {
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: METRICS_NAMESPACE,
        MetricData: MetricData.slice(i, i + 1000),
      }),
    );
  }
}
