import { describe, expect, it } from 'vitest';
import { deletionGate, gatePlan, planDeletes } from '../../lambdas/core/resync/deletion-gate';
import type { SyncPlan } from '../../lambdas/core/resync/sync-plan';
import type { PlanStep } from '../../lambdas/core/resync/sync-steps';

const copy = (
  unit: string,
  key: string,
  role: 'backup-file' | 'backup-metadata' = 'backup-file',
): PlanStep => ({
  kind: 'copy',
  unit,
  role,
  sourceKey: key,
  targetKey: key,
  size: 10,
  etag: '"e"',
});
const del = (
  unit: string,
  key: string,
  role: 'backup-metadata' | 'backup-file' | 'repository-object' = 'backup-file',
): PlanStep => ({
  kind: 'delete',
  unit,
  role,
  targetKey: key,
});

/** A plan with a new backup, a re-copy (its json deleted first), a deletion and a repository delete. */
function plan(): SyncPlan {
  const stages: PlanStep[][] = [
    [del('backup:recopied', 'backups/recopied/velero-backup.json', 'backup-metadata')],
    [
      copy('backup:fresh', 'backups/fresh/fresh.tar.gz'),
      copy('backup:recopied', 'backups/recopied/recopied.tar.gz'),
    ],
    [
      copy('backup:fresh', 'backups/fresh/velero-backup.json', 'backup-metadata'),
      copy('backup:recopied', 'backups/recopied/velero-backup.json', 'backup-metadata'),
    ],
    [del('backup:gone', 'backups/gone/velero-backup.json', 'backup-metadata')],
    [del('kopia:app', 'kopia/app/p1', 'repository-object')],
  ];
  return {
    now: '2026-12-01T00:00:00Z',
    stages,
    copies: [
      { name: 'fresh', recopy: false, steps: [stages[1]![0]!, stages[2]![0]!] },
      { name: 'recopied', recopy: true, steps: [stages[0]![0]!, stages[1]![1]!, stages[2]![1]!] },
    ],
    skipped: [],
    deletions: [
      { name: 'gone', missingSince: '2026-11-01T00:00:00Z', steps: [stages[3]![0]! as never] },
    ],
    kept: [],
    repositories: [{ unit: 'kopia:app', objectsToCopy: 0, bytesToCopy: 0, objectsToDelete: 1 }],
    repositoryDeletionsDeferred: 0,
    missing: {
      newlyMissing: { backups: [], repositoryObjects: [] },
      returned: { backups: [], repositoryObjects: [] },
      next: { backups: {}, repositoryObjects: {} },
    },
    summary: {
      backupsToCopy: 2,
      objectsToCopy: 4,
      bytesToCopy: 40,
      manifestsToWrite: 0,
      backupsToDelete: 1,
      objectsToDelete: 3,
    },
  };
}

const versioned = (primary: string, dr: string) =>
  deletionGate({
    primary: { bucket: 'p', state: primary as never },
    dr: { bucket: 'd', state: dr as never },
  });

describe('deletion gate (nothing is deleted unless both Velero buckets are versioned)', () => {
  it('allows deletions only when both buckets report Enabled', () => {
    expect(versioned('Enabled', 'Enabled').allowed).toBe(true);
    for (const [p, d] of [
      ['Enabled', 'Suspended'],
      ['Disabled', 'Enabled'],
      ['Enabled', 'unreadable'],
      ['Suspended', 'Disabled'],
    ]) {
      expect(versioned(p!, d!), `${p}/${d}`).toMatchObject({ allowed: false });
    }
    expect(versioned('Disabled', 'Suspended')).toMatchObject({
      buckets: ['p', 'd'],
      reason: expect.stringMatching(
        /^deletions refused: p: versioning was never enabled; d: versioning is Suspended\./,
      ),
    });
  });

  it('a refused plan loses every delete step and the re-copy that needs one; new copies go ahead', () => {
    const { plan: gated, withheld } = gatePlan(plan(), versioned('Enabled', 'Suspended'));
    expect(planDeletes(gated)).toBe(false);
    expect(gated.stages.flat().map((s) => `${s.kind} ${s.targetKey}`)).toEqual([
      'copy backups/fresh/fresh.tar.gz',
      'copy backups/fresh/velero-backup.json',
    ]);
    expect(gated.copies.map((c) => c.name)).toEqual(['fresh']);
    expect(gated.deletions).toEqual([]);
    expect(gated.skipped).toEqual([
      {
        name: 'recopied',
        reason: expect.stringMatching(/^not copied again: deletions refused: d:/),
      },
    ]);
    expect(gated.summary).toMatchObject({
      backupsToCopy: 1,
      objectsToCopy: 2,
      backupsToDelete: 0,
      objectsToDelete: 0,
    });
    expect(withheld).toEqual({
      reason: expect.stringMatching(/^deletions refused/),
      backups: ['gone'],
      recopies: ['recopied'],
      objects: 3,
    });
  });

  it('an allowed gate, or a plan without deletes, passes the plan through untouched', () => {
    const original = plan();
    expect(gatePlan(original, versioned('Enabled', 'Enabled'))).toEqual({
      plan: original,
      withheld: null,
    });
    const copiesOnly = { ...original, stages: [original.stages[1]!] };
    expect(gatePlan(copiesOnly, versioned('Disabled', 'Disabled'))).toEqual({
      plan: copiesOnly,
      withheld: null,
    });
  });
});
