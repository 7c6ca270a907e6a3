import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeleteObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { veleroBackup } from '../../cli/embedded/velero-layout';
import {
  clearAwsClientCache,
  cloudWatchClient,
  dynamoDbDocumentClient,
  route53Client,
  s3Client,
} from '../../lambdas/adapters/aws/clients';
import { listObjects } from '../../lambdas/adapters/aws/s3-objects';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { stateKeys } from '../../lambdas/core/state-keys';
import { runResync } from '../../lambdas/resync/run-resync';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';
import { upsertRecord } from '../../cli/embedded/seed-dns';

// Small pages, so every listing crosses page boundaries.
useMoto({ env: { MOTO_S3_DEFAULT_MAX_KEYS: '5' } });

const PRIMARY = 'acme-velero-eu-west-1';
const DR = 'acme-velero-eu-central-1';
const drS3 = () => s3Client('eu-central-1');
const primaryS3 = () => s3Client('eu-west-1');

async function keys(s3: S3Client, bucket: string): Promise<string[]> {
  return (await listObjects(s3, bucket, '')).map((o) => o.key).sort();
}

/** Every backup on `bucket` whose json is visible has all its files and drpilot's manifest. */
async function visibleBackupsAreComplete(bucket: string, source: string[]): Promise<string[]> {
  const target = await keys(drS3(), bucket);
  const visible = target
    .filter((k) => k.endsWith('/velero-backup.json'))
    .map((k) => k.split('/')[1]!);
  for (const name of visible) {
    const expected = source.filter((k) => k.startsWith(`backups/${name}/`));
    for (const key of expected)
      expect(target, `${key} missing beside a visible json`).toContain(key);
    expect(target).toContain(`backups/${name}/drpilot-manifest.json`);
  }
  return visible;
}

/** Records every key written or deleted through a client. */
function recordWrites(s3: S3Client): string[] {
  const written: string[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string };
      if (
        /^(Put|Copy|Delete|CreateMultipartUpload|UploadPartCopy|CompleteMultipartUpload)/.test(
          context.commandName ?? '',
        ) &&
        input.Key
      ) {
        written.push(input.Key);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordWrites' },
  );
  return written;
}

/** Fails the first CopyObject through this client whose target key and count match. */
function failCopy(s3: S3Client, matches: (key: string, n: number) => boolean): void {
  let copies = 0;
  let failed = false;
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: string }).Key ?? '';
      if (context.commandName === 'CopyObjectCommand' && !failed && matches(key, ++copies)) {
        failed = true;
        throw Object.assign(new Error(`injected fault on copy #${copies} (${key})`), {
          name: 'InternalError',
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'failCopy' },
  );
}

const pointMainRecordAt = (config: DrpilotConfig, target: string) =>
  upsertRecord(route53Client(), config.dns.hostedZoneId, {
    name: config.dns.recordName,
    type: 'CNAME',
    ttl: 30,
    value: target,
  });

const run = (config: DrpilotConfig, extra: Partial<Parameters<typeof runResync>[1]> = {}) =>
  runResync(config, { dryRun: false, trigger: 'test', ...extra });

