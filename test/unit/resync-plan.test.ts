import { describe, expect, it } from 'vitest';

import {
  kopiaRepositoryObjects,
  resticRepositoryObjects,
  veleroBackup,
} from '../../cli/embedded/velero-layout';
import type { VeleroBackupOptions } from '../../cli/embedded/velero-layout';
import { assertMirroredTargetKey } from '../../lambdas/core/resync/bucket-layout';
import { parseManifest } from '../../lambdas/core/resync/manifest';
import { planSync } from '../../lambdas/core/resync/sync-plan';
import type { SyncPlan } from '../../lambdas/core/resync/sync-plan';
import type { PlanStep } from '../../lambdas/core/resync/sync-steps';
import { stepMayRun } from '../../lambdas/core/resync/sync-steps';
import { applyPlan, planBetween, readBackups, SimBucket } from '../support/velero-bucket-sim';
import type { PlanOptions, SimSide } from '../support/velero-bucket-sim';

const T0 = '2024-06-01T03:00:00.000Z';
const DAY = 86400;

function at(seconds: number): string {
  return new Date(Date.parse(T0) + seconds * 1000).toISOString();
}

function seedBackup(
  side: SimSide,
  name: string,
  options: Partial<VeleroBackupOptions> = {},
  writtenAt = at(-3600),
): void {
  const backup = veleroBackup({
    name,
    prefix: side.prefix,
    version: '1.18',
    phase: 'Completed',
    schedule: 'daily',
    startTimestamp: at(-3700),
    completionTimestamp: writtenAt,
    counters: { podVolumeBackups: 1, backupItemOperationsAttempted: 1, itemsBackedUp: 5 },
    ...options,
  });
  side.bucket.putAll(backup.objects, writtenAt);
}

function sides(sourcePrefix = '', targetPrefix = ''): { source: SimSide; target: SimSide } {
  return {
    source: { bucket: new SimBucket('acme-velero-eu-west-1'), prefix: sourcePrefix },
    target: { bucket: new SimBucket('acme-velero-eu-central-1'), prefix: targetPrefix },
  };
}

/** The usual estate: three restorable backups, one in progress, one broken, two repositories. */
function estate(sourcePrefix = '', targetPrefix = ''): { source: SimSide; target: SimSide } {
  const s = sides(sourcePrefix, targetPrefix);
  seedBackup(s.source, 'daily-1', { version: '1.12' }, at(-3 * DAY));
  seedBackup(s.source, 'daily-2', { version: '1.16' }, at(-2 * DAY));
  seedBackup(s.source, 'daily-3', { version: '1.18', schedule: 'hourly' }, at(-DAY));
  seedBackup(s.source, 'daily-4', { phase: 'InProgress', completionTimestamp: null }, at(-60));
  seedBackup(s.source, 'daily-5', { omit: ['.tar.gz'] }, at(-120));
  s.source.bucket.putAll(
    kopiaRepositoryObjects({ prefix: sourcePrefix, namespace: 'shop', time: at(-DAY), epochs: 3 }),
    at(-DAY),
  );
  s.source.bucket.putAll(
    resticRepositoryObjects({ prefix: sourcePrefix, namespace: 'legacy', locks: 2 }),
    at(-DAY),
  );
  s.source.bucket.put(`${sourcePrefix}restores/r-1/restore-r-1-logs.gz`, 'log', at(-DAY));
  s.source.bucket.put(`${sourcePrefix}metadata/revision`, 'x', at(-DAY));
  return s;
}

function plan(
  s: { source: SimSide; target: SimSide },
  options: Partial<PlanOptions> = {},
): SyncPlan {
  return planBetween(s.source, s.target, { now: T0, ...options });
}

function sync(
  s: { source: SimSide; target: SimSide },
  now = T0,
  options: Partial<PlanOptions> = {},
): SyncPlan {
  const p = plan(s, { now, ...options });
  const result = applyPlan(p, s.source, s.target, now);
  expect(result.failed).toEqual([]);
  return p;
}

function stageOf(p: SyncPlan, predicate: (step: PlanStep) => boolean): number[] {
  return p.stages.flatMap((stage, i) => (stage.some(predicate) ? [i] : []));
}

