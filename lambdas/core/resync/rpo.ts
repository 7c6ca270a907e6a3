/**
 * The recovery point the standby side can actually restore: now − completionTimestamp of its
 * newest restorable backup (assessed on the standby side's own bucket).
 *
 * Per `velero.io/schedule-name` is what gets published and alarmed: each schedule protects its
 * own namespaces, so a schedule that stopped reaching the standby side must alarm even while
 * another one keeps it fresh. The overall figure (the newest restorable backup of any schedule)
 * is what `status` reports and what the DNS failover check compares with maxBackupAgeSeconds.
 * Backups without the label (made by hand) form the "(no schedule)" group.
 */
import type { BackupAssessment, RestorableBackup } from './restorable';

export const NO_SCHEDULE = '(no schedule)';

export interface RecoveryPoint {
  newestBackup: string | null;
  completionTimestamp: string | null;
  /** Whole seconds, never negative (a completion time ahead of `now` is clock skew); null: no backup. */
  rpoSeconds: number | null;
}

export interface ScheduleRecoveryPoint extends RecoveryPoint {
  /** The label's value, or NO_SCHEDULE. */
  schedule: string;
}

export interface RpoReport {
  now: string;
  overall: RecoveryPoint;
  /** Sorted by schedule name. */
  schedules: ScheduleRecoveryPoint[];
}

function recoveryPoint(newest: RestorableBackup | undefined, nowMs: number): RecoveryPoint {
  if (!newest) return { newestBackup: null, completionTimestamp: null, rpoSeconds: null };
  const age = Math.floor((nowMs - Date.parse(newest.completionTimestamp)) / 1000);
  return {
    newestBackup: newest.name,
    completionTimestamp: newest.completionTimestamp,
    rpoSeconds: Math.max(0, age),
  };
}

function newer(a: RestorableBackup | undefined, b: RestorableBackup): RestorableBackup {
  if (!a) return b;
  const diff = Date.parse(b.completionTimestamp) - Date.parse(a.completionTimestamp);
  return diff > 0 || (diff === 0 && b.name > a.name) ? b : a;
}

export function measureRpo(input: {
  /** The standby side's backups, assessed there; unrestorable ones are ignored. */
  backups: Iterable<BackupAssessment>;
  now: string;
  /**
   * Schedules expected to reach the standby side (e.g. those seen on the active side): they
   * are reported with null figures when the standby side has no restorable backup of theirs,
   * so a missing metric can be alarmed as breaching.
   */
  schedules?: readonly string[];
}): RpoReport {
  const nowMs = Date.parse(input.now);
  if (Number.isNaN(nowMs)) throw new Error(`now is not a timestamp: ${input.now}`);
  const newestBySchedule = new Map<string, RestorableBackup | undefined>(
    (input.schedules ?? []).map((schedule) => [schedule, undefined]),
  );
  let newestOverall: RestorableBackup | undefined;
  for (const backup of input.backups) {
    if (!backup.restorable) continue;
    const schedule = backup.schedule ?? NO_SCHEDULE;
    newestBySchedule.set(schedule, newer(newestBySchedule.get(schedule), backup));
    newestOverall = newer(newestOverall, backup);
  }
  return {
    now: input.now,
    overall: recoveryPoint(newestOverall, nowMs),
    schedules: [...newestBySchedule.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([schedule, newest]) => ({ schedule, ...recoveryPoint(newest, nowMs) })),
  };
}

/** The schedules the standby side should hold: those with a restorable backup on the active side. */
export function expectedSchedules(activeSide: Iterable<BackupAssessment>): string[] {
  const schedules = new Set<string>();
  for (const backup of activeSide)
    if (backup.restorable) schedules.add(backup.schedule ?? NO_SCHEDULE);
  return [...schedules].sort();
}

/**
 * What the standby side holds after a run: its backups before the run, less those the run
 * deleted, plus those whose json the run committed (as assessed on the active side).
 */
export function standbyAfterRun(input: {
  before: Readonly<Record<string, BackupAssessment>>;
  deleted: readonly string[];
  committed: readonly string[];
  activeSide: Readonly<Record<string, BackupAssessment>>;
}): BackupAssessment[] {
  const standby = new Map(Object.entries(input.before));
  for (const name of input.deleted) standby.delete(name);
  for (const name of input.committed) {
    const assessed = input.activeSide[name];
    if (assessed) standby.set(name, assessed);
  }
  return [...standby.values()];
}
