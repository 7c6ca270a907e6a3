import {
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { ResizeMetric } from '../../core/resize/instance-types';
import { MEMBER_METRICS } from '../../core/resize/member-alarms';
import type { UtilisationPoint } from '../../core/resize/p95';

const QUERIES_PER_CALL = 500;

/** Per instance, its utilisation datapoints (1-minute averages) over the window. */
export async function nodeUtilisation(
  cloudwatch: CloudWatchClient,
  metric: ResizeMetric,
  instanceIds: readonly string[],
  window: { start: Date; end: Date },
): Promise<Map<string, UtilisationPoint[]>> {
  const source = MEMBER_METRICS[metric];
  const points = new Map<string, UtilisationPoint[]>(instanceIds.map((id) => [id, []]));
  for (let offset = 0; offset < instanceIds.length; offset += QUERIES_PER_CALL) {
    const chunk = instanceIds.slice(offset, offset + QUERIES_PER_CALL);
    const queries: MetricDataQuery[] = chunk.map((id, i) => ({
      Id: `n${offset + i}`,
      MetricStat: {
        Metric: {
          Namespace: source.namespace,
          MetricName: source.metricName,
          Dimensions: [{ Name: 'InstanceId', Value: id }],
        },
        Period: 60,
        Stat: 'Average',
      },
    }));
    let NextToken: string | undefined;
    do {
      const page = await cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: window.start,
          EndTime: window.end,
          NextToken,
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        const id = chunk[Number((result.Id ?? 'n0').slice(1)) - offset];
        if (!id) continue;
        const timestamps = result.Timestamps ?? [];
        (result.Values ?? []).forEach((percent, i) => {
          const at = timestamps[i];
          if (at) points.get(id)?.push({ timestampMs: at.getTime(), percent });
        });
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return points;
}