describe('resync against moto (pagination at 5 keys per page)', () => {
  it('copies every restorable backup primary → dr, json last, skips the rest with reasons, and measures the RPO', async () => {
    const { config, backups } = await seedExampleEstate();
    const writes = recordWrites(drS3());
    const result = await run(config);

    const restorable = backups.filter(
      (b) => b.phase === 'Completed' && !b.role.includes('tarball'),
    );
    expect(result).toMatchObject({ outcome: 'copied', from: 'primary', to: 'dr', failures: [] });
    expect(result.copied).toEqual(restorable.map((b) => b.name).sort());
    const skipped = Object.fromEntries(result.skipped.map((s) => [s.name, s.reason]));
    for (const b of backups.filter((x) => !restorable.includes(x))) {
      expect(skipped[b.name], b.role).toBeTruthy();
    }
    expect(Object.values(skipped).join(' ')).toMatch(/InProgress/);
    expect(Object.values(skipped).join(' ')).toMatch(/tar\.gz/);

    const source = await keys(primaryS3(), PRIMARY);
    expect(await visibleBackupsAreComplete(DR, source)).toEqual(result.copied);
    const kopia = source.filter((k) => k.startsWith('kopia/'));
    expect(await keys(drS3(), DR)).toEqual(expect.arrayContaining(kopia));

    // json last within each backup, and nothing outside the mirrored areas
    for (const name of result.copied) {
      const order = writes.filter((k) => k.startsWith(`backups/${name}/`));
      expect(order.at(-1)).toBe(`backups/${name}/velero-backup.json`);
      expect(order.at(-2)).toBe(`backups/${name}/drpilot-manifest.json`);
    }
    expect(writes.every((k) => /^(backups|kopia|restic)\//.test(k))).toBe(true);
    expect((await keys(drS3(), DR)).every((k) => /^(backups|kopia)\//.test(k))).toBe(true);

    expect(result.rpoSeconds).toBeGreaterThanOrEqual(0);
    expect(result.rpoSeconds).toBeLessThan(25 * 60); // the newest completed about 20 minutes ago
    const recorded = await new StateStore(
      dynamoDbDocumentClient('us-east-1'),
      config.stateTable,
    ).readValue<{
      overall: { rpoSeconds: number };
    }>(stateKeys.veleroRpo('dr'));
    expect(recorded?.overall.rpoSeconds).toBe(result.rpoSeconds);
    const now = new Date();
    const metric = await cloudWatchClient('us-east-1').send(
      new GetMetricStatisticsCommand({
        Namespace: 'drpilot',
        MetricName: 'WorstBackupRpoSeconds',
        StartTime: new Date(now.getTime() - 3600_000),
        EndTime: new Date(now.getTime() + 60_000),
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    expect(metric.Datapoints?.length).toBeGreaterThan(0);
  });

  it('a second run with nothing new copies zero objects', async () => {
    const { config } = await seedExampleEstate();
    await run(config);
    const second = await run(config);
    expect(second).toMatchObject({ outcome: 'noop', copied: [], objectsCopied: 0, bytesCopied: 0 });
  });

  it('a no-op run reads no object while both listings match the last completed run, and notices any change', async () => {
    const { config } = await seedExampleEstate();
    await run(config);
    const gets = { count: 0 };
    for (const s3 of [primaryS3(), drS3()]) {
      s3.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'GetObjectCommand') gets.count++;
          return next(args);
        },
        { step: 'initialize', name: 'countGets' },
      );
    }
    const quiet = await run(config);
    expect(quiet).toMatchObject({ outcome: 'noop', objectsCopied: 0 });
    expect(quiet.skipped).toHaveLength(4); // still reported: the source's unrestorable backups
    expect(quiet.rpoSeconds).toBeGreaterThan(0);
    expect(gets.count).toBe(0);

    const fresh = veleroBackup({
      name: 'daily-new',
      version: '1.16',
      phase: 'Completed',
      schedule: 'daily',
      startTimestamp: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    for (const object of fresh.objects) {
      await primaryS3().send(
        new PutObjectCommand({ Bucket: PRIMARY, Key: object.key, Body: object.body }),
      );
    }
    const noticed = await run(config);
    expect(noticed.copied).toEqual(['daily-new']);
    expect(noticed.rpoSeconds).toBeLessThan(quiet.rpoSeconds!);
  });

  it('plans again once a deferred deletion comes due, although nothing was listed differently', async () => {
    const { config } = await seedExampleEstate();
    const keepOne: DrpilotConfig = { ...config, backups: { ...config.backups, keepLatest: 1 } };
    const [older] = (await run(keepOne)).copied;
    for (const key of await keys(primaryS3(), PRIMARY)) {
      if (key.startsWith(`backups/${older}/`)) {
        await primaryS3().send(new DeleteObjectCommand({ Bucket: PRIMARY, Key: key }));
      }
    }
    expect((await run(keepOne)).deleted).toEqual([]); // first seen missing: grace starts
    expect((await run(keepOne)).deleted).toEqual([]); // unchanged listings, grace not over
    const late = await run(keepOne, {
      now: () => new Date(Date.now() + (config.backups.deleteGraceSeconds + 60) * 1000),
    });
    expect(late.deleted).toEqual([older]);
  });

  it('a copy that dies halfway leaves no json beside incomplete files, and the next run finishes', async () => {
    const { config } = await seedExampleEstate();
    failCopy(drS3(), (_key, n) => n === 7);
    const broken = await run(config);
    expect(broken.outcome).toBe('failed');
    expect(broken.failures[0]?.message).toContain('injected fault on copy #7');
    const source = await keys(primaryS3(), PRIMARY);
    const visibleAfterFault = await visibleBackupsAreComplete(DR, source);
    const failedUnit = broken.failures[0]!.unit;
    if (failedUnit.startsWith('backup:')) {
      expect(visibleAfterFault).not.toContain(failedUnit.slice('backup:'.length));
    } else {
      expect(visibleAfterFault).toEqual([]); // which blobs a backup needs is unknowable
    }
    expect(visibleAfterFault).toEqual(broken.copied);

    clearAwsClientCache(); // the fault is gone
    const rerun = await run(config);
    expect(rerun.outcome).toBe('copied');
    const everything = [...visibleAfterFault, ...rerun.copied].sort();
    expect(everything).toHaveLength(2);
    expect(await visibleBackupsAreComplete(DR, source)).toEqual(everything);
    expect((await run(config)).objectsCopied).toBe(0);
  });

  it('a failed repository copy keeps every backup invisible to DR until a run completes it', async () => {
    const { config } = await seedExampleEstate();
    failCopy(drS3(), (key) => key.startsWith('kopia/'));
    const broken = await run(config);
    expect(broken.outcome).toBe('failed');
    expect(broken.failures).toHaveLength(1);
    expect(broken.failures[0]!.unit).toBe('kopia:app');
    expect(broken.copied).toEqual([]);
    expect((await keys(drS3(), DR)).filter((k) => k.endsWith('velero-backup.json'))).toEqual([]);

    clearAwsClientCache();
    const rerun = await run(config);
    expect(rerun.outcome).toBe('copied');
    expect(rerun.copied).toHaveLength(2);
  });

  it('skips corrupt and foreign json with a reason, never a crash', async () => {
    const { config } = await seedExampleEstate();
    const s3 = primaryS3();
    await s3.send(
      new PutObjectCommand({
        Bucket: PRIMARY,
        Key: 'backups/garbled/velero-backup.json',
        Body: '{"apiVersion": "velero.io/v1", "kind":',
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: PRIMARY,
        Key: 'backups/a-restore/velero-backup.json',
        Body: JSON.stringify({
          apiVersion: 'velero.io/v1',
          kind: 'Restore',
          metadata: { name: 'a-restore' },
        }),
      }),
    );
    const result = await run(config);
    expect(result.outcome).toBe('copied');
    const skipped = Object.fromEntries(result.skipped.map((s) => [s.name, s.reason]));
    expect(skipped.garbled).toMatch(/parse/i);
    expect(skipped['a-restore']).toMatch(/Restore/);
    expect(await keys(drS3(), DR)).not.toContain('backups/garbled/velero-backup.json');
  });

  it('propagates a deletion only after the grace period, and never below keepLatest', async () => {
    const { config } = await seedExampleEstate();
    const first = await run(config);
    const [older, newer] = first.copied; // names sort by start time
    const keepOne: DrpilotConfig = { ...config, backups: { ...config.backups, keepLatest: 1 } };
    for (const key of await keys(primaryS3(), PRIMARY)) {
      if (key.startsWith(`backups/${older}/`)) {
        await primaryS3().send(new DeleteObjectCommand({ Bucket: PRIMARY, Key: key }));
      }
    }
    const soon = await run(keepOne);
    expect(soon.deleted).toEqual([]);
    expect(await keys(drS3(), DR)).toContain(`backups/${older}/velero-backup.json`);

    const afterGrace = () => new Date(Date.now() + (config.backups.deleteGraceSeconds + 60) * 1000);
    const protectedRun = await run(config, { now: afterGrace }); // keepLatest 3 protects it
    expect(protectedRun.deleted).toEqual([]);
    const late = await run(keepOne, { now: afterGrace });
    expect(late.deleted).toEqual([older]);
    const remaining = await keys(drS3(), DR);
    expect(remaining.filter((k) => k.startsWith(`backups/${older}/`))).toEqual([]);
    expect(remaining).toContain(`backups/${newer}/velero-backup.json`);
  });

  it('deletes nothing while a bucket is not versioned, says why, and deletes once both are', async () => {
    const { config } = await seedExampleEstate();
    const first = await run(config);
    const [older] = first.copied;
    const keepOne: DrpilotConfig = { ...config, backups: { ...config.backups, keepLatest: 1 } };
    for (const key of await keys(primaryS3(), PRIMARY)) {
      if (key.startsWith(`backups/${older}/`)) {
        await primaryS3().send(new DeleteObjectCommand({ Bucket: PRIMARY, Key: key }));
      }
    }
    await drS3().send(
      new PutBucketVersioningCommand({
        Bucket: DR,
        VersioningConfiguration: { Status: 'Suspended' },
      }),
    );
    const afterGrace = () => new Date(Date.now() + (config.backups.deleteGraceSeconds + 60) * 1000);
    await run(keepOne); // first seen missing: the grace period starts
    const writes = recordWrites(drS3());
    const refused = await run(keepOne, { now: afterGrace });
    expect(refused.deleted).toEqual([]);
    expect(refused.deletionsRefused).toMatchObject({ backups: [older] });
    expect(refused.deletionsRefused!.reason).toBe(
      `deletions refused: ${DR}: versioning is Suspended. Re-sync deletes only when both buckets have versioning Enabled, so a deleted object stays restorable (aws s3api put-bucket-versioning --bucket <bucket> --versioning-configuration Status=Enabled)`,
    );
    expect(writes).toEqual([]);
    expect(await keys(drS3(), DR)).toContain(`backups/${older}/velero-backup.json`);
    const dry = await run(keepOne, { now: afterGrace, dryRun: true });
    expect(dry.deleted).toEqual([]);
    expect(dry.deletionsRefused?.backups).toEqual([older]);

    await drS3().send(
      new PutBucketVersioningCommand({
        Bucket: DR,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    const allowed = await run(keepOne, { now: afterGrace });
    expect(allowed.deleted).toEqual([older]);
    expect(allowed.deletionsRefused).toBeNull();
    expect((await keys(drS3(), DR)).filter((k) => k.startsWith(`backups/${older}/`))).toEqual([]);
  });

  it('flows dr → primary after a failover, so what was written in DR comes home', async () => {
    const { config } = await seedExampleEstate();
    await run(config);
    await pointMainRecordAt(config, config.clusters.dr.endpoint);
    const written = veleroBackup({
      name: 'written-in-dr',
      version: '1.18',
      phase: 'Completed',
      schedule: 'daily',
      startTimestamp: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    for (const object of written.objects) {
      await drS3().send(new PutObjectCommand({ Bucket: DR, Key: object.key, Body: object.body }));
    }
    const back = await run(config);
    expect(back).toMatchObject({ from: 'dr', to: 'primary' });
    expect(back.copied).toContain('written-in-dr');
    expect(await keys(primaryS3(), PRIMARY)).toContain('backups/written-in-dr/velero-backup.json');
  });

  it('refuses when the main record points at neither side, or another run holds the lease', async () => {
    const { config } = await seedExampleEstate();
    await pointMainRecordAt(config, 'elsewhere.example.net');
    const unknown = await run(config);
    expect(unknown).toMatchObject({ outcome: 'refused', objectsCopied: 0 });
    expect(unknown.reason).toContain('elsewhere.example.net');

    await pointMainRecordAt(config, config.clusters.primary.endpoint);
    const store = new StateStore(dynamoDbDocumentClient('us-east-1'), config.stateTable);
    await store.acquireLease('resync', 'someone-else', 600);
    const busy = await run(config);
    expect(busy.outcome).toBe('refused');
    expect(busy.reason).toContain('someone-else');
    expect(await keys(drS3(), DR)).toEqual([]);
  });

  it('drpilot resync: --dry-run touches nothing, --json follows the contract, exit codes', async () => {
    const { configFile } = await seedExampleEstate();
    const dry = await runCli(['resync', '--config', configFile, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(dry.json()).toMatchObject({
      outcome: 'dry-run',
      from: 'primary',
      to: 'dr',
      objectsCopied: 0,
    });
    expect(dry.json().copied).toHaveLength(2);
    expect(await keys(drS3(), DR)).toEqual([]);

    const real = await runCli(['resync', '--yes', '--config', configFile, '--json']);
    expect(real.code).toBe(0);
    const result = real.json();
    for (const field of [
      'outcome',
      'from',
      'to',
      'copied',
      'skipped',
      'deleted',
      'objectsCopied',
      'bytesCopied',
      'rpoSeconds',
    ]) {
      expect(result).toHaveProperty(field);
    }
    const human = await runCli(['resync', '--yes', '--config', configFile]);
    expect(human.stdout).toContain('resync primary → dr: nothing to do');
    expect(human.stdout).toMatch(/RPO on dr: \d+ (s|min)/);

    const one = await runCli([
      'resync',
      '--yes',
      '--config',
      configFile,
      '--backup',
      'nope',
      '--json',
    ]);
    expect(one.json().skipped).toEqual([{ name: 'nope', reason: 'not on the source' }]);
  });
});