function backupSteps(p: SyncPlan, name: string): { stage: number; step: PlanStep }[] {
  return p.stages.flatMap((stage, i) =>
    stage.filter((s) => s.unit === `backup:${name}`).map((step) => ({ stage: i, step })),
  );
}

describe('first sync', () => {
  it('copies every restorable backup and skips the others with their reasons', () => {
    const s = estate();
    const p = plan(s);
    expect(p.copies.map((c) => c.name)).toEqual(['daily-1', 'daily-2', 'daily-3']);
    expect(p.skipped).toEqual([
      {
        name: 'daily-4',
        reason:
          'phase InProgress is not accepted (accepted: Completed); status.completionTimestamp is not set',
      },
      { name: 'daily-5', reason: 'daily-5.tar.gz is missing' },
    ]);
    expect(p.deletions).toEqual([]);
  });

  it('per backup: files, then the manifest, then velero-backup.json last', () => {
    const p = plan(estate());
    for (const copy of p.copies) {
      const steps = backupSteps(p, copy.name);
      const json = steps.filter(({ step }) => step.targetKey.endsWith('/velero-backup.json'));
      const manifest = steps.filter(({ step }) => step.kind === 'write-manifest');
      expect(json).toHaveLength(1);
      expect(manifest).toHaveLength(1);
      const others = steps.filter(
        ({ step }) => step.kind === 'copy' && step.role === 'backup-file',
      );
      expect(others.length).toBeGreaterThanOrEqual(7);
      for (const other of others) expect(other.stage).toBeLessThan(manifest[0]!.stage);
      expect(manifest[0]!.stage).toBe(json[0]!.stage - 1);
      expect(copy.steps.at(-1)!.targetKey).toBe(`backups/${copy.name}/velero-backup.json`);
      expect(copy.steps.at(-2)!.kind).toBe('write-manifest');
    }
  });

  it('carries the objects and bytes to copy', () => {
    const s = estate();
    const p = plan(s);
    const copies = p.stages.flat().filter((step) => step.kind === 'copy');
    expect(p.summary.objectsToCopy).toBe(copies.length);
    expect(p.summary.bytesToCopy).toBe(
      copies.reduce((n, c) => n + (c.kind === 'copy' ? c.size : 0), 0),
    );
    expect(p.summary).toMatchObject({ backupsToCopy: 3, manifestsToWrite: 3, backupsToDelete: 0 });
    const repoSteps = copies.filter(
      (c) => c.unit.startsWith('kopia:') || c.unit.startsWith('restic:'),
    );
    expect(p.repositories.map((r) => r.unit)).toEqual(['kopia:shop', 'restic:legacy']);
    expect(p.repositories.reduce((n, r) => n + r.objectsToCopy, 0)).toBe(repoSteps.length);
  });

  it('after applying, the target holds the backups restorable, with manifests, and nothing else', () => {
    const s = estate();
    sync(s);
    const target = readBackups(s.target.bucket, '', ['Completed']);
    expect(Object.keys(target.assessments).sort()).toEqual(['daily-1', 'daily-2', 'daily-3']);
    for (const a of Object.values(target.assessments))
      expect(a).toMatchObject({ restorable: true });
    const manifest = parseManifest(target.manifests['daily-2'], 'daily-2');
    expect(manifest?.sourceBucket).toBe('acme-velero-eu-west-1');
    expect(Object.keys(manifest!.objects)).toContain('velero-backup.json');
    expect(s.target.bucket.keys().every((k) => /^(backups|kopia|restic)\//.test(k))).toBe(true);
    expect(s.target.bucket.keys().some((k) => k.includes('/locks/'))).toBe(false);
  });
});

describe('a second run with nothing new', () => {
  it('plans zero copies, zero writes, zero deletions', () => {
    const s = estate();
    sync(s, T0);
    const again = plan(s, { now: at(300) });
    expect(again.stages).toEqual([]);
    expect(again.summary).toEqual({
      backupsToCopy: 0,
      objectsToCopy: 0,
      bytesToCopy: 0,
      manifestsToWrite: 0,
      backupsToDelete: 0,
      objectsToDelete: 0,
    });
    expect(again.skipped.map((x) => x.name)).toEqual(['daily-4', 'daily-5']);
  });

  it('does not depend on ETags matching (copies are re-encrypted)', () => {
    const s = estate();
    sync(s);
    const sourceEtag = s.source.bucket
      .list()
      .find((o) => o.key === 'backups/daily-1/daily-1.tar.gz')!.etag;
    const targetEtag = s.target.bucket
      .list()
      .find((o) => o.key === 'backups/daily-1/daily-1.tar.gz')!.etag;
    expect(targetEtag).not.toBe(sourceEtag);
    expect(plan(s, { now: at(60) }).summary.objectsToCopy).toBe(0);
  });

  it('is the same plan however the listing was paged or ordered', () => {
    const a = estate();
    const b = estate();
    const forward = plan(a);
    const reversed = plan(b, { shuffle: (objects) => [...objects].reverse() });
    const interleaved = plan(b, {
      shuffle: (objects) => [
        ...objects.filter((_, i) => i % 2 === 1),
        ...objects.filter((_, i) => i % 2 === 0),
      ],
    });
    expect(reversed).toEqual(forward);
    expect(interleaved).toEqual(forward);
  });
});

describe('a run that died halfway', () => {
  it('never leaves a json without the rest, and the next run finishes the job', () => {
    const total = plan(estate()).stages.flat().length;
    for (let crashAfter = 0; crashAfter < total; crashAfter += 3) {
      const s = estate();
      applyPlan(plan(s), s.source, s.target, T0, { crashAfter });
      for (const [name, a] of Object.entries(
        readBackups(s.target.bucket, '', ['Completed']).assessments,
      )) {
        expect({ name, restorable: a.restorable }).toEqual({ name, restorable: true });
      }
      const resumed = plan(s, { now: at(300) });
      applyPlan(resumed, s.source, s.target, at(300));
      expect(plan(s, { now: at(600) }).summary.objectsToCopy).toBe(0);
      expect(
        Object.keys(readBackups(s.target.bucket, '', ['Completed']).assessments).sort(),
      ).toEqual(['daily-1', 'daily-2', 'daily-3']);
    }
  });

  it('does not copy again what the dead run already copied', () => {
    const s = estate();
    const first = plan(s);
    const payloadStage = first.stages.findIndex((stage) =>
      stage.some((x) => x.role === 'backup-file'),
    );
    const before = first.stages.slice(0, payloadStage + 1).flat().length;
    applyPlan(first, s.source, s.target, T0, { crashAfter: before });
    const resumed = plan(s, { now: at(300) });
    expect(resumed.stages.flat().filter((x) => x.role === 'backup-file')).toEqual([]);
    expect(resumed.copies.map((c) => c.steps.map((x) => x.kind))).toEqual([
      ['write-manifest', 'copy'],
      ['write-manifest', 'copy'],
      ['write-manifest', 'copy'],
    ]);
  });

  it('a source object changed after the listing fails its copy (CopySourceIfMatch), and the backup is not committed', () => {
    const s = estate();
    const p = plan(s);
    s.source.bucket.put('backups/daily-2/daily-2.tar.gz', 'rewritten', at(10));
    const result = applyPlan(p, s.source, s.target, at(20));
    expect(result.failed.map((x) => x.targetKey)).toEqual(['backups/daily-2/daily-2.tar.gz']);
    expect(s.target.bucket.text('backups/daily-2/velero-backup.json')).toBeNull();
    expect(s.target.bucket.text('backups/daily-1/velero-backup.json')).not.toBeNull();
  });

  it('a failed repository copy holds back every commit', () => {
    const s = estate();
    const p = plan(s);
    const result = applyPlan(p, s.source, s.target, T0, {
      fail: (step) => step.unit === 'kopia:shop' && step.role === 'repository-object',
    });
    expect(result.failed).toHaveLength(1);
    expect(s.target.bucket.keys().filter((k) => k.endsWith('velero-backup.json'))).toEqual([]);
    expect(stepMayRun(p.copies[0]!.steps.at(-1)!, new Set(['restic:legacy']))).toBe(false);
  });
});

describe('a source backup that changed', () => {
  it('a re-uploaded json: uncommit first, then the manifest, then the json; nothing else', () => {
    const s = estate();
    sync(s);
    const key = 'backups/daily-2/velero-backup.json';
    s.source.bucket.put(key, s.source.bucket.text(key)!.replace('"daily"', '"daily-eu"'), at(100));
    // With plugin operations the finalizer uploads the tarball again after the json.
    s.source.bucket.touch('backups/daily-2/daily-2.tar.gz', at(101));
    const p = plan(s, { now: at(200) });
    expect(p.copies).toHaveLength(1);
    expect(p.copies[0]).toMatchObject({ name: 'daily-2', recopy: true });
    expect(p.copies[0]!.steps.map((x) => `${x.kind}:${x.targetKey}`)).toEqual([
      `delete:${key}`,
      'write-manifest:backups/daily-2/drpilot-manifest.json',
      `copy:${key}`,
    ]);
    applyPlan(p, s.source, s.target, at(200));
    expect(s.target.bucket.text(key)).toContain('"daily-eu"');
    expect(plan(s, { now: at(300) }).summary.objectsToCopy).toBe(0);
  });

  it('a json re-uploaded with the same size and a crash before its copy is still finished', () => {
    const s = estate();
    sync(s);
    const key = 'backups/daily-2/velero-backup.json';
    s.source.bucket.put(key, s.source.bucket.text(key)!.replace('"daily"', '"dai1y"'), at(100));
    s.source.bucket.touch('backups/daily-2/daily-2.tar.gz', at(101));
    const p = plan(s, { now: at(200) });
    applyPlan(p, s.source, s.target, at(200), { crashAfter: 2 }); // uncommit + manifest
    expect(s.target.bucket.text(key)).toBeNull();
    applyPlan(plan(s, { now: at(300) }), s.source, s.target, at(300));
    expect(s.target.bucket.text(key)).toContain('"dai1y"');
  });

  it('a rewritten tarball is copied again, the json around it', () => {
    const s = estate();
    sync(s);
    s.source.bucket.put('backups/daily-3/daily-3.tar.gz', 'another tarball', at(100));
    s.source.bucket.touch('backups/daily-3/velero-backup.json', at(100));
    const p = plan(s, { now: at(200) });
    expect(p.copies[0]!.steps.map((x) => `${x.kind}:${x.targetKey}`)).toEqual([
      'delete:backups/daily-3/velero-backup.json',
      'copy:backups/daily-3/daily-3.tar.gz',
      'write-manifest:backups/daily-3/drpilot-manifest.json',
      'copy:backups/daily-3/velero-backup.json',
    ]);
  });

  it('a backup that became unrestorable on the source is skipped and left on the target', () => {
    const s = estate();
    sync(s);
    s.source.bucket.objects.delete('backups/daily-1/daily-1.tar.gz');
    const p = plan(s, { now: at(100) });
    expect(p.skipped).toContainEqual({ name: 'daily-1', reason: 'daily-1.tar.gz is missing' });
    expect(p.deletions).toEqual([]);
    expect(p.missing.newlyMissing.backups).toEqual([]);
  });
});

describe('repositories', () => {
  it('kopia: packs, then indexes, then epoch markers, then kopia.blobcfg, kopia.repository last', () => {
    const p = plan(estate());
    const kopia = (re: RegExp) =>
      stageOf(p, (x) => x.unit === 'kopia:shop' && re.test(x.targetKey));
    const packs = kopia(/\/[pq][0-9a-f]{32}-/);
    const logs = kopia(/\/_log_/);
    const indexes = kopia(/\/xn\d+_/);
    const markers = kopia(/\/xe\d+$/);
    const maintenance = kopia(/\/kopia\.maintenance$/);
    const blobcfg = kopia(/\/kopia\.blobcfg$/);
    const format = kopia(/\/kopia\.repository$/);
    for (const stages of [packs, logs, indexes, markers, maintenance, blobcfg, format]) {
      expect(stages).toHaveLength(1);
    }
    expect(logs[0]).toBe(packs[0]);
    expect(packs[0]!).toBeLessThan(indexes[0]!);
    expect(indexes[0]!).toBeLessThan(markers[0]!);
    expect(markers[0]!).toBeLessThan(maintenance[0]!);
    expect(maintenance[0]!).toBeLessThan(blobcfg[0]!);
    expect(blobcfg[0]!).toBeLessThan(format[0]!);
  });

  it('restic: keys and config, then data, then index, then snapshots; never locks', () => {
    const p = plan(estate());
    const restic = (re: RegExp) =>
      stageOf(p, (x) => x.unit === 'restic:legacy' && re.test(x.targetKey));
    const first = restic(/\/(config|keys\/)/);
    const data = restic(/\/data\//);
    const index = restic(/\/index\//);
    const snapshots = restic(/\/snapshots\//);
    expect(first).toHaveLength(1);
    expect(first[0]!).toBeLessThan(data[0]!);
    expect(data[0]!).toBeLessThan(index[0]!);
    expect(index[0]!).toBeLessThan(snapshots[0]!);
    expect(restic(/\/locks\//)).toEqual([]);
  });

  it('every repository copy comes before every manifest and json', () => {
    const p = plan(estate());
    const lastRepo = Math.max(...stageOf(p, (x) => x.role === 'repository-object'));
    const firstManifest = Math.min(...stageOf(p, (x) => x.kind === 'write-manifest'));
    expect(lastRepo).toBeLessThan(firstManifest);
  });

  it('mutable blobs rewritten in place are copied again; the rest is not', () => {
    const s = estate();
    sync(s);
    s.source.bucket.put('kopia/shop/kopia.maintenance', Buffer.alloc(302, 7), at(500));
    const p = plan(s, { now: at(600) });
    expect(p.stages.flat().map((x) => x.targetKey)).toEqual(['kopia/shop/kopia.maintenance']);
  });

  it("the target's own lock files are neither copied over nor deleted", () => {
    const s = estate();
    sync(s);
    s.target.bucket.put('restic/legacy/locks/abc', 'lock', at(10));
    const p = plan(s, { now: at(2 * DAY), missingSince: { backups: {}, repositoryObjects: {} } });
    expect(p.stages).toEqual([]);
    expect(p.missing.newlyMissing.repositoryObjects).toEqual([]);
  });

  it('an object gone from the source is deleted after the grace, in reverse rank', () => {
    const s = estate();
    sync(s);
    const gone = [
      'kopia/shop/kopia.repository',
      ...s.source.bucket.keys().filter((k) => /kopia\/shop\/(p|xn)/.test(k)),
    ];
    for (const key of gone) s.source.bucket.objects.delete(key);
    const first = plan(s, { now: at(100) });
    expect(first.missing.newlyMissing.repositoryObjects).toEqual([...gone].sort());
    expect(first.stages).toEqual([]);
    expect(first.repositoryDeletionsDeferred).toBe(gone.length);
    const later = plan(s, { now: at(100 + DAY), missingSince: first.missing.next });
    const deletes = (re: RegExp) =>
      stageOf(later, (x) => x.kind === 'delete' && re.test(x.targetKey));
    expect(later.stages.flat()).toHaveLength(gone.length);
    expect(deletes(/kopia\.repository$/)[0]!).toBeLessThan(deletes(/\/xn/)[0]!);
    expect(deletes(/\/xn/)[0]!).toBeLessThan(deletes(/\/p/)[0]!);
  });

  it('is held while a backup that left the source before the object did is still on the target', () => {
    const s = estate();
    sync(s);
    s.source.bucket.objects.forEach(
      (_, key) => key.startsWith('backups/daily-3/') && s.source.bucket.objects.delete(key),
    );
    const t1 = plan(s, { now: at(100) });
    const pack = s.source.bucket.keys().find((k) => k.startsWith('kopia/shop/p'))!;
    s.source.bucket.objects.delete(pack);
    const t2 = plan(s, { now: at(200), missingSince: t1.missing.next });
    // daily-3 is one of the newest three restorable backups on the target: kept for good.
    const t3 = plan(s, { now: at(10 * DAY), missingSince: t2.missing.next });
    expect(t3.kept.map((k) => k.name)).toEqual(['daily-3']);
    expect(t3.stages.flat().map((x) => x.targetKey)).not.toContain(pack);
    expect(t3.repositoryDeletionsDeferred).toBe(1);
  });
});

describe('deletions', () => {
  function withFiveOnTarget(): { source: SimSide; target: SimSide } {
    const s = sides();
    for (let i = 1; i <= 5; i++) seedBackup(s.source, `daily-${i}`, {}, at(-(6 - i) * DAY));
    sync(s);
    return s;
  }

  function dropFromSource(s: { source: SimSide }, name: string): void {
    for (const key of s.source.bucket.keys()) {
      if (key.startsWith(`backups/${name}/`)) s.source.bucket.objects.delete(key);
    }
  }

  it('waits deleteGraceSeconds from the time the backup was first seen missing', () => {
    const s = withFiveOnTarget();
    dropFromSource(s, 'daily-1');
    const seen = plan(s, { now: at(100) });
    expect(seen.missing.newlyMissing.backups).toEqual(['daily-1']);
    expect(seen.missing.next.backups).toEqual({ 'daily-1': at(100) });
    expect(seen.deletions).toEqual([]);
    expect(seen.kept[0]!.reason).toContain(`deleted after ${at(100 + DAY)}`);

    const before = plan(s, { now: at(100 + DAY - 1), missingSince: seen.missing.next });
    expect(before.missing.newlyMissing.backups).toEqual([]);
    expect(before.deletions).toEqual([]);

    const after = plan(s, { now: at(100 + DAY), missingSince: seen.missing.next });
    expect(after.deletions.map((d) => d.name)).toEqual(['daily-1']);
    expect(after.summary.backupsToDelete).toBe(1);
  });

  it('deletes velero-backup.json first and the manifest last', () => {
    const s = withFiveOnTarget();
    dropFromSource(s, 'daily-1');
    const p = plan(s, {
      now: at(DAY),
      missingSince: { backups: { 'daily-1': T0 }, repositoryObjects: {} },
    });
    const deletion = p.deletions[0]!;
    expect(deletion.steps[0]!.targetKey).toBe('backups/daily-1/velero-backup.json');
    expect(deletion.steps.at(-1)!.targetKey).toBe('backups/daily-1/drpilot-manifest.json');
    expect(deletion.steps).toHaveLength(
      s.target.bucket.keys().filter((k) => k.startsWith('backups/daily-1/')).length,
    );
    const steps = backupSteps(p, 'daily-1');
    const jsonStage = steps.find((x) => x.step.targetKey.endsWith('velero-backup.json'))!.stage;
    const manifestStage = steps.find((x) =>
      x.step.targetKey.endsWith('drpilot-manifest.json'),
    )!.stage;
    for (const { stage, step } of steps) {
      if (!step.targetKey.endsWith('velero-backup.json')) expect(stage).toBeGreaterThan(jsonStage);
      if (!step.targetKey.endsWith('drpilot-manifest.json'))
        expect(stage).toBeLessThan(manifestStage);
    }
    applyPlan(p, s.source, s.target, at(DAY));
    expect(s.target.bucket.keys().filter((k) => k.startsWith('backups/daily-1/'))).toEqual([]);
  });

  it('never deletes the newest keepLatest restorable backups on the target', () => {
    const s = withFiveOnTarget();
    for (let i = 1; i <= 5; i++) dropFromSource(s, `daily-${i}`);
    const seen = plan(s, { now: T0 });
    const p = plan(s, {
      now: at(30 * DAY),
      missingSince: seen.missing.next,
      policy: { keepLatest: 3 },
    });
    expect(p.deletions.map((d) => d.name)).toEqual(['daily-1', 'daily-2']);
    expect(p.kept.map((k) => k.name)).toEqual(['daily-3', 'daily-4', 'daily-5']);
    expect(p.kept[0]!.reason).toContain('keepLatest');
  });

  it('keepLatest counts restorable backups only', () => {
    const s = withFiveOnTarget();
    for (let i = 1; i <= 5; i++) dropFromSource(s, `daily-${i}`);
    s.target.bucket.objects.delete('backups/daily-5/daily-5.tar.gz');
    const seen = plan(s, { now: T0 });
    const p = plan(s, {
      now: at(30 * DAY),
      missingSince: seen.missing.next,
      policy: { keepLatest: 2 },
    });
    expect(p.deletions.map((d) => d.name)).toEqual(['daily-1', 'daily-2', 'daily-5']);
  });

  it('a backup back on the source is reported as returned and forgotten', () => {
    const s = withFiveOnTarget();
    const p = plan(s, {
      now: at(100),
      missingSince: { backups: { 'daily-2': T0, 'gone-for-good': T0 }, repositoryObjects: {} },
    });
    expect(p.missing.returned.backups).toEqual(['daily-2']);
    expect(p.missing.next.backups).toEqual({});
    expect(p.deletions).toEqual([]);
  });

  it('--backup NAME copies that backup only and deletes nothing', () => {
    const s = estate();
    s.target.bucket.put('backups/old-1/velero-backup.json', '{}', at(-9 * DAY));
    const p = plan(s, {
      only: 'daily-2',
      missingSince: { backups: { 'old-1': at(-9 * DAY) }, repositoryObjects: {} },
    });
    expect(p.copies.map((c) => c.name)).toEqual(['daily-2']);
    expect(p.deletions).toEqual([]);
    expect(p.repositories.length).toBe(2);
    expect(plan(s, { only: 'nope' }).skipped).toEqual([
      { name: 'nope', reason: 'not on the source' },
    ]);
  });
});

describe('the target prefix is the only place written', () => {
  it('with BSL prefixes on both sides; other areas of the source are ignored', () => {
    const s = estate('velero/', 'dr/velero/');
    const p = plan(s);
    const keys = p.stages.flat().map((x) => x.targetKey);
    expect(keys.length).toBeGreaterThan(30);
    for (const key of keys) expect(key).toMatch(/^dr\/velero\/(backups|kopia|restic)\/[^/]+\/./);
    sync(s);
    expect(plan(s, { now: at(60) }).stages).toEqual([]);
  });

  it('a backup Velero (or someone else) wrote on the target is left alone', () => {
    const s = estate();
    seedBackup(s.target, 'daily-2', { version: '1.16' }, at(-2 * DAY));
    const p = plan(s);
    expect(p.copies.map((c) => c.name)).toEqual(['daily-1', 'daily-3']);
    expect(p.skipped.find((x) => x.name === 'daily-2')!.reason).toContain(
      'without a drpilot manifest',
    );
  });

  it('the key guard refuses anything outside backups/, kopia/ and restic/', () => {
    expect(() => assertMirroredTargetKey('dr/', 'dr/backups/a/b')).not.toThrow();
    for (const key of [
      'dr/restores/a/b',
      'backups/a/b',
      'dr/backups/a',
      'dr/backups/../x/y',
      'dr/kopia//x',
      'dr/metadata/revision',
    ]) {
      expect(() => assertMirroredTargetKey('dr/', key)).toThrow(
        /refusing to plan a write or delete outside/,
      );
    }
  });

  it('refuses a plan whose input lacks a listed target manifest (it would recopy forever)', () => {
    const s = estate();
    sync(s);
    s.source.bucket.put('backups/daily-1/velero-backup.json', '{"changed":1}', at(10));
    const listing = (b: SimBucket) => b.list();
    const input = {
      source: {
        bucket: 'a',
        prefix: '',
        objects: listing(s.source.bucket),
        assessments: readBackups(s.source.bucket, '', ['Completed']).assessments,
      },
      target: { prefix: '', objects: listing(s.target.bucket), assessments: {}, manifests: {} },
      missingSince: { backups: {}, repositoryObjects: {} },
      now: T0,
      policy: { keepLatest: 3, deleteGraceSeconds: DAY },
    };
    expect(() => planSync(input)).toThrow(
      /target.manifests has no entry for backups\/daily-2\/drpilot-manifest.json/,
    );
    const unreadable = {
      ...input,
      target: { ...input.target, manifests: { 'daily-2': null, 'daily-3': null } },
    };
    expect(planSync(unreadable).copies.map((c) => c.name)).toEqual(['daily-2', 'daily-3']);
  });

  it('refuses prefixes that are not BSL prefixes', () => {
    const s = estate();
    expect(() =>
      planSync({
        source: { bucket: 'a', prefix: 'velero', objects: [], assessments: {} },
        target: { prefix: '', objects: [], assessments: {}, manifests: {} },
        missingSince: { backups: {}, repositoryObjects: {} },
        now: T0,
        policy: { keepLatest: 3, deleteGraceSeconds: DAY },
      }),
    ).toThrow(/source prefix/);
    expect(s).toBeDefined();
  });
});
