/**
 * The verified RPO: the age of the newest backup a restore drill actually restored (Velero
 * restored it, and its Deployments became Available), per `velero.io/schedule-name` and overall.
 * It sits beside the re-sync's RPO (what the DR side *could* restore): the two differ by how
 * long ago a drill last proved a backup, so a broken restore path shows as a verified RPO that
 * keeps growing while the copied one stays small. Pure: the record lives in the state table.
 */
import { NO_SCHEDULE } from '../resync/rpo';

export interface VerifiedRestore {
  backup: string;
  /** The label's value, or NO_SCHEDULE. */
  schedule: string;
  completionTimestamp: string;
  /** When the drill found the restore verified. */
  verifiedAt: string;
  drillId: string;
}

/** Per schedule, the newest backup a drill verified. */
export interface VerifiedRestores {
  bySchedule: Record<string, VerifiedRestore>;
}

export interface VerifiedRecoveryPoint extends VerifiedRestore {
  /** now − completionTimestamp in whole seconds, never negative. */
  rpoSeconds: number;
}

export interface VerifiedRpoReport {
  now: string;
  /** The newest verified backup of any schedule; null before the first verified drill. */
  overall: VerifiedRecoveryPoint | null;
  /** Sorted by schedule. */
  schedules: VerifiedRecoveryPoint[];
}

export function scheduleOf(schedule: string | null): string {
  return schedule ?? NO_SCHEDULE;
}

/** The record after a verified drill: a schedule's entry moves only to a newer backup. */
export function recordVerified(
  previous: VerifiedRestores | null,
  verified: VerifiedRestore,
): VerifiedRestores {
  const bySchedule = { ...(previous?.bySchedule ?? {}) };
  const current = bySchedule[verified.schedule];
  if (
    !current ||
    Date.parse(verified.completionTimestamp) >= Date.parse(current.completionTimestamp)
  ) {
    bySchedule[verified.schedule] = verified;
  }
  return { bySchedule };
}

export function measureVerifiedRpo(
  record: VerifiedRestores | null,
  now: string,
): VerifiedRpoReport {
  const nowMs = Date.parse(now);
  if (Number.isNaN(nowMs)) throw new Error(`now is not a timestamp: ${now}`);
  const schedules = Object.values(record?.bySchedule ?? {})
    .map((v) => ({
      ...v,
      rpoSeconds: Math.max(0, Math.floor((nowMs - Date.parse(v.completionTimestamp)) / 1000)),
    }))
    .sort((a, b) => (a.schedule < b.schedule ? -1 : a.schedule > b.schedule ? 1 : 0));
  const overall = schedules.reduce<VerifiedRecoveryPoint | null>(
    (best, s) => (best === null || s.rpoSeconds < best.rpoSeconds ? s : best),
    null,
  );
  return { now, overall, schedules };
}
