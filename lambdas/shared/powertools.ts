import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE } from '../core/metric-names';
import { parseTriggerEvent, TriggerEventError } from '../core/events/trigger-event';

export { METRICS_NAMESPACE };

export interface Observability {
  serviceName: string;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

/**
 * Logger, EMF metrics (namespace "drpilot") and Tracer for one function.
 * The Tracer turns itself off outside Lambda (no AWS_EXECUTION_ENV), under SAM local, or when
 * POWERTOOLS_TRACE_ENABLED=false, so the CLI's `--via local` and the tests never need X-Ray.
 */
export function createObservability(serviceName: string): Observability {
  return {
    serviceName,
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
    tracer: new Tracer({ serviceName }),
  };
}

export type ObservedHandler<E, R> = (event: E, context: Context, obs: Observability) => Promise<R>;

export interface WithObservabilityOptions<E> {
  /** Correlation id for this event; defaults to the alarm's event id or name, else the request id. */
  correlationId?: (event: E, context: Context) => string | undefined;
}

/**
 * Wraps a handler: Lambda context and correlation id in every log line, an X-Ray subsegment in
 * Lambda, metrics flushed when the invocation ends (also on error), errors logged without
 * secrets and rethrown so Lambda's retries and on-failure destination see them.
 */
export function withObservability<E, R>(
  serviceName: string,
  handler: ObservedHandler<E, R>,
  options: WithObservabilityOptions<E> = {},
): (event: E, context: Context) => Promise<R> {
  const obs = createObservability(serviceName);
  const { logger, metrics, tracer } = obs;
  return async (event, context) => {
    logger.addContext(context);
    logger.setCorrelationId(
      options.correlationId?.(event, context) ?? defaultCorrelationId(event, context),
    );
    const tracing = startHandlerSubsegment(tracer, context);
    try {
      return await handler(event, context, obs);
    } catch (error) {
      tracer.addErrorAsMetadata(error instanceof Error ? error : new Error(String(error)));
      reportFailure(obs, error);
      throw error;
    } finally {
      tracing.end();
      // Publishing with nothing stored only makes Powertools warn; there is nothing to send.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}

/** The alarm's EventBridge id / SNS MessageId, else "<alarm>@<time>", else the request id. */
export function defaultCorrelationId(
  event: unknown,
  context: Pick<Context, 'awsRequestId'>,
): string {
  try {
    const trigger = parseTriggerEvent(event, { allowedActions: [] });
    if (trigger.kind === 'alarm') {
      return trigger.eventId ?? `${trigger.alarmName}@${trigger.timestamp}`;
    }
  } catch {
    // Not an alarm (a manual payload, an S3 event...): the request id is what ties its logs.
  }
  return context.awsRequestId;
}

function reportFailure({ logger, metrics }: Observability, error: unknown): void {
  if (error instanceof TriggerEventError) {
    metrics.addMetric('RejectedEvents', MetricUnit.Count, 1);
    logger.warn('event rejected', { shape: error.shape, reason: redactSecrets(error.message) });
    return;
  }
  metrics.addMetric('HandlerErrors', MetricUnit.Count, 1);
  logger.error('handler failed', { error: describeError(error) });
}

function describeError(error: unknown): Record<string, string> {
  if (!(error instanceof Error))
    return { name: typeof error, message: redactSecrets(String(error)) };
  return {
    name: error.name,
    message: redactSecrets(error.message),
    stack: redactSecrets(error.stack ?? ''),
  };
}

const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '$1****'],
  [
    /(authorization|password|passwd|secret|token|signature|api[-_]?key)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi,
    '$1$2****',
  ],
  [/(sha256=)[0-9a-f]{16,}/gi, '$1****'],
];

/** Masks credentials, tokens and signatures an error message might quote. */
export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce(
    (out, [pattern, replacement]) => out.replace(pattern, replacement),
    text,
  );
}

function startHandlerSubsegment(tracer: Tracer, context: Context): { end(): void } {
  if (!tracer.isTracingEnabled()) return { end: () => undefined };
  const segment = tracer.getSegment();
  if (segment === undefined) return { end: () => undefined };
  const subsegment = segment.addNewSubsegment(`## ${context.functionName}`);
  tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  return {
    end() {
      subsegment.close();
      tracer.setSegment(segment);
    },
  };
}
