/**
 * The steps a re-sync plan is made of, and the order an executor runs them in.
 *
 * A plan's `stages` run one after the other; the steps inside a stage are independent of each
 * other (run them with bounded concurrency, in any order). Every step names its `unit`: the
 * backup (`backup:<name>`) or repository (`kopia:<ns>`, `restic:<ns>`) it belongs to. When a
 * step fails, the executor skips the rest of that unit (see `stepMayRun`), so a backup whose
 * files did not all arrive never gets its velero-backup.json.
 */
export type CopyRole = 'backup-file' | 'backup-metadata' | 'repository-object';
export type DeleteRole =
  'backup-metadata' | 'backup-file' | 'backup-manifest' | 'repository-object';

/** CopyObject (or UploadPartCopy above the multipart threshold) from source to target. */
export interface CopyStep {
  kind: 'copy';
  unit: string;
  role: CopyRole;
  sourceKey: string;
  targetKey: string;
  size: number;
  /**
   * The source's ETag when it was listed: copy with `CopySourceIfMatch` so that an object
   * changed since the listing fails the step instead of copying something the plan did not
   * judge (the next run sees the change).
   */
  etag: string;
}

/** PutObject of drpilot's manifest, `body` as planned. */
export interface WriteManifestStep {
  kind: 'write-manifest';
  unit: string;
  role: 'backup-manifest';
  targetKey: string;
  body: string;
}

export interface DeleteStep {
  kind: 'delete';
  unit: string;
  role: DeleteRole;
  targetKey: string;
}

export type PlanStep = CopyStep | WriteManifestStep | DeleteStep;

export function backupUnit(name: string): string {
  return `backup:${name}`;
}

export function repositoryUnit(kind: 'kopia' | 'restic', namespace: string): string {
  return `${kind}:${namespace}`;
}

export function isRepositoryUnit(unit: string): boolean {
  return unit.startsWith('kopia:') || unit.startsWith('restic:');
}

/**
 * Whether the executor may still run `step` after the units in `failedUnits` had a step fail.
 * A step of a failed unit never runs. A backup's velero-backup.json (the commit) also waits for
 * every repository: which repository blobs a backup needs cannot be known, so a backup is never
 * shown to the DR cluster while any repository copy of the run has failed.
 */
export function stepMayRun(step: PlanStep, failedUnits: ReadonlySet<string>): boolean {
  if (failedUnits.has(step.unit)) return false;
  if (step.kind === 'copy' && step.role === 'backup-metadata') {
    return ![...failedUnits].some(isRepositoryUnit);
  }
  return true;
}
