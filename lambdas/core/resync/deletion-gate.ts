/**
 * No re-sync deletes anything unless both Velero buckets are versioned. The re-sync role may
 * delete under `backups/`, `kopia/` and `restic/` in both buckets (the active side changes with a
 * failover), so a bug — or a plan made from a wrong listing — could otherwise delete the only good
 * copy of a backup. With S3 versioning Enabled on both buckets a delete only adds a delete marker:
 * the object stays restorable as a noncurrent version (a lifecycle rule expires those later; see
 * docs/resync.md). Pure: the executor reads GetBucketVersioning and passes what it saw.
 */
import type { Side } from '../config/schema';
import type { SyncPlan } from './sync-plan';

/**
 * What GetBucketVersioning said: `Enabled`, `Suspended`, `Disabled` (a bucket that was never
 * versioned has no Status), or `unreadable` (the call failed: refused as if unversioned).
 */
export type VersioningState = 'Enabled' | 'Suspended' | 'Disabled' | 'unreadable';

export interface BucketVersioning {
  bucket: string;
  state: VersioningState;
  /** Why it could not be read, for `unreadable`. */
  detail?: string;
}

export type DeletionGate =
  { allowed: true; reason: string } | { allowed: false; reason: string; buckets: string[] };

const describe = (v: BucketVersioning) =>
  v.state === 'unreadable'
    ? `${v.bucket}: versioning could not be read (${v.detail ?? 'unknown error'})`
    : v.state === 'Disabled'
      ? `${v.bucket}: versioning was never enabled`
      : `${v.bucket}: versioning is ${v.state}`;

/** Deletions are allowed only when both buckets report versioning `Enabled`. */
export function deletionGate(versioning: Readonly<Record<Side, BucketVersioning>>): DeletionGate {
  const notVersioned = Object.values(versioning).filter((v) => v.state !== 'Enabled');
  if (notVersioned.length === 0) {
    return {
      allowed: true,
      reason: `versioning is Enabled on ${Object.values(versioning)
        .map((v) => v.bucket)
        .join(' and ')}`,
    };
  }
  return {
    allowed: false,
    buckets: notVersioned.map((v) => v.bucket),
    reason: `deletions refused: ${notVersioned.map(describe).join('; ')}. Re-sync deletes only when both buckets have versioning Enabled, so a deleted object stays restorable (aws s3api put-bucket-versioning --bucket <bucket> --versioning-configuration Status=Enabled)`,
  };
}

/** Whether a plan deletes anything (backup deletions, repository objects, or a re-copy's uncommit). */
export function planDeletes(plan: Pick<SyncPlan, 'stages'>): boolean {
  return plan.stages.some((stage) => stage.some((step) => step.kind === 'delete'));
}

export interface GatedPlan {
  plan: SyncPlan;
  /** What the gate took out of the plan, with its reason; null when nothing was taken out. */
  withheld: { reason: string; backups: string[]; recopies: string[]; objects: number } | null;
}

/**
 * The plan as the gate lets it run. When deletions are refused, every delete step goes: backup
 * deletions and repository-object deletions wait, and a backup that must be copied again waits
 * too (a re-copy first deletes the target's velero-backup.json so the DR cluster never sees a
 * half-updated backup; without that delete it must not start). Copies of new backups go ahead.
 */
export function gatePlan(plan: SyncPlan, gate: DeletionGate): GatedPlan {
  if (gate.allowed || !planDeletes(plan)) return { plan, withheld: null };
  const recopies = plan.copies.filter((c) => c.steps.some((s) => s.kind === 'delete'));
  const withheldUnits = new Set(recopies.map((c) => `backup:${c.name}`));
  const stages = plan.stages
    .map((stage) => stage.filter((step) => step.kind !== 'delete' && !withheldUnits.has(step.unit)))
    .filter((stage) => stage.length > 0);
  const steps = stages.flat();
  const copySteps = steps.filter((step) => step.kind === 'copy');
  const objectsWithheld = plan.stages.flat().filter((step) => step.kind === 'delete').length;
  const copies = plan.copies.filter((c) => !withheldUnits.has(`backup:${c.name}`));
  return {
    plan: {
      ...plan,
      stages,
      copies,
      deletions: [],
      skipped: [
        ...plan.skipped,
        ...recopies.map((c) => ({ name: c.name, reason: `not copied again: ${gate.reason}` })),
      ],
      repositories: plan.repositories.map((r) => ({ ...r, objectsToDelete: 0 })),
      summary: {
        backupsToCopy: copies.length,
        objectsToCopy: copySteps.length,
        bytesToCopy: copySteps.reduce(
          (sum, step) => sum + (step.kind === 'copy' ? step.size : 0),
          0,
        ),
        manifestsToWrite: steps.filter((step) => step.kind === 'write-manifest').length,
        backupsToDelete: 0,
        objectsToDelete: 0,
      },
    },
    withheld: {
      reason: gate.reason,
      backups: plan.deletions.map((d) => d.name),
      recopies: recopies.map((c) => c.name),
      objects: objectsWithheld,
    },
  };
}
