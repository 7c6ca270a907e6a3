import { readFileSync } from 'node:fs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { redactSecrets, withObservability } from '../../lambdas/shared/powertools';

// These tests read the log lines (vitest.config.ts silences handlers' logs elsewhere).
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';

const context = {
  functionName: 'acme-drpilot-failover',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:acme-drpilot-failover',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/acme-drpilot-failover',
  logStreamName: '2024/01/01/[$LATEST]abcdef',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

const alarmEvent: unknown = JSON.parse(
  readFileSync(
    new URL('../fixtures/events/eventbridge-single-metric.json', import.meta.url),
    'utf8',
  ),
);

let lines: Record<string, unknown>[];
const savedEnv = { ...process.env };

beforeEach(() => {
  // Powertools' dev mode disables EMF output; make sure the test sees what Lambda would.
  delete process.env['POWERTOOLS_DEV'];
  delete process.env['POWERTOOLS_METRICS_DISABLED'];
  delete process.env['AWS_EXECUTION_ENV'];
  lines = [];
  // Powertools writes INFO and EMF to stdout, WARN and ERROR to stderr, one JSON document a line.
  const capture = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});

afterEach(() => {
  vi.restoreAllMocks();
  process.env = { ...savedEnv };
});

const emfDocuments = () => lines.filter((line) => '_aws' in line);
const logLines = () => lines.filter((line) => 'level' in line);

describe('withObservability', () => {
  it('sets the correlation id from the alarm event and emits EMF metrics', async () => {
    const handler = withObservability('failover', async (_event, _context, { logger, metrics }) => {
      logger.info('planning');
      metrics.addMetric('Switches', MetricUnit.Count, 1);
      return 'done';
    });

    await expect(handler(alarmEvent, context)).resolves.toBe('done');

    expect(logLines()).toContainEqual(
      expect.objectContaining({
        message: 'planning',
        correlation_id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
        function_request_id: context.awsRequestId,
        service: 'failover',
      }),
    );
    const [emf] = emfDocuments();
    expect(emf).toMatchObject({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'drpilot',
            Dimensions: [['service']],
            Metrics: [{ Name: 'Switches', Unit: 'Count' }],
          },
        ],
      },
      service: 'failover',
      Switches: 1,
    });
  });

  it('falls back to the request id for events that are not alarms', async () => {
    const handler = withObservability('failover', async (_event, _context, { logger }) => {
      logger.info('manual run');
    });
    await handler({ action: 'failover', reason: 'drill' }, context);
    expect(logLines()[0]).toMatchObject({ correlation_id: context.awsRequestId });
  });

  it('flushes metrics on error, logs the error without secrets and rethrows it', async () => {
    const failure = new Error('AccessDenied for AKIAIOSFODNN7EXAMPLE: password=hunter2');
    const handler = withObservability('failover', async (_event, _context, { metrics }) => {
      metrics.addMetric('Attempts', MetricUnit.Count, 1);
      throw failure;
    });

    await expect(handler(alarmEvent, context)).rejects.toBe(failure);

    const [emf] = emfDocuments();
    expect(emf).toMatchObject({ Attempts: 1, HandlerErrors: 1 });
    const errorLine = logLines().find((line) => line['level'] === 'ERROR');
    expect(errorLine).toMatchObject({
      message: 'handler failed',
      correlation_id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      error: { name: 'Error', message: 'AccessDenied for AKIA****: password=****' },
    });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    expect(JSON.stringify(lines)).not.toContain('IOSFODNN7EXAMPLE');
  });

  it('does not carry one invocation’s correlation id into the next', async () => {
    const handler = withObservability('failover', async (_event, _context, { logger }) => {
      logger.info('run');
    });
    await handler(alarmEvent, context);
    await handler({ action: 'failback' }, { ...context, awsRequestId: 'second-request' });
    expect(logLines().map((line) => line['correlation_id'])).toEqual([
      'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      'second-request',
    ]);
  });

  it('writes nothing when the handler logs and stores nothing', async () => {
    const handler = withObservability('failover', async () => 'quiet');
    await handler(alarmEvent, context);
    expect(lines).toEqual([]);
  });
});

describe('redactSecrets', () => {
  it('masks signatures and tokens', () => {
    expect(redactSecrets('x-drpilot-signature: sha256=0123456789abcdef0123456789abcdef')).toBe(
      'x-drpilot-signature: ****',
    );
    expect(redactSecrets('{"token":"abc.def"}')).toBe('{"token":"****"}');
  });
});
