import { copyObject, type CopyOptions } from '../adapters/aws/s3-copy';
import type { DeletionGate } from '../core/resync/deletion-gate';
import type { SyncPlan } from '../core/resync/sync-plan';
import { stepMayRun, type PlanStep } from '../core/resync/sync-steps';
import { forEachBounded } from '../core/bounded-concurrency';
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
 * Runs a plan's stages in order, the steps of a stage with bounded concurrency. A failed step
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

  for (const [index, stage] of plan.stages.entries()) {
    const runnable = stage.filter((step) => stepMayRun(step, failedUnits));
    if (runnable.length === 0) continue;
    options.onProgress?.(`stage ${index + 1}/${plan.stages.length}: ${runnable.length} step(s)`);
    await forEachBounded(runnable, options.concurrency, async (step) => {
      if (!stepMayRun(step, failedUnits)) return;
      try {
        await run(step);
      } catch (error) {
        failedUnits.add(step.unit);
        execution.failures.push({
          unit: step.unit,
          key: step.targetKey,
          message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
    });
  }

  for (const deletion of plan.deletions) {
    const unit = `backup:${deletion.name}`;
    if (!failedUnits.has(unit) && deletedKeys.get(unit) === deletion.steps.length) {
      execution.deleted.push(deletion.name);
    }
  }
  execution.committed.sort();
  return execution;
}
