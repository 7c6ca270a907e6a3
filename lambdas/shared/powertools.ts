import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE } from '../core/metric-names';
import { parseTriggerEvent, TriggerEventError } from '../core/events/trigger-event';

export { METRICS_NAMESPACE };

export interface Observability {
  serviceName: string;
  logger: Logger;
  metrics: Metrics;
}

/** Logger and EMF metrics (namespace "drpilot") for one function. */
export function createObservability(serviceName: string): Observability {
  return {
    serviceName,
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  };
}

/**
 * Powertools' Tracer, only in a function bundled with observability.tracing on:
 * `process.env.DRPILOT_TRACING` is inlined at bundling (lib/lambda-bundling.ts, configDefine), so
 * an untraced bundle leaves the Tracer and the X-Ray SDK under it out altogether, and a traced one
 * starts loading them during init. Outside a bundle (the CLI's `--via local`, the tests) it is
 * unset: there the Tracer would turn itself off anyway (no AWS_EXECUTION_ENV). The Tracer also
 * stays off under SAM local or with POWERTOOLS_TRACE_ENABLED=false.
 */
function loadTracer(serviceName: string): Promise<Tracer | undefined> {
  // This exact shape (`=== 'true' ? import : …`) is one esbuild removes whole when it folds to false.
  return process.env.DRPILOT_TRACING === 'true'
    ? import('@aws-lambda-powertools/tracer').then(({ Tracer }) => new Tracer({ serviceName }))
    : Promise.resolve(undefined);
}

export type ObservedHandler<E, R> = (event: E, context: Context, obs: Observability) => Promise<R>;

export interface WithObservabilityOptions<E> {
  /** Correlation id for this event; defaults to the alarm's event id or name, else the request id. */
  correlationId?: (event: E, context: Context) => string | undefined;
}

/**
 * Wraps a handler: Lambda context and correlation id in every log line, an X-Ray subsegment in
 * Lambda when traced, metrics flushed when the invocation ends (also on error), errors logged without
 * secrets and rethrown so Lambda's retries and on-failure destination see them.
 */
export function withObservability<E, R>(
  serviceName: string,
  handler: ObservedHandler<E, R>,
  options: WithObservabilityOptions<E> = {},
): (event: E, context: Context) => Promise<R> {
  const obs = createObservability(serviceName);
  const { logger, metrics } = obs;
  const tracerLoaded = loadTracer(serviceName);
  // A failed load fails the invocation that awaits it, not the process before any invocation.
  tracerLoaded.catch(() => undefined);
  return async (event, context) => {
    logger.addContext(context);
    logger.setCorrelationId(
      options.correlationId?.(event, context) ?? defaultCorrelationId(event, context),
    );
    let tracer: Tracer | undefined;
    let tracing = NOT_TRACING;
    try {
      tracer = await tracerLoaded;
      tracing = startHandlerSubsegment(tracer, context);
      return await handler(event, context, obs);
    } catch (error) {
      tracer?.addErrorAsMetadata(error instanceof Error ? error : new Error(String(error)));
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

const NOT_TRACING: { end(): void } = { end: () => undefined };

function startHandlerSubsegment(tracer: Tracer | undefined, context: Context): { end(): void } {
  if (!tracer?.isTracingEnabled()) return NOT_TRACING;
  const segment = tracer.getSegment();
  if (segment === undefined) return NOT_TRACING;
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
