import { describe, expect, it } from 'vitest';

import {
  kopiaRepositoryObjects,
  resticRepositoryObjects,
  veleroBackup,
} from '../../cli/embedded/velero-layout';
import { StepSchedule } from '../../lambdas/core/resync/step-schedule';
import type { SyncPlan } from '../../lambdas/core/resync/sync-plan';
import { isRepositoryUnit, type PlanStep } from '../../lambdas/core/resync/sync-steps';
import { applyPlan, planBetween, SimBucket } from '../support/velero-bucket-sim';
import type { SimSide } from '../support/velero-bucket-sim';

const T0 = '2024-06-01T03:00:00.000Z';
const DAY = 86400;
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

function seedBackup(side: SimSide, name: string, writtenAt: string): void {
  side.bucket.putAll(
    veleroBackup({
      name,
      version: '1.18',
      phase: 'Completed',
      schedule: 'daily',
      startTimestamp: at(-4000),
      completionTimestamp: writtenAt,
      counters: { podVolumeBackups: 1, itemsBackedUp: 5 },
    }).objects,
    writtenAt,
  );
}

/** Five backups, two kopia repositories and a restic one; the target empty. */
function estate(): { source: SimSide; target: SimSide } {
  const source = { bucket: new SimBucket('acme-velero-eu-west-1'), prefix: '' };
  const target = { bucket: new SimBucket('acme-velero-eu-central-1'), prefix: '' };
  for (let i = 1; i <= 5; i++) seedBackup(source, `daily-${i}`, at(-(6 - i) * DAY));
  for (const namespace of ['shop', 'payments']) {
    source.bucket.putAll(
      kopiaRepositoryObjects({ prefix: '', namespace, time: at(-DAY), epochs: 2, packs: 4 }),
      at(-DAY),
    );
  }
  source.bucket.putAll(resticRepositoryObjects({ prefix: '', namespace: 'legacy' }), at(-DAY));
  return { source, target };
}

/** A plan with every kind of step: first copies, a recopy (uncommit), a backup deletion. */
function mixedPlan(): SyncPlan {
  const s = estate();
  applyPlan(planBetween(s.source, s.target, { now: T0 }), s.source, s.target, T0);
  for (const key of s.source.bucket.keys()) {
    if (key.startsWith('backups/daily-1/')) s.source.bucket.objects.delete(key);
  }
  s.source.bucket.put('backups/daily-3/daily-3.tar.gz', 'another tarball', at(100));
  s.source.bucket.touch('backups/daily-3/velero-backup.json', at(100));
  seedBackup(s.source, 'daily-6', at(100));
  s.source.bucket.putAll(
    kopiaRepositoryObjects({ prefix: '', namespace: 'shop', time: at(100), epochs: 3, packs: 6 }),
    at(100),
  );
  const p = planBetween(s.source, s.target, {
    now: at(2 * DAY),
    policy: { keepLatest: 2 },
    missingSince: { backups: { 'daily-1': T0 }, repositoryObjects: {} },
  });
  expect(p.copies.map((c) => [c.name, c.recopy])).toEqual([
    ['daily-3', true],
    ['daily-6', false],
  ]);
  expect(p.deletions.map((d) => d.name)).toEqual(['daily-1']);
  return p;
}

/** A seeded pseudo-random generator, so a failure replays. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

interface Trace {
  started: Map<PlanStep, number>;
  settled: Map<PlanStep, number>;
}

/** Drains the schedule with up to `limit` steps in flight, settling them in a random order. */
function drain(plan: SyncPlan, limit: number, seed: number): Trace {
  const schedule = new StepSchedule(plan);
  const next = random(seed);
  const started = new Map<PlanStep, number>();
  const settled = new Map<PlanStep, number>();
  const inFlight: PlanStep[] = [];
  let clock = 0;
  for (;;) {
    for (
      let step = schedule.next();
      step;
      step = inFlight.length < limit ? schedule.next() : null
    ) {
      expect(started.has(step)).toBe(false);
      started.set(step, clock++);
      inFlight.push(step);
      if (inFlight.length >= limit) break;
    }
    if (inFlight.length === 0) break;
    const [step] = inFlight.splice(Math.floor(next() * inFlight.length), 1);
    if (!step) throw new Error('nothing in flight');
    settled.set(step, clock++);
    schedule.settle(step);
  }
  expect(schedule.pending).toBe(0);
  return { started, settled };
}

