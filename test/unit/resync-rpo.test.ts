import { describe, expect, it } from 'vitest';

import { measureRpo, NO_SCHEDULE } from '../../lambdas/core/resync/rpo';
import type { BackupAssessment } from '../../lambdas/core/resync/restorable';
import { NO_STATUS_COUNTS } from '../../lambdas/core/resync/backup-files';

const NOW = '2024-06-01T12:00:00Z';

function restorable(
  name: string,
  schedule: string | null,
  completionTimestamp: string,
): BackupAssessment {
  return {
    name,
    restorable: true,
    phase: 'Completed',
    schedule,
    startTimestamp: completionTimestamp,
    completionTimestamp,
    counters: NO_STATUS_COUNTS,
    fileSet: 'v1.18',
  };
}

describe('RPO on the standby side', () => {
  it('per schedule: the newest restorable backup of each; overall: the newest of all', () => {
    const report = measureRpo({
      now: NOW,
      backups: [
        restorable('daily-1', 'daily', '2024-05-31T02:00:00Z'),
        restorable('daily-2', 'daily', '2024-06-01T02:00:00Z'),
        restorable('hourly-1', 'hourly', '2024-06-01T11:00:00Z'),
        restorable('manual', null, '2024-05-20T00:00:00Z'),
        { name: 'hourly-2', restorable: false, reasons: ['hourly-2.tar.gz is missing'] },
      ],
    });
    expect(report.overall).toEqual({
      newestBackup: 'hourly-1',
      completionTimestamp: '2024-06-01T11:00:00Z',
      rpoSeconds: 3600,
    });
    expect(report.schedules).toEqual([
      {
        schedule: NO_SCHEDULE,
        newestBackup: 'manual',
        completionTimestamp: '2024-05-20T00:00:00Z',
        rpoSeconds: 12 * 86400 + 12 * 3600,
      },
      {
        schedule: 'daily',
        newestBackup: 'daily-2',
        completionTimestamp: '2024-06-01T02:00:00Z',
        rpoSeconds: 10 * 3600,
      },
      {
        schedule: 'hourly',
        newestBackup: 'hourly-1',
        completionTimestamp: '2024-06-01T11:00:00Z',
        rpoSeconds: 3600,
      },
    ]);
  });

  it('an unrestorable newer backup does not improve the RPO', () => {
    const report = measureRpo({
      now: NOW,
      backups: [
        restorable('a', 'daily', '2024-06-01T00:00:00Z'),
        {
          name: 'b',
          restorable: false,
          reasons: ['phase InProgress is not accepted (accepted: Completed)'],
        },
      ],
    });
    expect(report.schedules[0]!.rpoSeconds).toBe(12 * 3600);
  });

  it('expected schedules without a restorable backup are reported with null figures', () => {
    const report = measureRpo({ now: NOW, backups: [], schedules: ['daily', 'weekly'] });
    expect(report.overall).toEqual({
      newestBackup: null,
      completionTimestamp: null,
      rpoSeconds: null,
    });
    expect(report.schedules.map((s) => [s.schedule, s.rpoSeconds])).toEqual([
      ['daily', null],
      ['weekly', null],
    ]);
  });

  it('never negative (a completion time ahead of now is clock skew)', () => {
    const report = measureRpo({
      now: NOW,
      backups: [restorable('a', 'daily', '2024-06-01T12:00:09Z')],
    });
    expect(report.overall.rpoSeconds).toBe(0);
  });

  it('refuses a bad now', () => {
    expect(() => measureRpo({ now: 'soon', backups: [] })).toThrow(/now/);
  });
});
