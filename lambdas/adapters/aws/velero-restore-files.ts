/**
 * The files of the DR side's bucket the restore drill reads: a backup's resource list (which
 * namespaces it holds) and a restore's results (Velero's warnings and errors), both gzipped JSON
 * (pkg/persistence/object_store_layout.go: `backups/<b>/<b>-resource-list.json.gz`,
 * `restores/<r>/restore-<r>-results.gz`), and what a restore left under `restores/<r>/`.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { listObjects } from './s3-objects';
import type { BucketSide } from './velero-bucket';

async function readGzipped(side: BucketSide, key: string): Promise<string | null> {
  try {
    const { Body } = await side.s3.send(new GetObjectCommand({ Bucket: side.bucket, Key: key }));
    if (!Body) return '';
    return gunzipSync(Buffer.from(await Body.transformToByteArray())).toString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey')
      return null;
    throw error;
  }
}

export const resourceListKey = (prefix: string, backup: string) =>
  `${prefix}backups/${backup}/${backup}-resource-list.json.gz`;

export const restoreDirectory = (prefix: string, restore: string) =>
  `${prefix}restores/${restore}/`;

/** The backup's resource list as JSON text, or null when the file is missing. */
export function readBackupResourceList(side: BucketSide, backup: string): Promise<string | null> {
  return readGzipped(side, resourceListKey(side.prefix, backup));
}

/** The restore's results as JSON text, or null when Velero has not written them (yet). */
export function readRestoreResults(side: BucketSide, restore: string): Promise<string | null> {
  return readGzipped(
    side,
    `${restoreDirectory(side.prefix, restore)}restore-${restore}-results.gz`,
  );
}

/** The keys a restore has under `restores/<name>/`. */
export async function restoreObjects(side: BucketSide, restore: string): Promise<string[]> {
  return (await listObjects(side.s3, side.bucket, restoreDirectory(side.prefix, restore))).map(
    (o) => o.key,
  );
}
