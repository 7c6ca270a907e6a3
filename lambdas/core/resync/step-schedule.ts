/**
 * Which steps of a re-sync plan may overlap. `plan.stages` is one safe order: every step of a
 * stage after every step of the stages before it. Most of those waits protect nothing — a
 * backup's tarball does not wait for another repository's index — and each stage boundary
 * leaves the copy slots idle while its slowest copy finishes. The schedule keeps only the waits
 * the ordering rules need:
 * - a repository object waits for its own repository's lower ranks (repository-order.ts);
 * - a backup's payload and manifest wait for that backup's earlier steps (its uncommit);
 * - a backup's velero-backup.json (the commit) waits for that backup's payload and manifest
 *   and for every repository copy of the run: which blobs a backup needs cannot be known, so
 *   the json never appears before all the repository data (stepMayRun then also sees any
 *   repository failure before the json is copied);
 * - everything else (a deletion's steps, repository deletions) waits for every earlier stage,
 *   as in `plan.stages`.
 * A waited-for step counts once it has settled: done, failed, or skipped after a failure.
 */
import type { SyncPlan } from './sync-plan';
import { isRepositoryUnit, type PlanStep } from './sync-steps';

/** What a step waits for, among the steps of the stages before its own. */
type StepWait = 'own-unit' | 'own-unit-and-repositories' | 'earlier-stages';

interface Scheduled {
  step: PlanStep;
  stage: number;
  wait: StepWait;
}

/** The wait of each step of the plan (the plan's own objects as keys). */
function stepWaits(plan: SyncPlan): Map<PlanStep, StepWait> {
  const waits = new Map<PlanStep, StepWait>();
  for (const copy of plan.copies) {
    for (const step of copy.steps) {
      waits.set(
        step,
        step.kind === 'copy' && step.role === 'backup-metadata'
          ? 'own-unit-and-repositories'
          : 'own-unit',
      );
    }
  }
  for (const step of plan.stages.flat()) {
    if (step.kind === 'copy' && step.role === 'repository-object') waits.set(step, 'own-unit');
    if (!waits.has(step)) waits.set(step, 'earlier-stages');
  }
  return waits;
}

/**
 * Starting order among ready steps: repository objects first (every json waits for them),
 * then the largest copies (the run ends with its smallest ones, not with a big one started
 * last), then by key.
 */
function startsBefore(a: Scheduled, b: Scheduled): number {
  const repo = Number(isRepositoryUnit(b.step.unit)) - Number(isRepositoryUnit(a.step.unit));
  const size = (s: Scheduled) => (s.step.kind === 'copy' ? s.step.size : 0);
  return repo || size(b) - size(a) || (a.step.targetKey < b.step.targetKey ? -1 : 1);
}

/**
 * Hands out a plan's steps as their waits end. `next()` gives a ready step (null when none is
 * ready now); `settle(step)` records that a handed-out step finished, failed or was skipped.
 */
export class StepSchedule {
  private readonly waiting: Scheduled[] = [];
  private ready: Scheduled[] = [];
  private readySorted = true;
  private unsettled = 0;
  private readonly byStep = new Map<PlanStep, Scheduled>();
  /** Unsettled steps per stage, per unit and stage, and repository steps per stage. */
  private readonly left: number[];
  private readonly leftRepository: number[];
  private readonly leftByUnit = new Map<string, number[]>();

  constructor(plan: SyncPlan) {
    const waits = stepWaits(plan);
    const stages = plan.stages.length;
    this.left = new Array<number>(stages).fill(0);
    this.leftRepository = new Array<number>(stages).fill(0);
    plan.stages.forEach((steps, stage) => {
      for (const step of steps) {
        const scheduled = { step, stage, wait: waits.get(step) ?? 'earlier-stages' };
        this.byStep.set(step, scheduled);
        this.count(scheduled, 1);
        this.waiting.push(scheduled);
        this.unsettled++;
      }
    });
    this.release();
  }

  /** Steps not settled yet (waiting, ready or handed out). */
  get pending(): number {
    return this.unsettled;
  }

  next(): PlanStep | null {
    if (!this.readySorted) {
      this.ready.sort(startsBefore);
      this.readySorted = true;
    }
    return this.ready.shift()?.step ?? null;
  }

  settle(step: PlanStep): void {
    const scheduled = this.byStep.get(step);
    if (!scheduled) throw new Error(`step ${step.targetKey} is not in this plan`);
    this.byStep.delete(step);
    this.count(scheduled, -1);
    this.unsettled--;
    this.release();
  }

  private count(s: Scheduled, delta: number): void {
    this.left[s.stage] = (this.left[s.stage] ?? 0) + delta;
    if (isRepositoryUnit(s.step.unit)) {
      this.leftRepository[s.stage] = (this.leftRepository[s.stage] ?? 0) + delta;
    }
    const unit = this.leftByUnit.get(s.step.unit) ?? new Array<number>(this.left.length).fill(0);
    unit[s.stage] = (unit[s.stage] ?? 0) + delta;
    this.leftByUnit.set(s.step.unit, unit);
  }

  private settledBefore(counts: readonly number[] | undefined, stage: number): boolean {
    for (let t = 0; t < stage; t++) if ((counts?.[t] ?? 0) > 0) return false;
    return true;
  }

  private isReady(s: Scheduled): boolean {
    if (s.wait === 'earlier-stages') return this.settledBefore(this.left, s.stage);
    const own = this.settledBefore(this.leftByUnit.get(s.step.unit), s.stage);
    return s.wait === 'own-unit' ? own : own && this.settledBefore(this.leftRepository, s.stage);
  }

  private release(): void {
    let kept = 0;
    for (const s of this.waiting) {
      if (this.isReady(s)) {
        this.ready.push(s);
        this.readySorted = false;
      } else {
        this.waiting[kept++] = s;
      }
    }
    this.waiting.length = kept;
  }
}
