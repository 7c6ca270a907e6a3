/**
 * What copying one restorable backup to the target takes, given what the target already has.
 *
 * The commit protocol (why a half-done run is always safe and finished by the next one):
 * - velero-backup.json is copied last: the DR cluster's sync controller imports any backup
 *   whose json it sees (backup_sync_controller.go v1.18.1 l.151-161), without checking the rest.
 * - drpilot's manifest is written just before the json, after every other file arrived.
 * - When a committed backup (json on the target) must change, its json is deleted first, so
 *   the DR cluster never sees a json over files being replaced, and a json on the target always
 *   was copied after the manifest that describes it.
 */
import { BACKUP_METADATA_FILE, backupDir } from './bucket-layout';
import { MANIFEST_FILE, manifestBody, MANIFEST_VERSION, sameManifestContent } from './manifest';
import type { DrpilotManifest, ManifestEntry } from './manifest';
import type { ObjectInfo } from './object-info';
import { sameEtag } from './object-info';
import { backupUnit } from './sync-steps';
import type { CopyStep, DeleteStep, WriteManifestStep } from './sync-steps';

export interface BackupCopyInput {
  name: string;
  sourceBucket: string;
  sourcePrefix: string;
  targetPrefix: string;
  /** Everything under the source's `backups/<name>/`. */
  sourceFiles: readonly ObjectInfo[];
  /** Everything under the target's `backups/<name>/`. */
  targetFiles: readonly ObjectInfo[];
  /** The target's manifest, parsed (null when absent or unreadable). */
  targetManifest: DrpilotManifest | null;
  now: string;
}

export type BackupCopyDecision =
  | { kind: 'up-to-date' }
  | { kind: 'foreign'; reason: string }
  | {
      kind: 'copy';
      /** The target had this backup's json: it is deleted first and copied again last. */
      recopy: boolean;
      uncommit: DeleteStep | null;
      /** Changed or missing files (tarball, sidecars) and stale target files to delete. */
      payload: (CopyStep | DeleteStep)[];
      manifest: WriteManifestStep | null;
      commit: CopyStep;
    };

function byRelativeKey(files: readonly ObjectInfo[], dir: string): Map<string, ObjectInfo> {
  return new Map(
    files.filter((f) => f.key.startsWith(dir)).map((f) => [f.key.slice(dir.length), f] as const),
  );
}

/**
 * Whether the target's copy of `source` is current. With a manifest entry: it must record this
 * very source object (key, size, ETag, bucket) and the target must list the file with the
 * recorded size. Without one (a first copy that died before its manifest was written): the
 * target's object must have the source's size and be no older than the source, i.e. it was
 * copied after the source was last written. velero-backup.json counts only through the
 * manifest: it is the commit marker.
 */
function isCurrent(
  relKey: string,
  source: ObjectInfo,
  target: ObjectInfo | undefined,
  manifest: DrpilotManifest | null,
  sourceBucket: string,
): boolean {
  if (!target) return false;
  const entry = manifest?.objects[relKey];
  if (manifest && entry) {
    return (
      manifest.sourceBucket === sourceBucket &&
      entry.sourceKey === source.key &&
      entry.size === source.size &&
      sameEtag(entry.etag, source.etag) &&
      target.size === entry.size
    );
  }
  if (relKey === BACKUP_METADATA_FILE) return false;
  return (
    target.size === source.size &&
    Date.parse(target.lastModified) >= Date.parse(source.lastModified)
  );
}

export function planBackupCopy(input: BackupCopyInput): BackupCopyDecision {
  const { name, sourceBucket, targetManifest } = input;
  const unit = backupUnit(name);
  const sourceDir = backupDir(input.sourcePrefix, name);
  const targetDir = backupDir(input.targetPrefix, name);
  // A source that is itself a drpilot copy carries a manifest; the target gets its own.
  const sources = [...byRelativeKey(input.sourceFiles, sourceDir)].filter(
    ([rel]) => rel !== MANIFEST_FILE,
  );
  const targets = byRelativeKey(input.targetFiles, targetDir);
  const targetJson = targets.get(BACKUP_METADATA_FILE);
  if (targetJson && !targets.has(MANIFEST_FILE)) {
    return {
      kind: 'foreign',
      reason: `the target already has backups/${name}/velero-backup.json without a drpilot manifest (written by Velero or another tool); left alone`,
    };
  }

  const current = (rel: string, source: ObjectInfo): boolean =>
    isCurrent(rel, source, targets.get(rel), targetManifest, sourceBucket);
  const sourceRels = new Set(sources.map(([rel]) => rel));
  const changed = sources.filter(([rel, s]) => rel !== BACKUP_METADATA_FILE && !current(rel, s));
  const stale = [...targets.keys()].filter(
    (rel) => rel !== MANIFEST_FILE && rel !== BACKUP_METADATA_FILE && !sourceRels.has(rel),
  );
  const json = sources.find(([rel]) => rel === BACKUP_METADATA_FILE)?.[1];
  if (!json) throw new Error(`backups/${name}/ has no velero-backup.json on the source`);

  const manifest: DrpilotManifest = {
    version: MANIFEST_VERSION,
    backup: name,
    copiedAt: input.now,
    sourceBucket,
    objects: Object.fromEntries(
      sources.map(([rel, s]): [string, ManifestEntry] => [
        rel,
        { sourceKey: s.key, size: s.size, etag: s.etag.replace(/"/g, '') },
      ]),
    ),
  };
  const manifestChanged = !targetManifest || !sameManifestContent(targetManifest, manifest);
  if (
    changed.length === 0 &&
    stale.length === 0 &&
    !manifestChanged &&
    current(BACKUP_METADATA_FILE, json)
  ) {
    return { kind: 'up-to-date' };
  }

  const copy = (rel: string, s: ObjectInfo, role: CopyStep['role']): CopyStep => ({
    kind: 'copy',
    unit,
    role,
    sourceKey: s.key,
    targetKey: `${targetDir}${rel}`,
    size: s.size,
    etag: s.etag.replace(/"/g, ''),
  });
  const remove = (rel: string, role: DeleteStep['role']): DeleteStep => ({
    kind: 'delete',
    unit,
    role,
    targetKey: `${targetDir}${rel}`,
  });
  return {
    kind: 'copy',
    recopy: targetJson !== undefined,
    uncommit: targetJson ? remove(BACKUP_METADATA_FILE, 'backup-metadata') : null,
    payload: [
      ...changed.map(([rel, s]) => copy(rel, s, 'backup-file')),
      ...stale.map((rel) => remove(rel, 'backup-file')),
    ],
    manifest: manifestChanged
      ? {
          kind: 'write-manifest',
          unit,
          role: 'backup-manifest',
          targetKey: `${targetDir}${MANIFEST_FILE}`,
          body: manifestBody(manifest),
        }
      : null,
    commit: copy(BACKUP_METADATA_FILE, json, 'backup-metadata'),
  };
}
