import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { BACKUP_FILES_BY_VERSION, VELERO_VERSIONS } from '../../lambdas/core/resync/backup-files';
import { placeOf } from '../../lambdas/core/resync/bucket-layout';
import { kopiaRank } from '../../lambdas/core/resync/repository-order';
import type { SyncPlan } from '../../lambdas/core/resync/sync-plan';
import type { PlanStep } from '../../lambdas/core/resync/sync-steps';
import { applyPlan, planBetween, SimBucket } from '../support/velero-bucket-sim';
import type { SimSide } from '../support/velero-bucket-sim';

const NOW = '2024-06-10T00:00:00.000Z';
const NOW_MS = Date.parse(NOW);

const time = fc
  .integer({ min: 1, max: 20 * 86400 })
  .map((ago) => new Date(NOW_MS - ago * 1000).toISOString());

const body = fc
  .integer({ min: 0, max: 64 })
  .chain((n) => fc.string({ minLength: n, maxLength: n }).map((s) => `${s}`));

interface GeneratedBackup {
  name: string;
  version: (typeof VELERO_VERSIONS)[number];
  phase: string;
  withCompletion: boolean;
  operations: number;
  omit: string[];
  written: string;
  tarballWritten: string;
  extra: boolean;
  sourceManifest: boolean;
}

const backupArb: fc.Arbitrary<GeneratedBackup> = fc.record({
  name: fc.constantFrom('b-1', 'b-2', 'b-3', 'b-4', 'nightly-5', 'a.b-6'),
  version: fc.constantFrom(...VELERO_VERSIONS),
  phase: fc.constantFrom(
    'Completed',
    'Completed',
    'Completed',
    'PartiallyFailed',
    'InProgress',
    'Failed',
  ),
  withCompletion: fc.constantFrom(true, true, true, true, false),
  operations: fc.constantFrom(0, 0, 2),
  omit: fc.subarray(['.tar.gz', '-results.gz', '-logs.gz', '-volumeinfo.json.gz'], {
    maxLength: 1,
  }),
  written: time,
  tarballWritten: time,
  extra: fc.boolean(),
  sourceManifest: fc.boolean(),
});

function backupJson(b: GeneratedBackup, schedule: string | null): string {
  return JSON.stringify({
    kind: 'Backup',
    apiVersion: 'velero.io/v1',
    metadata: { name: b.name, labels: schedule ? { 'velero.io/schedule-name': schedule } : {} },
    status: {
      phase: b.phase,
      startTimestamp: b.written,
      completionTimestamp: b.withCompletion ? b.written : undefined,
      backupItemOperationsAttempted: b.operations || undefined,
    },
  });
}

function seedBackup(side: SimSide, b: GeneratedBackup, fill: string): void {
  const dir = `${side.prefix}backups/${b.name}/`;
  for (const rule of BACKUP_FILES_BY_VERSION[b.version]) {
    if (b.omit.includes(rule.suffix)) continue;
    if (rule.suffix === 'velero-backup.json') {
      side.bucket.put(
        `${dir}velero-backup.json`,
        backupJson(b, fill.length % 2 ? 'daily' : null),
        b.written,
      );
    } else {
      const at = rule.suffix === '.tar.gz' ? b.tarballWritten : b.written;
      side.bucket.put(`${dir}${b.name}${rule.suffix}`, `${rule.suffix}:${fill}`, at);
    }
  }
  if (b.extra) side.bucket.put(`${dir}notes.txt`, fill, b.written);
  if (b.sourceManifest) side.bucket.put(`${dir}drpilot-manifest.json`, '{"version":1}', b.written);
}

