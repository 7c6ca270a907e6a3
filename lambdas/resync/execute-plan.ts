import { copyObject, type CopyOptions } from '../adapters/aws/s3-copy';
import type { DeletionGate } from '../core/resync/deletion-gate';
import type { SyncPlan } from '../core/resync/sync-plan';
import { StepSchedule } from '../core/resync/step-schedule';
import { stepMayRun, type PlanStep } from '../core/resync/sync-steps';
import { deleteKey, putText, type BucketSide } from '../adapters/aws/velero-bucket';

export interface StepFailure {
  unit: string;
  key: string;
  message: string;
}

export interface Execution {
  objectsCopied: number;
  bytesCopied: number;
  /** Backups whose velero-backup.json was copied: the DR cluster can see them now. */
  committed: string[];
  /** Backups whose deletion finished (all their keys gone). */
  deleted: string[];
  failures: StepFailure[];
}

const unitName = (unit: string) => unit.replace(/^backup:/, '');

/**
 * Runs a plan's steps with bounded concurrency, each once the ordering allows it. A failed step
 * fails its unit: the unit's later steps are skipped (a backup whose files did not all arrive
 * never gets its json), other units go on, and the next run finishes the job.
 */
export async function executePlan(
  plan: SyncPlan,
  source: BucketSide,
  target: BucketSide,
  options: CopyOptions & {
    concurrency: number;
    /** Whether both buckets are versioned; a delete step runs only when the gate allows it. */
    deletionGate: DeletionGate;
    onProgress?: (message: string) => void;
  },
): Promise<Execution> {
  const failedUnits = new Set<string>();
  const execution: Execution = {
    objectsCopied: 0,
    bytesCopied: 0,
    committed: [],
    deleted: [],
    failures: [],
  };
  const deletedKeys = new Map<string, number>();
  const limit = Math.max(1, options.concurrency);

  const run = async (step: PlanStep) => {
    if (step.kind === 'copy') {
      await copyObject(
        target.s3,
        {
          sourceBucket: source.bucket,
          sourceKey: step.sourceKey,
          targetBucket: target.bucket,
          targetKey: step.targetKey,
          size: step.size,
          sourceEtag: step.etag,
        },
        options,
      );
      execution.objectsCopied++;
      execution.bytesCopied += step.size;
      if (step.role === 'backup-metadata') execution.committed.push(unitName(step.unit));
    } else if (step.kind === 'write-manifest') {
      await putText(target, step.targetKey, step.body);
    } else {
      // gatePlan takes delete steps out of a refused plan; this is the last line of defence.
      if (!options.deletionGate.allowed) throw new Error(options.deletionGate.reason);
      await deleteKey(target, step.targetKey);
      deletedKeys.set(step.unit, (deletedKeys.get(step.unit) ?? 0) + 1);
    }
  };

  // Steps start as soon as the ordering rules allow (core/resync/step-schedule.ts), not stage
  // by stage: a stage boundary would leave the copy slots idle behind its slowest copy.
  const schedule = new StepSchedule(plan);
  options.onProgress?.(
    `running: ${schedule.pending} step(s) of ${plan.stages.length} stage(s), each as soon as the order allows`,
  );
  await new Promise<void>((resolve, reject) => {
    let running = 0;
    const start = (step: PlanStep) => {
      running++;
      const attempt = stepMayRun(step, failedUnits)
        ? run(step).catch((error: unknown) => {
            failedUnits.add(step.unit);
            execution.failures.push({
              unit: step.unit,
              key: step.targetKey,
              message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
            });
          })
        : Promise.resolve();
      void attempt.then(() => {
        running--;
        pump(step);
      });
    };
    /** Records a settled step, then starts what is ready while slots are free. */
    const pump = (settled?: PlanStep) => {
      try {
        if (settled) schedule.settle(settled);
        while (running < limit) {
          const step = schedule.next();
          if (!step) break;
          start(step);
        }
        if (running === 0) {
          if (schedule.pending === 0) resolve();
          else reject(new Error(`${schedule.pending} step(s) of the plan never became ready`));
        }
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    pump();
  });

  for (const deletion of plan.deletions) {
    const unit = `backup:${deletion.name}`;
    if (!failedUnits.has(unit) && deletedKeys.get(unit) === deletion.steps.length) {
      execution.deleted.push(deletion.name);
    }
  }
  execution.committed.sort();
  return execution;
}
