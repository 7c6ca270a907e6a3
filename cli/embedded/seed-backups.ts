import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { s3Client } from '../../lambdas/adapters/aws/sdk-clients/s3';
import type { BackupsConfig, DrpilotConfig, Side } from '../../lambdas/core/config/schema';
import {
  kopiaRepositoryObjects,
  veleroBackup,
  type BackupPhase,
  type BucketObject,
} from './velero-layout';

export interface SeededBackup {
  side: Side;
  name: string;
  phase: BackupPhase;
  /** Why this backup is in the estate: what a restorable rule must make of it. */
  role: string;
}

const VELERO_VERSION = '1.16';
const MINUTE = 60_000;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function backupName(schedule: string, startedMs: number): string {
  return `${schedule}-${iso(startedMs)
    .replace(/[-:TZ]/g, '')
    .slice(0, 14)}`;
}

interface SeedEntry {
  schedule: string;
  startedMinutesAgo: number;
  phase: BackupPhase;
  role: string;
  omit?: string[];
}

/**
 * The primary's bucket after a day of backups: completed backups of two schedules, one still in
 * progress, one failed, one partially failed, one whose tarball never arrived, and a kopia
 * repository for the file-system backups. The DR bucket starts empty: re-sync fills it.
 */
const PRIMARY_BACKUPS: SeedEntry[] = [
  { schedule: 'daily', startedMinutesAgo: 20, phase: 'Completed', role: 'newest restorable' },
  {
    schedule: 'daily',
    startedMinutesAgo: 24 * 60,
    phase: 'Completed',
    role: 'restorable, a day old',
  },
  {
    schedule: 'hourly',
    startedMinutesAgo: 5,
    phase: 'InProgress',
    role: 'not restorable: in progress',
  },
  {
    schedule: 'hourly',
    startedMinutesAgo: 65,
    phase: 'PartiallyFailed',
    role: 'restorable only if PartiallyFailed is accepted',
  },
  { schedule: 'hourly', startedMinutesAgo: 125, phase: 'Failed', role: 'not restorable: failed' },
  {
    schedule: 'hourly',
    startedMinutesAgo: 185,
    phase: 'Completed',
    role: 'not restorable: tarball missing',
    omit: ['.tar.gz'],
  },
];

export function planVeleroBuckets(
  now: number,
): { side: Side; backups: SeededBackup[]; objects: BucketObject[] }[] {
  const objects: BucketObject[] = [];
  const backups: SeededBackup[] = [];
  for (const entry of PRIMARY_BACKUPS) {
    const startedMs = now - entry.startedMinutesAgo * MINUTE;
    const backup = veleroBackup({
      name: backupName(entry.schedule, startedMs),
      version: VELERO_VERSION,
      phase: entry.phase,
      schedule: entry.schedule,
      startTimestamp: iso(startedMs),
      counters: { itemsBackedUp: 42, totalItems: 42, podVolumeBackups: 2 },
      ...(entry.omit ? { omit: entry.omit } : {}),
    });
    objects.push(...backup.objects);
    backups.push({ side: 'primary', name: backup.name, phase: entry.phase, role: entry.role });
  }
  objects.push(
    ...kopiaRepositoryObjects({ prefix: '', namespace: 'app', time: iso(now - 20 * MINUTE) }),
  );
  return [
    { side: 'primary', backups, objects },
    { side: 'dr', backups: [], objects: [] },
  ];
}

/** Creates both Velero buckets in their regions and fills them as planVeleroBuckets says. */
export async function seedVeleroBuckets(
  s3For: (region: string) => S3Client,
  backups: BackupsConfig,
  now = Date.now(),
): Promise<SeededBackup[]> {
  const seeded: SeededBackup[] = [];
  for (const plan of planVeleroBuckets(now)) {
    const { bucket, region, prefix } = backups.buckets[plan.side];
    const s3 = s3For(region);
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
      }),
    );
    // As docs/resync.md asks of Velero's buckets: versioned, or re-sync deletes nothing.
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    for (const object of plan.objects) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${prefix}${object.key}`,
          Body: object.body,
          ContentType: object.contentType,
        }),
      );
    }
    seeded.push(...plan.backups);
  }
  return seeded;
}

/** Writes a Completed, restorable Velero backup into a side's bucket, completed at `completedAt`. */
export async function writeBackup(
  config: DrpilotConfig,
  side: Side,
  name: string,
  completedAt: Date,
): Promise<void> {
  const iso = completedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const backup = veleroBackup({
    name,
    version: '1.16',
    phase: 'Completed',
    schedule: 'daily',
    startTimestamp: iso,
    completionTimestamp: iso,
    counters: { itemsBackedUp: 42, totalItems: 42, podVolumeBackups: 2 },
  });
  const { bucket, region, prefix } = config.backups.buckets[side];
  for (const object of backup.objects) {
    await s3Client(region).send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}${object.key}`,
        Body: object.body,
        ContentType: object.contentType,
      }),
    );
  }
}
