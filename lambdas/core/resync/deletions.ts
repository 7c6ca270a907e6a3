/**
 * Deletion propagation: what is gone from the source, since when, and what may go from the
 * target. Times are observations: the first plan that saw something missing records `now`,
 * and the executor keeps that map (`MissingSince`, one per target bucket) in the state table.
 */
import type { BackupAssessment, RestorableBackup } from './restorable';

export interface MissingSince {
  /** Backup name → when it was first seen gone from the source (ISO 8601). */
  backups: Record<string, string>;
  /** Repository key relative to the prefix (`kopia/<ns>/<blob>`) → first seen gone. */
  repositoryObjects: Record<string, string>;
}

export interface MissingTracking {
  /** Gone from the source since this plan: record `now` for them. */
  newlyMissing: { backups: string[]; repositoryObjects: string[] };
  /** Recorded as missing before, back on the source now: forget their time. */
  returned: { backups: string[]; repositoryObjects: string[] };
  /** The whole map to store after the run. */
  next: MissingSince;
}

function track(
  previous: Readonly<Record<string, string>>,
  gone: ReadonlySet<string>,
  onSource: ReadonlySet<string>,
  now: string,
): { newly: string[]; returned: string[]; next: Record<string, string> } {
  const next: Record<string, string> = {};
  const newly: string[] = [];
  for (const key of [...gone].sort()) {
    const since = previous[key];
    if (since !== undefined && !Number.isNaN(Date.parse(since))) next[key] = since;
    else {
      next[key] = now;
      newly.push(key);
    }
  }
  const returned = Object.keys(previous)
    .filter((key) => onSource.has(key))
    .sort();
  return { newly, returned, next };
}

export function trackMissing(input: {
  previous: MissingSince;
  goneBackups: ReadonlySet<string>;
  sourceBackups: ReadonlySet<string>;
  goneRepositoryObjects: ReadonlySet<string>;
  sourceRepositoryObjects: ReadonlySet<string>;
  now: string;
}): MissingTracking {
  const backups = track(input.previous.backups, input.goneBackups, input.sourceBackups, input.now);
  const objects = track(
    input.previous.repositoryObjects,
    input.goneRepositoryObjects,
    input.sourceRepositoryObjects,
    input.now,
  );
  return {
    newlyMissing: { backups: backups.newly, repositoryObjects: objects.newly },
    returned: { backups: backups.returned, repositoryObjects: objects.returned },
    next: { backups: backups.next, repositoryObjects: objects.next },
  };
}

function isRestorable(assessment: BackupAssessment | undefined): assessment is RestorableBackup {
  return assessment?.restorable === true;
}

/**
 * The newest `keepLatest` backups that are restorable on the target *now*. Backups this run is
 * about to copy do not count: if their copy fails, the target must still hold `keepLatest`.
 */
export function protectedBackups(
  targetAssessments: Readonly<Record<string, BackupAssessment>>,
  keepLatest: number,
): Set<string> {
  const newestFirst = Object.values(targetAssessments)
    .filter(isRestorable)
    .sort(
      (a, b) =>
        Date.parse(b.completionTimestamp) - Date.parse(a.completionTimestamp) ||
        (a.name < b.name ? 1 : -1),
    );
  return new Set(newestFirst.slice(0, Math.max(0, keepLatest)).map((b) => b.name));
}

function graceOver(since: string, now: string, graceSeconds: number): boolean {
  return Date.parse(now) - Date.parse(since) >= graceSeconds * 1000;
}

function deleteAfter(since: string, graceSeconds: number): string {
  return new Date(Date.parse(since) + graceSeconds * 1000).toISOString();
}

export interface KeptBackup {
  name: string;
  missingSince: string;
  reason: string;
}

export function decideBackupDeletions(input: {
  missingSince: Readonly<Record<string, string>>;
  targetAssessments: Readonly<Record<string, BackupAssessment>>;
  keepLatest: number;
  graceSeconds: number;
  now: string;
}): { delete: { name: string; missingSince: string }[]; kept: KeptBackup[] } {
  const keep = protectedBackups(input.targetAssessments, input.keepLatest);
  const result: { delete: { name: string; missingSince: string }[]; kept: KeptBackup[] } = {
    delete: [],
    kept: [],
  };
  for (const [name, since] of Object.entries(input.missingSince).sort()) {
    if (keep.has(name)) {
      result.kept.push({
        name,
        missingSince: since,
        reason: `one of the newest ${input.keepLatest} restorable backups on the target (keepLatest)`,
      });
    } else if (!graceOver(since, input.now, input.graceSeconds)) {
      result.kept.push({
        name,
        missingSince: since,
        reason: `gone from the source since ${since}; deleted after ${deleteAfter(since, input.graceSeconds)} (deleteGraceSeconds)`,
      });
    } else {
      result.delete.push({ name, missingSince: since });
    }
  }
  return result;
}

/**
 * A repository object gone from the source goes from the target once its grace is over and no
 * backup still on the target could need it. The source's kopia/restic maintenance only drops
 * blobs that none of the *source's* snapshots reference; a target backup that was already gone
 * from the source when the object vanished (still in its grace, kept by keepLatest, or being
 * deleted in this very run) may reference it, so such a backup holds every object that went
 * missing at or after the time the backup did.
 */
export function decideRepositoryDeletions(input: {
  missingSince: Readonly<Record<string, string>>;
  backupsMissingSince: Readonly<Record<string, string>>;
  graceSeconds: number;
  now: string;
}): { delete: string[]; deferred: number } {
  const earliestGoneBackup = Math.min(
    ...Object.values(input.backupsMissingSince).map((since) => Date.parse(since)),
  );
  const deletable = Object.entries(input.missingSince)
    .filter(
      ([, since]) =>
        graceOver(since, input.now, input.graceSeconds) && Date.parse(since) < earliestGoneBackup,
    )
    .map(([key]) => key)
    .sort();
  return {
    delete: deletable,
    deferred: Object.keys(input.missingSince).length - deletable.length,
  };
}
