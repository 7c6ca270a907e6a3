import { PutObjectCommand, DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from './sdk-clients/s3';
import { listObjects, readTextObject } from './s3-objects';
import type { BackupsConfig, Side } from '../../core/config/schema';
import { MIRRORED_AREAS, type MirroredArea } from '../../core/resync/bucket-layout';
import type { ObjectInfo } from '../../core/resync/object-info';
import { forEachBounded } from '../../core/bounded-concurrency';

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

/**
 * Lists what re-sync mirrors on the target, one listing per area, all at once (a bucket of
 * several pages per area is listed in the time of its longest area, not of all pages in a row).
 * Only for the target: drpilot alone writes there, under its lease, so the backups-first order
 * `listMirrored` keeps for the source does not apply (core/resync/sync-plan.ts, step 1). The
 * result is in key order, as one listing would return it.
 */
export async function listMirroredTarget(side: BucketSide): Promise<ObjectInfo[]> {
  const areas = await Promise.all(
    MIRRORED_AREAS.map((area) => listObjects(side.s3, side.bucket, `${side.prefix}${area}/`)),
  );
  return areas.flat();
}

/** The bodies of `keys` as text, `readConcurrency` at a time; null for a key that has vanished. */
export async function readTexts(
  side: BucketSide,
  keys: readonly string[],
  readConcurrency: number,
): Promise<Map<string, string | null>> {
  const texts = new Map<string, string | null>();
  await forEachBounded(keys, readConcurrency, async (key) => {
    texts.set(key, await readTextObject(side.s3, side.bucket, key));
  });
  return texts;
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