const KOPIA_BLOBS = [
  'kopia.repository',
  'kopia.blobcfg',
  'kopia.maintenance',
  'kopia.repository.backup.1',
  'p0123456789abcdef0123456789abcdef-s1',
  'p1123456789abcdef0123456789abcdef-s1',
  'qaa23456789abcdef0123456789abcdef-s1',
  'xn0_0123456789abcdef0123456789abcdef-s1-c1',
  'xn1_1123456789abcdef0123456789abcdef-s1-c1',
  'xs0_aa-s1-c1',
  'xr0_1_bb-s1-c1',
  'xe1',
  'xw1717000000',
  '_log_20240601020000_abcd_1_2_1_ff',
  's0123456789abcdef1ab',
  'n0123',
  'm0123',
  'zz-unknown',
];
const kopiaBlob = fc.constantFrom(...KOPIA_BLOBS);
const RESTIC_PATHS = [
  'config',
  'keys/k1',
  'data/ab/ab12',
  'data/cd/cd34',
  'index/i1',
  'snapshots/s1',
  'locks/l1',
  'locks/l2',
  'other/thing',
];
const resticPath = fc.constantFrom(...RESTIC_PATHS);
const ALL_REPOSITORY_KEYS = [
  ...['shop', 'pay'].flatMap((ns) => KOPIA_BLOBS.map((blob) => `kopia/${ns}/${blob}`)),
  ...RESTIC_PATHS.map((path) => `restic/legacy/${path}`),
];
const repoObject = fc.oneof(
  fc.tuple(fc.constantFrom('shop', 'pay'), kopiaBlob).map(([ns, blob]) => `kopia/${ns}/${blob}`),
  fc.tuple(fc.constantFrom('legacy'), resticPath).map(([ns, path]) => `restic/${ns}/${path}`),
);
const junkKey = fc.constantFrom(
  'restores/r-1/restore-r-1-logs.gz',
  'metadata/revision',
  'plugins/x',
  'backups',
  'backups/',
  'backups/loose',
  'kopia/loose',
  'restic/',
  'backups/../kopia/x/y',
  'backups//x',
  'kopia/./x',
  'junk/file',
  '../escape',
);

const prefix = fc.constantFrom('', 'velero/', 'a/b/');

interface World {
  source: SimSide;
  target: SimSide;
  missingSince: { backups: Record<string, string>; repositoryObjects: Record<string, string> };
}

const worldArb: fc.Arbitrary<World> = fc
  .record({
    sourcePrefix: prefix,
    targetPrefix: prefix,
    backups: fc.uniqueArray(backupArb, { selector: (b) => b.name, maxLength: 5 }),
    repo: fc
      .subarray(ALL_REPOSITORY_KEYS)
      .chain((keys) => fc.tuple(...keys.map((key) => fc.tuple(fc.constant(key), body, time)))),
    junk: fc.array(fc.tuple(junkKey, body), { maxLength: 4 }),
    // What the target already has: a random part of the source (as an earlier or dead run
    // left it), objects of its own, garbage manifests.
    copiedFraction: fc.constantFrom(0, 0.3, 0.7, 1),
    targetOwn: fc.array(
      fc.oneof(
        repoObject,
        repoObject,
        fc.constantFrom('b-1', 'b-9', 'old-1').map((n) => `backups/${n}/velero-backup.json`),
        fc.constantFrom('b-1', 'b-2', 'old-1').map((n) => `backups/${n}/drpilot-manifest.json`),
        fc.constantFrom('b-2', 'old-2').map((n) => `backups/${n}/${n}.tar.gz`),
      ),
      { maxLength: 6 },
    ),
    ownBody: body,
    seed: fc.integer(),
    missing: fc.dictionary(fc.constantFrom('b-1', 'b-9', 'old-1', 'old-2'), time, { maxKeys: 3 }),
    repoMissing: fc.dictionary(repoObject, time, { maxKeys: 6 }),
  })
  .map((w) => {
    const source: SimSide = { bucket: new SimBucket('src'), prefix: w.sourcePrefix };
    const target: SimSide = { bucket: new SimBucket('dst'), prefix: w.targetPrefix };
    w.backups.forEach((b, i) => seedBackup(source, b, `${i}:${w.seed}`));
    for (const [key, content, at] of w.repo)
      source.bucket.put(`${w.sourcePrefix}${key}`, content, at);
    for (const [key, content] of w.junk) source.bucket.put(`${w.sourcePrefix}${key}`, content, NOW);
    let n = 0;
    for (const key of source.bucket.keys()) {
      n += 1;
      if ((n * 7919 + w.seed) % 10 >= w.copiedFraction * 10) continue;
      const o = source.bucket.objects.get(key)!;
      const rel = key.slice(w.sourcePrefix.length);
      target.bucket.put(`${w.targetPrefix}${rel}`, o.body, o.lastModified, `other-${o.etag}`);
    }
    for (const key of w.targetOwn) target.bucket.put(`${w.targetPrefix}${key}`, w.ownBody, NOW);
    return {
      source,
      target,
      missingSince: { backups: w.missing, repositoryObjects: w.repoMissing },
    };
  });

