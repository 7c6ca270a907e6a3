import { createHash } from 'node:crypto';
import type { MissingSince } from './deletions';
import type { ObjectInfo } from './object-info';
import type { RestorableBackup } from './restorable';

/**
 * What a completed re-sync leaves for the next run: a fingerprint of everything the plan was a
 * function of (both listings, direction, policy) and what the standby side then held. A plan is
 * decided by the listings (object contents change their ETag, re-uploads their LastModified), the
 * missing-since times and the clock; so while the fingerprint matches and no deletion grace
 * expires, re-planning would find nothing to do and the run can skip every GET.
 */
export interface SyncSnapshot {
  fingerprint: string;
  /** When a deferred deletion's grace ends; the next run must plan again from then. */
  nextDueAt: string | null;
  /** The standby side's restorable backups, for the RPO. */
  standby: RestorableBackup[];
  schedules: string[];
  /** What the run skipped on the source, and why: reported again while nothing changes. */
  skipped: { name: string; reason: string }[];
}

export function syncFingerprint(input: {
  from: string;
  to: string;
  policy: unknown;
  source: readonly ObjectInfo[];
  target: readonly ObjectInfo[];
}): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ from: input.from, to: input.to, policy: input.policy }));
  for (const [label, objects] of [
    ['source', input.source],
    ['target', input.target],
  ] as const) {
    hash.update(`\n#${label}\n`);
    for (const o of [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      hash.update(`${o.key}\t${o.size}\t${o.etag}\t${o.lastModified}\n`);
    }
  }
  return hash.digest('hex');
}

/** The earliest moment a recorded disappearance passes its grace period, if still ahead. */
export function nextDeletionDueAt(
  missing: MissingSince,
  graceSeconds: number,
  now: string,
): string | null {
  const nowMs = Date.parse(now);
  const due = [...Object.values(missing.backups), ...Object.values(missing.repositoryObjects)]
    .map((since) => Date.parse(since) + graceSeconds * 1000)
    .filter((ms) => !Number.isNaN(ms) && ms > nowMs);
  return due.length === 0 ? null : new Date(Math.min(...due)).toISOString();
}

/** Whether the snapshot still describes the buckets, so the run has nothing to do. */
export function snapshotStillHolds(
  snapshot: SyncSnapshot | null,
  fingerprint: string,
  now: string,
): boolean {
  if (!snapshot || snapshot.fingerprint !== fingerprint) return false;
  return snapshot.nextDueAt === null || Date.parse(now) < Date.parse(snapshot.nextDueAt);
}