const stageOf = (plan: SyncPlan) =>
  new Map(plan.stages.flatMap((steps, stage) => steps.map((step) => [step, stage] as const)));

/** Every ordering rule the stages encode that the schedule must keep. */
function expectOrderKept(plan: SyncPlan, trace: Trace): void {
  const stage = stageOf(plan);
  const all = plan.stages.flat();
  expect(trace.started.size).toBe(all.length);
  const before = (a: PlanStep, b: PlanStep) =>
    expect(
      trace.settled.get(a)!,
      `${a.kind} ${a.targetKey} before ${b.kind} ${b.targetKey}`,
    ).toBeLessThan(trace.started.get(b)!);
  const deletionSteps = new Set(plan.deletions.flatMap((d) => d.steps));
  for (const b of all) {
    for (const a of all) {
      if (stage.get(a)! >= stage.get(b)!) continue;
      // Within a backup or a repository, the stages' order holds (json last, ranks in order).
      if (a.unit === b.unit) before(a, b);
      // A json waits for every repository object of the run.
      if (b.kind === 'copy' && b.role === 'backup-metadata' && isRepositoryUnit(a.unit))
        before(a, b);
      // Deletions (of whole backups, of repository objects) wait for everything before them.
      if (deletionSteps.has(b as never) || (b.kind === 'delete' && isRepositoryUnit(b.unit)))
        before(a, b);
    }
  }
}

describe('the re-sync step schedule', () => {
  it('keeps json last, the repository ranks and the deletions after the copies, in any completion order', () => {
    const plans = [planBetween(estate().source, estate().target, { now: T0 }), mixedPlan()];
    for (const plan of plans) {
      for (const [limit, seed] of [
        [1, 1],
        [3, 7],
        [16, 42],
        [64, 99],
      ] as const) {
        expectOrderKept(plan, drain(plan, limit, seed));
      }
    }
  });

  it('overlaps what the ordering allows: indexes and manifests before the last pack or tarball', () => {
    const s = estate();
    const plan = planBetween(s.source, s.target, { now: T0 });
    const schedule = new StepSchedule(plan);
    const handed: PlanStep[] = [];
    for (let step = schedule.next(); step; step = schedule.next()) handed.push(step);
    // At first: every repository's first rank and every backup's payload, repositories first.
    expect(new Set(handed.map((step) => plan.stages.findIndex((st) => st.includes(step))))).toEqual(
      new Set([0]),
    );
    const firstBackup = handed.findIndex((step) => !isRepositoryUnit(step.unit));
    expect(handed.slice(firstBackup).every((step) => !isRepositoryUnit(step.unit))).toBe(true);

    // Settling the shop repository's packs frees its indexes while the rest is still running.
    for (const step of handed.filter((x) => x.unit === 'kopia:shop')) schedule.settle(step);
    const freed: PlanStep[] = [];
    for (let step = schedule.next(); step; step = schedule.next()) freed.push(step);
    expect(freed.length).toBeGreaterThan(0);
    expect(freed.every((step) => step.unit === 'kopia:shop')).toBe(true);

    // Settling daily-2's payload frees its manifest, not its json (repositories are running).
    for (const step of handed.filter((x) => x.unit === 'backup:daily-2')) schedule.settle(step);
    expect(schedule.next()).toMatchObject({
      kind: 'write-manifest',
      targetKey: 'backups/daily-2/drpilot-manifest.json',
    });
    expect(schedule.next()).toBeNull();
  });

  it('refuses to settle a step that is not in the plan', () => {
    const s = estate();
    const schedule = new StepSchedule(planBetween(s.source, s.target, { now: T0 }));
    expect(() =>
      schedule.settle({ kind: 'delete', unit: 'backup:x', role: 'backup-file', targetKey: 'x' }),
    ).toThrow('step x is not in this plan');
  });
});