function planOf(world: World, now = NOW): SyncPlan {
  return planBetween(world.source, world.target, {
    now,
    missingSince: world.missingSince,
    acceptPhases: ['Completed', 'PartiallyFailed'],
    policy: { keepLatest: 2, deleteGraceSeconds: 3 * 86400 },
  });
}

function stagesOf(plan: SyncPlan, predicate: (step: PlanStep) => boolean): number[] {
  return plan.stages.flatMap((stage, i) => (stage.some(predicate) ? [i] : []));
}

const RUNS = { numRuns: 150 };

describe('re-sync plans, for random listings', () => {
  it('(a) write and delete nothing outside backups/, kopia/, restic/ under the target prefix', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const plan = planOf(world);
        for (const step of plan.stages.flat()) {
          expect(step.targetKey.startsWith(world.target.prefix)).toBe(true);
          const place = placeOf(step.targetKey.slice(world.target.prefix.length));
          expect(place).not.toBeNull();
          if (step.kind === 'copy') {
            expect(step.sourceKey.startsWith(world.source.prefix)).toBe(true);
            expect(step.targetKey.slice(world.target.prefix.length)).toBe(
              step.sourceKey.slice(world.source.prefix.length),
            );
          }
          expect(step.targetKey).not.toMatch(/\/locks\//);
        }
      }),
      RUNS,
    );
  });

  it('(b) within each backup, velero-backup.json comes after every other step, the manifest just before', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const plan = planOf(world);
        for (const copy of plan.copies) {
          const unit = `backup:${copy.name}`;
          const json = stagesOf(
            plan,
            (s) => s.unit === unit && s.kind === 'copy' && s.role === 'backup-metadata',
          );
          expect(json).toHaveLength(1);
          const others = stagesOf(
            plan,
            (s) => s.unit === unit && !(s.kind === 'copy' && s.role === 'backup-metadata'),
          );
          for (const stage of others) expect(stage).toBeLessThan(json[0]!);
          expect(copy.steps.at(-1)).toMatchObject({ kind: 'copy', role: 'backup-metadata' });
          const manifest = copy.steps.findIndex((s) => s.kind === 'write-manifest');
          if (manifest >= 0) expect(manifest).toBe(copy.steps.length - 2);
          // Velero's sync controller imports on the json: no repository copy may follow it.
          for (const stage of stagesOf(
            plan,
            (s) => s.role === 'repository-object' && s.kind === 'copy',
          )) {
            expect(stage).toBeLessThan(json[0]!);
          }
        }
        for (const deletion of plan.deletions) {
          expect(
            deletion.steps[0]!.targetKey.endsWith('/velero-backup.json') ||
              !deletion.steps.some((s) => s.targetKey.endsWith('/velero-backup.json')),
          ).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('(c) no kopia index is staged before a pack of the same run', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const plan = planOf(world);
        const blob = (s: PlanStep): string => s.targetKey.slice(s.targetKey.lastIndexOf('/') + 1);
        const isKopiaCopy = (s: PlanStep): boolean =>
          s.kind === 'copy' && s.unit.startsWith('kopia:');
        const packs = stagesOf(plan, (s) => isKopiaCopy(s) && /^[pq]/.test(blob(s)));
        const indexes = stagesOf(plan, (s) => isKopiaCopy(s) && /^(x[nsr]|n)/.test(blob(s)));
        const markers = stagesOf(plan, (s) => isKopiaCopy(s) && /^x[ew]/.test(blob(s)));
        const format = stagesOf(plan, (s) => isKopiaCopy(s) && blob(s) === 'kopia.repository');
        if (packs.length > 0 && indexes.length > 0) {
          expect(Math.max(...packs)).toBeLessThan(Math.min(...indexes));
        }
        if (indexes.length > 0 && markers.length > 0) {
          expect(Math.max(...indexes)).toBeLessThan(Math.min(...markers));
        }
        for (const stage of format) {
          const others = stagesOf(plan, (s) => isKopiaCopy(s) && blob(s) !== 'kopia.repository');
          for (const other of others) expect(other).toBeLessThan(stage);
        }
        const restic = (re: RegExp) =>
          stagesOf(
            plan,
            (s) => s.kind === 'copy' && s.unit.startsWith('restic:') && re.test(s.targetKey),
          );
        const order = [/\/(config|keys\/[^/]+)$/, /\/data\//, /\/index\//, /\/snapshots\//];
        for (let i = 1; i < order.length; i++) {
          const before = restic(order[i - 1]!);
          const after = restic(order[i]!);
          if (before.length > 0 && after.length > 0) {
            expect(Math.max(...before)).toBeLessThan(Math.min(...after));
          }
        }
        expect(kopiaRank('p1')).toBe(0);
      }),
      RUNS,
    );
  });

  it('(d) applying a plan and planning again copies nothing (idempotence)', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const first = planOf(world);
        const result = applyPlan(first, world.source, world.target, NOW);
        expect(result.failed).toEqual([]);
        const later = new Date(NOW_MS + 60_000).toISOString();
        const second = planOf({ ...world, missingSince: first.missing.next }, later);
        expect(second.summary.objectsToCopy).toBe(0);
        expect(second.summary.manifestsToWrite).toBe(0);
        expect(second.copies).toEqual([]);
      }),
      RUNS,
    );
  });

  it('(d′) a run that dies anywhere leaves no json over missing files, and the next run converges', () => {
    fc.assert(
      fc.property(worldArb, fc.nat(), (world, cut) => {
        const first = planOf(world);
        const total = first.stages.flat().length;
        applyPlan(first, world.source, world.target, NOW, {
          crashAfter: total === 0 ? 0 : cut % total,
        });
        const later = new Date(NOW_MS + 60_000).toISOString();
        const resumed = planOf({ ...world, missingSince: first.missing.next }, later);
        for (const copy of first.copies) {
          const json = `${world.target.prefix}backups/${copy.name}/velero-backup.json`;
          if (world.target.bucket.text(json) === null) continue;
          // A committed copy is either complete or being redone with its json deleted first.
          const redo = resumed.copies.find((c) => c.name === copy.name);
          if (redo)
            expect(redo.steps[0]).toMatchObject({ kind: 'delete', role: 'backup-metadata' });
        }
        applyPlan(resumed, world.source, world.target, later);
        const last = planOf(
          { ...world, missingSince: resumed.missing.next },
          new Date(NOW_MS + 120_000).toISOString(),
        );
        expect(last.summary.objectsToCopy).toBe(0);
      }),
      RUNS,
    );
  });

  it('(e) the listing order (pagination) does not change the plan', () => {
    fc.assert(
      fc.property(worldArb, fc.integer(), (world, seed) => {
        const shuffle = <T>(items: T[]): T[] =>
          items
            .map((item, i) => ({ item, k: (i * 2654435761 + seed) % 1000 }))
            .sort((a, b) => a.k - b.k)
            .map(({ item }) => item);
        const plain = planOf(world);
        const shuffled = planBetween(world.source, world.target, {
          now: NOW,
          missingSince: world.missingSince,
          acceptPhases: ['Completed', 'PartiallyFailed'],
          policy: { keepLatest: 2, deleteGraceSeconds: 3 * 86400 },
          shuffle,
        });
        expect(shuffled).toEqual(plain);
      }),
      { numRuns: 60 },
    );
  });
});
