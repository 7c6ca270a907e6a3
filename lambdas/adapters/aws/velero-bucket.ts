import { PutObjectCommand, DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from './clients';
import { listObjects, readTextObject } from './s3-objects';
import type { BackupsConfig, Side } from '../../core/config/schema';
import {
  BACKUP_METADATA_FILE,
  backupDirectories,
  MIRRORED_AREAS,
  type MirroredArea,
} from '../../core/resync/bucket-layout';
import { MANIFEST_FILE, parseManifest } from '../../core/resync/manifest';
import type { ObjectInfo } from '../../core/resync/object-info';
import { assessBackup, type BackupAssessment } from '../../core/resync/restorable';
import { forEachBounded } from '../../shared/bounded-concurrency';

/** One side's Velero bucket, with the client of its region. */
export interface BucketSide {
  side: Side;
  bucket: string;
  region: string;
  prefix: string;
  s3: S3Client;
}

export function bucketSide(backups: BackupsConfig, side: Side): BucketSide {
  const { bucket, region, prefix } = backups.buckets[side];
  return { side, bucket, region, prefix, s3: s3Client(region) };
}

/**
 * Lists what re-sync mirrors. All three areas come from one paginated listing of the BSL prefix:
 * pages arrive in key order, so `backups/` is listed before `kopia/` and `restic/`. That order
 * matters: a backup's repository data is written before its json, so repository keys listed
 * after the json was seen include every blob that backup wrote. One area alone (the DNS check
 * reads `backups/` only) is listed under its own prefix.
 */
export async function listMirrored(
  side: BucketSide,
  areas: readonly MirroredArea[] = MIRRORED_AREAS,
): Promise<ObjectInfo[]> {
  if (areas.length === 1) {
    return listObjects(side.s3, side.bucket, `${side.prefix}${areas[0]}/`);
  }
  const wanted = areas.map((area) => `${side.prefix}${area}/`);
  const listed = await listObjects(side.s3, side.bucket, side.prefix);
  return listed.filter((o) => wanted.some((start) => o.key.startsWith(start)));
}

export interface AssessedSide {
  objects: ObjectInfo[];
  assessments: Record<string, BackupAssessment>;
  /** Manifest text per backup that lists one (null when it vanished between list and read). */
  manifests: Record<string, string | null>;
}

/**
 * Lists a side and assesses every backup directory that holds a velero-backup.json. `areas`
 * limits the listing (the DNS check reads `backups/` only, and may list nothing else).
 */
export async function assessSide(
  side: BucketSide,
  acceptPhases: readonly string[],
  readConcurrency: number,
  areas: readonly MirroredArea[] = MIRRORED_AREAS,
): Promise<AssessedSide> {
  return assessListing(side, await listMirrored(side, areas), acceptPhases, readConcurrency);
}

/** Reads and assesses the backup directories of a listing already taken. */
export async function assessListing(
  side: BucketSide,
  objects: ObjectInfo[],
  acceptPhases: readonly string[],
  readConcurrency: number,
): Promise<AssessedSide> {
  const assessments: Record<string, BackupAssessment> = {};
  const manifests: Record<string, string | null> = {};
  const dirs = [...backupDirectories(objects, side.prefix)];
  await forEachBounded(dirs, readConcurrency, async ([name, files]) => {
    const dir = `${side.prefix}backups/${name}/`;
    const has = (file: string) => files.some((f) => f.key === `${dir}${file}`);
    const [json, manifest] = await Promise.all([
      has(BACKUP_METADATA_FILE)
        ? readTextObject(side.s3, side.bucket, `${dir}${BACKUP_METADATA_FILE}`)
        : undefined,
      has(MANIFEST_FILE)
        ? readTextObject(side.s3, side.bucket, `${dir}${MANIFEST_FILE}`)
        : undefined,
    ]);
    if (manifest !== undefined) manifests[name] = manifest;
    if (json === undefined) return;
    assessments[name] = assessBackup({
      name,
      files,
      metadataJson: json,
      acceptPhases,
      manifest: parseManifest(manifest, name),
    });
  });
  return { objects, assessments, manifests };
}

export async function putText(side: BucketSide, key: string, body: string): Promise<void> {
  await side.s3.send(
    new PutObjectCommand({
      Bucket: side.bucket,
      Key: key,
      Body: body,
      ContentType: 'application/json',
    }),
  );
}

export async function deleteKey(side: BucketSide, key: string): Promise<void> {
  await side.s3.send(new DeleteObjectCommand({ Bucket: side.bucket, Key: key }));
}
