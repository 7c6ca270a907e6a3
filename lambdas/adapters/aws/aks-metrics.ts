import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { AKS_PROBLEM_METRIC, type AksProblem } from '../../core/aks/names';
import { METRICS_NAMESPACE } from '../../core/metric-names';

/**
 * Publishes 1 for each standing problem and 0 for each cleared one (dimension `Problem`), with
 * PutMetricData rather than EMF: Powertools adds a `service` dimension the alarms do not watch.
 */
export async function publishAksProblems(
  cloudwatch: CloudWatchClient,
  problems: Partial<Record<AksProblem, boolean>>,
  at: Date,
): Promise<void> {
  const entries = Object.entries(problems);
  if (entries.length === 0) return;
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: METRICS_NAMESPACE,
      MetricData: entries.map(([problem, standing]) => ({
        MetricName: AKS_PROBLEM_METRIC,
        Dimensions: [{ Name: 'Problem', Value: problem }],
        Value: standing ? 1 : 0,
        Unit: 'Count',
        Timestamp: at,
      })),
    }),
  );
}
