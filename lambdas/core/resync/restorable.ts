/**
 * The restorable rule: whether a `backups/<name>/` directory holds a backup the other side's
 * Velero can restore. Shared by the re-sync (copy only these), the RPO and the DNS failover
 * check. Pure: the caller lists the directory and reads velero-backup.json.
 *
 * A backup is restorable when
 * 1. velero-backup.json exists and parses as a velero.io/v1 Backup whose metadata.name is the
 *    directory's name;
 * 2. status.phase is one of `acceptPhases`, which can only ever admit Completed and
 *    PartiallyFailed: every other phase (New, Queued, ReadyToStart, InProgress,
 *    WaitingForPluginOperations*, Finalizing*, Failed, FailedValidation, Deleting) means the
 *    tarball is not final or not there;
 * 3. status.completionTimestamp is set;
 * 4. the directory holds the complete file set of some Velero version 1.12–1.18 (see
 *    `completeFileSet`), which includes `<name>.tar.gz` and every sidecar a restore reads;
 * 5. when plugin operations were attempted (status.backupItemOperationsAttempted > 0), the
 *    tarball is not older than the json (see `tarballAfterJson`).
 */
import { ACCEPTABLE_BACKUP_PHASES, VELERO_BACKUP_PHASES } from './velero-phases';
import type { BackupFileSuffix, BackupStatusCounters } from './backup-files';
import { parseBackupMetadata, SCHEDULE_NAME_LABEL } from './backup-metadata';
import { BACKUP_METADATA_FILE, isKubernetesName } from './bucket-layout';
import type { DrpilotManifest } from './manifest';
import type { ObjectInfo } from './object-info';
import {
  ALWAYS_WRITTEN_SUFFIXES,
  BEST_EFFORT_SUFFIXES,
  VERSION_FILE_SETS,
  VERSION_SPECIFIC_SUFFIXES,
} from './version-file-sets';
import type { VersionFileSet } from './version-file-sets';

export type AcceptableBackupPhase = (typeof ACCEPTABLE_BACKUP_PHASES)[number];

export interface AssessBackupInput {
  /** The directory name: `<prefix>backups/<name>/`. */
  name: string;
  /** Everything listed under `<prefix>backups/<name>/` (full keys). */
  files: readonly ObjectInfo[];
  /** The body of velero-backup.json, or null when it could not be read. */
  metadataJson: string | null;
  /** From config `backups.acceptPhases`; only Completed and PartiallyFailed are honoured. */
  acceptPhases: readonly string[];
  /** The directory's drpilot-manifest.json, parsed (see manifest.ts), when it has one. */
  manifest?: DrpilotManifest | null;
}

export interface RestorableBackup {
  name: string;
  restorable: true;
  phase: AcceptableBackupPhase;
  /** The velero.io/schedule-name label, or null for a backup made by hand. */
  schedule: string | null;
  startTimestamp: string | null;
  completionTimestamp: string;
  counters: BackupStatusCounters;
  /** The versions whose file set the directory matches (the json does not say which). */
  fileSet: string;
}

export interface UnrestorableBackup {
  name: string;
  restorable: false;
  reasons: string[];
}

export type BackupAssessment = RestorableBackup | UnrestorableBackup;

/**
 * S3 LastModified values come from the same regional service but may come from different
 * front ends. Two seconds covers that while staying far below the gap the rule looks for: the
 * first tarball is uploaded while the backup waits for plugin operations, which the backup
 * operations controller polls every 10 s by default (backup_operations_controller.go
 * defaultBackupOperationsFrequency), so the finalizer's json is always later than that.
 */
export const TARBALL_CLOCK_TOLERANCE_MS = 2000;

