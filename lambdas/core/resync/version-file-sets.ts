/**
 * The file sets of BACKUP_FILES_BY_VERSION, grouped, for telling whether a backup directory is
 * complete when the Velero version that wrote it is unknown (velero-backup.json does not
 * record it).
 */
import { BACKUP_FILES_BY_VERSION, VELERO_VERSIONS } from './backup-files';
import type { BackupFileSuffix, VeleroVersion } from './backup-files';

/**
 * `-logs.gz` is uploaded best effort: PutBackup logs a failed log upload and carries on
 * (object_store.go v1.18.1 l.269-273), so its absence says nothing about the backup.
 */
export const BEST_EFFORT_SUFFIXES: readonly BackupFileSuffix[] = ['-logs.gz'];

export interface VersionFileSet {
  /** Consecutive versions that write exactly this set, e.g. ['1.13', …, '1.16']. */
  versions: VeleroVersion[];
  /** e.g. 'v1.13–v1.16'. */
  label: string;
  /** Every suffix the versions always write, best-effort ones left out. */
  required: ReadonlySet<BackupFileSuffix>;
}

function requiredSuffixes(version: VeleroVersion): Set<BackupFileSuffix> {
  return new Set(
    BACKUP_FILES_BY_VERSION[version]
      .map((rule) => rule.suffix)
      .filter((suffix) => !BEST_EFFORT_SUFFIXES.includes(suffix)),
  );
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function groupVersions(): VersionFileSet[] {
  const groups: { versions: VeleroVersion[]; required: Set<BackupFileSuffix> }[] = [];
  for (const version of VELERO_VERSIONS) {
    const required = requiredSuffixes(version);
    const last = groups.at(-1);
    if (last && sameSet(last.required, required)) last.versions.push(version);
    else groups.push({ versions: [version], required });
  }
  return groups.map(({ versions, required }) => {
    const first = versions[0] as VeleroVersion;
    const end = versions.at(-1) as VeleroVersion;
    return { versions, required, label: first === end ? `v${first}` : `v${first}–v${end}` };
  });
}

/** 1.12 | 1.13–1.16 | 1.17 | 1.18, from the table (see cli/embedded/VELERO-SOURCES.md). */
export const VERSION_FILE_SETS: readonly VersionFileSet[] = groupVersions();

/** Suffixes every version 1.12–1.18 writes (results, resource-list, podvolumebackups, …). */
export const ALWAYS_WRITTEN_SUFFIXES: ReadonlySet<BackupFileSuffix> = new Set(
  [...(VERSION_FILE_SETS[0]?.required ?? [])].filter((suffix) =>
    VERSION_FILE_SETS.every((set) => set.required.has(suffix)),
  ),
);

/** Suffixes only some versions write: where the version shows. */
export const VERSION_SPECIFIC_SUFFIXES: ReadonlySet<BackupFileSuffix> = new Set(
  VERSION_FILE_SETS.flatMap((set) => [...set.required]).filter(
    (suffix) => !ALWAYS_WRITTEN_SUFFIXES.has(suffix),
  ),
);
