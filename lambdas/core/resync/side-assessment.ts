import { BACKUP_METADATA_FILE, backupDir, backupDirectories } from './bucket-layout';
import { MANIFEST_FILE, parseManifest } from './manifest';
import type { ObjectInfo } from './object-info';
import { assessBackup, type BackupAssessment } from './restorable';

/** One side's listing, with every backup directory that holds a velero-backup.json assessed. */
export interface AssessedSide {
  objects: ObjectInfo[];
  assessments: Record<string, BackupAssessment>;
  /** Manifest text per backup that lists one (null when it vanished between list and read). */
  manifests: Record<string, string | null>;
}

/** What assessing a listing needs read: each backup directory's json and manifest, when listed. */
export function backupFilesToRead(objects: readonly ObjectInfo[], prefix: string): string[] {
  const listed = new Set(objects.map((o) => o.key));
  return [...backupDirectories(objects, prefix).keys()].flatMap((name) =>
    [BACKUP_METADATA_FILE, MANIFEST_FILE]
      .map((file) => `${backupDir(prefix, name)}${file}`)
      .filter((key) => listed.has(key)),
  );
}

/**
 * Assesses the backup directories of a listing from the `backupFilesToRead` texts (null: the
 * object vanished since the listing). A directory without a listed velero-backup.json is not a
 * backup (yet) and is left out.
 */
export function assessListing(
  objects: ObjectInfo[],
  prefix: string,
  texts: ReadonlyMap<string, string | null>,
  acceptPhases: readonly string[],
): AssessedSide {
  const assessments: Record<string, BackupAssessment> = {};
  const manifests: Record<string, string | null> = {};
  for (const [name, files] of backupDirectories(objects, prefix)) {
    const dir = backupDir(prefix, name);
    const has = (file: string) => files.some((f) => f.key === `${dir}${file}`);
    const manifest = has(MANIFEST_FILE) ? (texts.get(`${dir}${MANIFEST_FILE}`) ?? null) : undefined;
    if (manifest !== undefined) manifests[name] = manifest;
    if (!has(BACKUP_METADATA_FILE)) continue;
    assessments[name] = assessBackup({
      name,
      files,
      metadataJson: texts.get(`${dir}${BACKUP_METADATA_FILE}`) ?? null,
      acceptPhases,
      manifest: parseManifest(manifest, name),
    });
  }
  return { objects, assessments, manifests };
}
