import { readdirSync, readFileSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { s3Client } from '../../lambdas/adapters/aws/clients';
import { listObjects } from '../../lambdas/adapters/aws/s3-objects';
import { handler } from '../../lambdas/resync/handler';
import { useMoto } from '../support/moto';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

const fixtures = new URL('../fixtures/events/', import.meta.url);
const load = (path: string) => JSON.parse(readFileSync(new URL(path, fixtures), 'utf8'));
const context = { awsRequestId: 'test-request' } as never;

/** Counts every S3 request sent through a client. */
function countRequests(s3: S3Client): { count: number } {
  const counter = { count: 0 };
  s3.middlewareStack.add(
    (next) => async (args) => {
      counter.count++;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return counter;
}

describe('resync handler', () => {
  beforeEach(async () => {
    const { config } = await seedExampleEstate();
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(config);
  });
  afterEach(() => {
    delete process.env.DRPILOT_CONFIG_JSON;
  });

  it('runs on the schedule payload and on the S3-event payload the CDK rules send', async () => {
    const scheduled = await handler(
      { action: 'resync', reason: 'scheduled every 5 minutes' },
      context,
    );
    expect(scheduled).toMatchObject({ outcome: 'copied', from: 'primary', to: 'dr' });
    const onEvent = await handler(
      {
        action: 'resync',
        reason:
          'velero-backup.json written: s3://acme-velero-eu-west-1/backups/x/velero-backup.json',
      },
      context,
    );
    expect(onEvent).toMatchObject({ outcome: 'noop', objectsCopied: 0 });
  });

  it('rejects alarms and every malformed event with a clear error, before any S3 request', async () => {
    const requests = [
      countRequests(s3Client('eu-west-1')),
      countRequests(s3Client('eu-central-1')),
    ];
    await expect(handler(load('eventbridge-single-metric.json'), context)).rejects.toThrow(
      /not on alarms/,
    );
    for (const file of readdirSync(new URL('malformed/', fixtures))) {
      await expect(handler(load(`malformed/${file}`), context), file).rejects.toThrow(
        /invalid|unrecognised|unsupported/,
      );
    }
    await expect(handler({ action: 'failover' }, context)).rejects.toThrow(
      /not an action this function carries out/,
    );
    expect(requests.map((r) => r.count)).toEqual([0, 0]);
  });

  it('throws after auditing a run whose copies failed, so Lambda retries it and then keeps it in the failure queue', async () => {
    const target = s3Client('eu-central-1');
    target.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === 'CopyObjectCommand')
          throw Object.assign(new Error('injected'), { name: 'SlowDown' });
        return next(args);
      },
      { step: 'initialize', name: 'failEveryCopy' },
    );
    await expect(handler({ action: 'resync', reason: 'test' }, context)).rejects.toThrow(
      /step\(s\) failed; the next run finishes the job/,
    );
    const visible = (await listObjects(target, 'acme-velero-eu-central-1', 'backups/')).filter(
      (o) => o.key.endsWith('velero-backup.json'),
    );
    expect(visible).toEqual([]);
  });
});