function basename(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

function fileName(name: string, suffix: BackupFileSuffix): string {
  return suffix === 'velero-backup.json' ? suffix : `${name}${suffix}`;
}

/** The Velero files present in the directory, by suffix (unknown files are ignored). */
function presentFiles(
  name: string,
  files: readonly ObjectInfo[],
): Map<BackupFileSuffix, ObjectInfo> {
  const known = new Set<BackupFileSuffix>([
    'velero-backup.json',
    ...ALWAYS_WRITTEN_SUFFIXES,
    ...VERSION_SPECIFIC_SUFFIXES,
    ...BEST_EFFORT_SUFFIXES,
  ]);
  const present = new Map<BackupFileSuffix, ObjectInfo>();
  for (const file of files) {
    const base = basename(file.key);
    if (!file.key.endsWith(`backups/${name}/${base}`)) continue; // Velero writes no subfolders
    const suffix =
      base === BACKUP_METADATA_FILE ? base : base.startsWith(name) ? base.slice(name.length) : '';
    if (known.has(suffix as BackupFileSuffix)) present.set(suffix as BackupFileSuffix, file);
  }
  return present;
}

/**
 * Every version writes its whole set unconditionally (no sidecar depends on a counter, see
 * backup-files.ts), so a directory is complete when its Velero files are exactly the set of one
 * version, `-logs.gz` aside. Files only some versions write are evidence of the version: a
 * directory holding `-csi-volumesnapshotcontents.json.gz` (v1.12–v1.16) and
 * `-volumeinfo.json.gz` (v1.13+) was written by v1.13–v1.16 and must hold
 * `-csi-volumesnapshots.json.gz` too. The counters' needs are implied: every set has
 * `-volumesnapshots`, `-podvolumebackups`, `-itemoperations`, and `-csi-volumesnapshots` or
 * `-volumeinfo` (the two files a restore reads CSI snapshots from, restore_controller.go
 * v1.18.1 l.547, l.553). Two losses cannot be told from an older or newer version: a v1.17
 * backup without `-csi-volumesnapshotclasses` looks like v1.18 (no restore reads that file), and
 * a v1.13–v1.16 backup without `-volumeinfo` looks like v1.12 (restore then takes the pre-1.13
 * path, as for a v1.12 backup).
 */
function completeFileSet(
  name: string,
  present: ReadonlyMap<BackupFileSuffix, ObjectInfo>,
): { fileSet: string } | { reasons: string[] } {
  const missingFrom = (set: VersionFileSet): BackupFileSuffix[] =>
    [...set.required].filter((suffix) => !present.has(suffix));
  const evidence = [...VERSION_SPECIFIC_SUFFIXES].filter((suffix) => present.has(suffix));
  const consistent = VERSION_FILE_SETS.filter((set) => evidence.every((s) => set.required.has(s)));
  const complete = consistent.filter((set) => missingFrom(set).length === 0);
  if (complete.length > 0) return { fileSet: complete.map((set) => set.label).join(', ') };

  // Report against the closest set (fewest missing; newest on a tie). v1.13–v1.16 holds every
  // version-specific file, so `consistent` is never empty.
  const closest = [...consistent]
    .reverse()
    .reduce((best, set) => (missingFrom(set).length < missingFrom(best).length ? set : best));
  const reasons = missingFrom(closest).map((suffix) =>
    ALWAYS_WRITTEN_SUFFIXES.has(suffix)
      ? `${fileName(name, suffix)} is missing`
      : `${fileName(name, suffix)} is missing (closest Velero file set: ${closest.label})`,
  );
  return { reasons };
}

/**
 * With plugin operations, the finalizer uploads velero-backup.json (Completed/PartiallyFailed)
 * and *then* the final tarball (backup_finalizer_controller.go: PutBackupMetadata, then
 * PutBackupContents when len(operations) > 0). Between the two the bucket holds a final json
 * next to the first, unfinalized tarball. So the tarball must not be older than the json:
 * `tarball.lastModified >= json.lastModified - TARBALL_CLOCK_TOLERANCE_MS`.
 *
 * A drpilot copy is the exception: drpilot copies the tarball before the json (the json is its
 * commit marker) and writes a manifest only for a backup that passed this rule on its source,
 * so when the manifest records both files with the sizes listed, it stands for the comparison.
 */
function tarballAfterJson(
  name: string,
  json: ObjectInfo,
  tarball: ObjectInfo,
  manifest: DrpilotManifest | null | undefined,
): string | null {
  const recorded = (file: string, object: ObjectInfo): boolean =>
    manifest?.backup === name && manifest.objects[file]?.size === object.size;
  if (recorded(BACKUP_METADATA_FILE, json) && recorded(`${name}.tar.gz`, tarball)) return null;
  const jsonMs = Date.parse(json.lastModified);
  const tarballMs = Date.parse(tarball.lastModified);
  if (Number.isNaN(jsonMs) || Number.isNaN(tarballMs)) {
    return `cannot compare the times of ${name}.tar.gz and velero-backup.json (${tarball.lastModified}, ${json.lastModified})`;
  }
  if (tarballMs >= jsonMs - TARBALL_CLOCK_TOLERANCE_MS) return null;
  return `${name}.tar.gz (${tarball.lastModified}) is older than velero-backup.json (${json.lastModified}): after plugin operations the finalizer uploads the final tarball after the json`;
}

function phaseReason(phase: string | null, accepted: readonly string[]): string | null {
  if (phase === null) return 'status.phase is missing';
  if (!(VELERO_BACKUP_PHASES as readonly string[]).includes(phase)) {
    return `phase ${JSON.stringify(phase)} is not a Velero backup phase`;
  }
  if (accepted.includes(phase)) return null;
  return `phase ${phase} is not accepted (accepted: ${accepted.length > 0 ? accepted.join(', ') : 'none'})`;
}

export function assessBackup(input: AssessBackupInput): BackupAssessment {
  const { name } = input;
  const reasons: string[] = [];
  const refuse = (): UnrestorableBackup => ({ name, restorable: false, reasons });
  if (!isKubernetesName(name)) {
    reasons.push(`backups/${name}/ is not named like a Kubernetes object, which every backup is`);
  }

  const present = presentFiles(name, input.files);
  const json = present.get('velero-backup.json');
  if (!json || input.metadataJson === null) {
    reasons.push('velero-backup.json is missing');
    return refuse();
  }
  const parsed = parseBackupMetadata(input.metadataJson);
  if (!parsed.ok) {
    reasons.push(...parsed.reasons);
    return refuse();
  }
  const backup = parsed.metadata;
  if (backup.name !== name) {
    reasons.push(`metadata.name ${backup.name} does not match the directory backups/${name}/`);
  }
  const accepted = (ACCEPTABLE_BACKUP_PHASES as readonly string[]).filter((p) =>
    input.acceptPhases.includes(p),
  );
  const phaseProblem = phaseReason(backup.phase, accepted);
  if (phaseProblem) reasons.push(phaseProblem);
  if (backup.completionTimestamp === null) reasons.push('status.completionTimestamp is not set');

  const files = completeFileSet(name, present);
  if ('reasons' in files) reasons.push(...files.reasons);
  const tarball = present.get('.tar.gz');
  if (tarball && backup.counters.backupItemOperationsAttempted > 0) {
    const stale = tarballAfterJson(name, json, tarball, input.manifest);
    if (stale) reasons.push(stale);
  }

  if (reasons.length > 0 || 'reasons' in files || backup.completionTimestamp === null) {
    return refuse();
  }
  return {
    name,
    restorable: true,
    phase: backup.phase as AcceptableBackupPhase,
    schedule: backup.labels[SCHEDULE_NAME_LABEL] ?? null,
    startTimestamp: backup.startTimestamp,
    completionTimestamp: backup.completionTimestamp,
    counters: backup.counters,
    fileSet: files.fileSet,
  };
}
