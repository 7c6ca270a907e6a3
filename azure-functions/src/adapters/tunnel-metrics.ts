import type { InvocationContext } from '@azure/functions';
import type { TunnelMetric } from '../core/tunnel-health';

/** The prefix of the trace line a tunnel metric is logged as. */
export const CUSTOM_METRIC_PREFIX = 'customMetric ';

/**
 * Logs a tunnel state change as one structured trace line, `customMetric {"name", "value",
 * "properties"}`. The app ships no Application Insights SDK (only the Functions host's own
 * telemetry, enabled by APPLICATIONINSIGHTS_CONNECTION_STRING), so the host sends this line to the
 * `traces` table, from which the README's query turns it back into a metric.
 */
export function logTunnelMetric(
  context: Pick<InvocationContext, 'log'>,
  metric: TunnelMetric,
): void {
  context.log(`${CUSTOM_METRIC_PREFIX}${JSON.stringify(metric)}`);
}
