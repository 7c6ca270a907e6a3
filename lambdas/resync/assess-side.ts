import { listMirrored, readTexts, type BucketSide } from '../adapters/aws/velero-bucket';
import { MIRRORED_AREAS, type MirroredArea } from '../core/resync/bucket-layout';
import type { ObjectInfo } from '../core/resync/object-info';
import {
  assessListing,
  backupFilesToRead,
  type AssessedSide,
} from '../core/resync/side-assessment';

/** Reads what a listing already taken needs assessed, and assesses it (see assessListing). */
export async function assessListed(
  side: BucketSide,
  objects: ObjectInfo[],
  acceptPhases: readonly string[],
  readConcurrency: number,
): Promise<AssessedSide> {
  const texts = await readTexts(side, backupFilesToRead(objects, side.prefix), readConcurrency);
  return assessListing(objects, side.prefix, texts, acceptPhases);
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
  return assessListed(side, await listMirrored(side, areas), acceptPhases, readConcurrency);
}
