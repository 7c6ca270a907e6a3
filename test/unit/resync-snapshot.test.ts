import { describe, expect, it } from 'vitest';
import {
  nextDeletionDueAt,
  snapshotStillHolds,
  syncFingerprint,
  type SyncSnapshot,
} from '../../lambdas/core/resync/sync-snapshot';

const object = (key: string, etag = 'e1', lastModified = '2026-11-21T10:00:00.000Z') => ({
  key,
  size: 10,
  etag,
  lastModified,
});

const base = {
  from: 'primary',
  to: 'dr',
  policy: { keepLatest: 3 },
  source: [object('backups/a/velero-backup.json'), object('kopia/app/p1')],
  target: [object('backups/a/velero-backup.json', 'e9')],
};

describe('syncFingerprint', () => {
  it('ignores listing order and changes with any key, ETag, LastModified, direction or policy', () => {
    const fp = syncFingerprint(base);
    expect(syncFingerprint({ ...base, source: [...base.source].reverse() })).toBe(fp);
    const variants = [
      { ...base, source: [...base.source, object('kopia/app/p2')] },
      { ...base, source: [object('backups/a/velero-backup.json', 'e2'), base.source[1]!] },
      {
        ...base,
        target: [object('backups/a/velero-backup.json', 'e9', '2026-11-21T11:00:00.000Z')],
      },
      { ...base, from: 'dr', to: 'primary' },
      { ...base, policy: { keepLatest: 1 } },
      { ...base, target: [] },
    ];
    for (const variant of variants) expect(syncFingerprint(variant)).not.toBe(fp);
  });
});

describe('nextDeletionDueAt and snapshotStillHolds', () => {
  const now = '2026-11-21T12:00:00.000Z';
  it('is the earliest grace end still ahead', () => {
    expect(
      nextDeletionDueAt(
        {
          backups: { old: '2026-11-20T00:00:00.000Z', recent: '2026-11-21T11:00:00.000Z' },
          repositoryObjects: { 'kopia/app/p1': '2026-11-21T11:30:00.000Z' },
        },
        3600,
        now,
      ),
    ).toBe('2026-11-21T12:30:00.000Z');
    expect(nextDeletionDueAt({ backups: {}, repositoryObjects: {} }, 3600, now)).toBeNull();
  });

  it('holds only for the same fingerprint and before the next due time', () => {
    const snapshot: SyncSnapshot = {
      fingerprint: 'f',
      nextDueAt: '2026-11-21T12:30:00.000Z',
      standby: [],
      schedules: [],
      skipped: [],
    };
    expect(snapshotStillHolds(snapshot, 'f', now)).toBe(true);
    expect(snapshotStillHolds(snapshot, 'g', now)).toBe(false);
    expect(snapshotStillHolds(snapshot, 'f', '2026-11-21T12:30:00.000Z')).toBe(false);
    expect(snapshotStillHolds({ ...snapshot, nextDueAt: null }, 'f', '2030-01-01T00:00:00Z')).toBe(
      true,
    );
    expect(snapshotStillHolds(null, 'f', now)).toBe(false);
  });
});
