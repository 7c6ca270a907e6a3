/**
 * The re-sync planner: from listings of the active (source) and standby (target) buckets, what
 * to copy, in which order, and what to delete. Pure; an executor lists, reads and runs it.
 *
 * What the executor does around it:
 * 1. List the source's `backups/` first, then its `kopia/` and `restic/`: a backup's repository
 *    data is written before its velero-backup.json, so a repository listing taken after the
 *    backup listing covers every backup in it. List the target likewise (any order).
 * 2. For each source `backups/<name>/` holding velero-backup.json: read it (and its
 *    drpilot-manifest.json, if any) and `assessBackup`. For each target backup directory: read
 *    its json and manifest, `assessBackup` (keepLatest and RPO use these) and pass the manifest
 *    text in `target.manifests`.
 * 3. `planSync`, then run `plan.stages` in order (steps of a stage concurrently), or each step
 *    once its waits in `StepSchedule` (step-schedule.ts) are over, skipping steps `stepMayRun`
 *    refuses after a failure; copy with `CopySourceIfMatch: step.etag`.
 * 4. Store `plan.missing.next` (one map per target bucket) in the state table.
 */
import { assertBslPrefix, assertMirroredTargetKey, backupDirectories } from './bucket-layout';
import { BACKUP_METADATA_FILE } from './bucket-layout';
import { planBackupCopy } from './backup-copy';
import { decideBackupDeletions, decideRepositoryDeletions, trackMissing } from './deletions';
import type { KeptBackup, MissingSince, MissingTracking } from './deletions';
import { MANIFEST_FILE, parseManifest } from './manifest';
import type { ObjectInfo } from './object-info';
import { MAX_REPOSITORY_RANK } from './repository-order';
import { planRepositoryCopies, repositoryObjects } from './repository-mirror';
import type { BackupAssessment } from './restorable';
import { backupUnit, repositoryUnit } from './sync-steps';
import type { DeleteStep, PlanStep } from './sync-steps';

export interface SyncPolicy {
  keepLatest: number;
  deleteGraceSeconds: number;
}

export interface SyncPlanInput {
  source: {
    bucket: string;
    /** '' or ending in '/'. */
    prefix: string;
    /** Everything listed under the prefix (all pages, any order). */
    objects: readonly ObjectInfo[];
    /** By backup name: every source backup whose velero-backup.json exists. */
    assessments: Readonly<Record<string, BackupAssessment>>;
  };
  target: {
    prefix: string;
    objects: readonly ObjectInfo[];
    /** By backup name: the target's own backups, assessed there (for keepLatest). */
    assessments: Readonly<Record<string, BackupAssessment>>;
    /** By backup name: the text of the target's drpilot-manifest.json where it has one. */
    manifests: Readonly<Record<string, string | null>>;
  };
  missingSince: MissingSince;
  now: string;
  policy: SyncPolicy;
  /** `resync --backup NAME`: copy only this backup (repositories still mirrored), delete nothing. */
  only?: string;
}

export interface BackupCopyPlan {
  name: string;
  /** The target had this backup committed; its json is deleted first and copied again last. */
  recopy: boolean;
  /** This backup's steps in execution order: payload, manifest, velero-backup.json. */
  steps: PlanStep[];
}

export interface BackupDeletionPlan {
  name: string;
  missingSince: string;
  /** velero-backup.json first, drpilot-manifest.json last. */
  steps: DeleteStep[];
}

export interface RepositoryPlan {
  unit: string;
  objectsToCopy: number;
  bytesToCopy: number;
  objectsToDelete: number;
}

export interface SyncPlan {
  now: string;
  /** Run in order; the steps inside one stage are independent. */
  stages: PlanStep[][];
  copies: BackupCopyPlan[];
  skipped: { name: string; reason: string }[];
  deletions: BackupDeletionPlan[];
  /** Gone from the source but kept on the target, and why. */
  kept: KeptBackup[];
  repositories: RepositoryPlan[];
  /** Repository objects gone from the source whose deletion is held back. */
  repositoryDeletionsDeferred: number;
  missing: MissingTracking;
  summary: {
    backupsToCopy: number;
    objectsToCopy: number;
    bytesToCopy: number;
    manifestsToWrite: number;
    backupsToDelete: number;
    objectsToDelete: number;
  };
}

/**
 * Global phases. Backup payload goes with the repositories' first rank; every repository rank
 * completes before any manifest or json, since a backup's json must not appear before the
 * repository data it points to. Deletions come after the commits (json deletes, which take a
 * backup away from the DR cluster, come first of all), repository deletions in reverse rank.
 */
const PHASE = {
  uncommit: 0,
  copy: (rank: number): number => 1 + rank,
  manifest: 2 + MAX_REPOSITORY_RANK,
  commit: 3 + MAX_REPOSITORY_RANK,
  deleteBackupFiles: 4 + MAX_REPOSITORY_RANK,
  deleteRepository: (rank: number): number =>
    4 + MAX_REPOSITORY_RANK + (MAX_REPOSITORY_RANK - rank),
  deleteManifest: 5 + 2 * MAX_REPOSITORY_RANK,
} as const;

interface Phased {
  phase: number;
  step: PlanStep;
}

function byPhaseThenKey(a: Phased, b: Phased): number {
  return a.phase - b.phase || (a.step.targetKey < b.step.targetKey ? -1 : 1);
}

/** Listing order must not matter: steps are ordered by phase, then key. */
function inPhaseOrder(items: readonly Phased[]): PlanStep[] {
  return [...items].sort(byPhaseThenKey).map((item) => item.step);
}

function stagesOf(items: readonly Phased[]): PlanStep[][] {
  const byPhase = new Map<number, PlanStep[]>();
  for (const { phase, step } of items) byPhase.set(phase, [...(byPhase.get(phase) ?? []), step]);
  return [...byPhase.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, steps]) => steps.sort((a, b) => (a.targetKey < b.targetKey ? -1 : 1)));
}

function hasMetadata(files: readonly ObjectInfo[]): boolean {
  return files.some((f) => f.key.endsWith(`/${BACKUP_METADATA_FILE}`));
}

function deletionSteps(name: string, files: readonly ObjectInfo[]): Phased[] {
  const unit = backupUnit(name);
  return files.map((f) => {
    const role: DeleteStep['role'] = f.key.endsWith(`/${BACKUP_METADATA_FILE}`)
      ? 'backup-metadata'
      : f.key.endsWith(`/${MANIFEST_FILE}`)
        ? 'backup-manifest'
        : 'backup-file';
    const phase =
      role === 'backup-metadata'
        ? PHASE.uncommit
        : role === 'backup-manifest'
          ? PHASE.deleteManifest
          : PHASE.deleteBackupFiles;
    return { phase, step: { kind: 'delete', unit, role, targetKey: f.key } };
  });
}

/**
 * The target manifest's text. A manifest listed but not passed would make every run recopy the
 * backup in full, so that executor bug is refused; null (listed, then gone or unreadable) is
 * fine and counts as no usable manifest.
 */
function manifestText(
  input: SyncPlanInput,
  targetFiles: readonly ObjectInfo[] | undefined,
  name: string,
): string | null {
  const listed = (targetFiles ?? []).some((f) => f.key.endsWith(`/${MANIFEST_FILE}`));
  const text = input.target.manifests[name];
  if (listed && text === undefined) {
    throw new Error(
      `target.manifests has no entry for backups/${name}/${MANIFEST_FILE}, which is listed`,
    );
  }
  return text ?? null;
}

export function planSync(input: SyncPlanInput): SyncPlan {
  const { source, target, now, policy } = input;
  assertBslPrefix(source.prefix, 'the source prefix');
  assertBslPrefix(target.prefix, 'the target prefix');
  if (Number.isNaN(Date.parse(now))) throw new Error(`now is not a timestamp: ${now}`);

  const sourceDirs = backupDirectories(source.objects, source.prefix);
  const targetDirs = backupDirectories(target.objects, target.prefix);
  const onSource = new Set(
    [...sourceDirs].filter(([, files]) => hasMetadata(files)).map(([n]) => n),
  );
  const all: Phased[] = [];
  const copies: BackupCopyPlan[] = [];
  const skipped: { name: string; reason: string }[] = [];

  for (const [name, files] of [...sourceDirs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (input.only !== undefined && name !== input.only) continue;
    const assessment = source.assessments[name];
    if (!onSource.has(name) || !assessment) {
      skipped.push({
        name,
        reason: onSource.has(name)
          ? 'not assessed (velero-backup.json was not read)'
          : 'velero-backup.json is missing',
      });
      continue;
    }
    if (!assessment.restorable) {
      skipped.push({ name, reason: assessment.reasons.join('; ') });
      continue;
    }
    const decision = planBackupCopy({
      name,
      sourceBucket: source.bucket,
      sourcePrefix: source.prefix,
      targetPrefix: target.prefix,
      sourceFiles: files,
      targetFiles: targetDirs.get(name) ?? [],
      targetManifest: parseManifest(manifestText(input, targetDirs.get(name), name), name),
      now,
    });
    if (decision.kind === 'foreign') skipped.push({ name, reason: decision.reason });
    if (decision.kind !== 'copy') continue;
    const steps: Phased[] = [
      ...(decision.uncommit ? [{ phase: PHASE.uncommit, step: decision.uncommit }] : []),
      ...decision.payload.map((step) => ({ phase: PHASE.copy(0), step })),
      ...(decision.manifest ? [{ phase: PHASE.manifest, step: decision.manifest }] : []),
      { phase: PHASE.commit, step: decision.commit },
    ];
    all.push(...steps);
    copies.push({ name, recopy: decision.recopy, steps: inPhaseOrder(steps) });
  }
  if (input.only !== undefined && !sourceDirs.has(input.only)) {
    skipped.push({ name: input.only, reason: 'not on the source' });
  }

  const sourceRepo = repositoryObjects(source.objects, source.prefix);
  const targetRepo = repositoryObjects(target.objects, target.prefix);
  const repositoryCopies = planRepositoryCopies(sourceRepo, targetRepo, target.prefix);
  all.push(...repositoryCopies.map(({ rank, step }) => ({ phase: PHASE.copy(rank), step })));

  const missing = trackMissing({
    previous: input.missingSince,
    goneBackups: new Set([...targetDirs.keys()].filter((name) => !onSource.has(name))),
    sourceBackups: onSource,
    goneRepositoryObjects: new Set([...targetRepo.keys()].filter((key) => !sourceRepo.has(key))),
    sourceRepositoryObjects: new Set(sourceRepo.keys()),
    now,
  });

  const deletions: BackupDeletionPlan[] = [];
  let kept: KeptBackup[] = [];
  let repositoryDeletionsDeferred = 0;
  const repositoryDeletes: Phased[] = [];
  if (input.only === undefined) {
    const backupDecision = decideBackupDeletions({
      missingSince: missing.next.backups,
      targetAssessments: target.assessments,
      keepLatest: policy.keepLatest,
      graceSeconds: policy.deleteGraceSeconds,
      now,
    });
    kept = backupDecision.kept;
    for (const { name, missingSince } of backupDecision.delete) {
      const steps = deletionSteps(name, targetDirs.get(name) ?? []);
      all.push(...steps);
      deletions.push({ name, missingSince, steps: inPhaseOrder(steps) as DeleteStep[] });
    }
    const repositoryDecision = decideRepositoryDeletions({
      missingSince: missing.next.repositoryObjects,
      backupsMissingSince: missing.next.backups,
      graceSeconds: policy.deleteGraceSeconds,
      now,
    });
    repositoryDeletionsDeferred = repositoryDecision.deferred;
    for (const relKey of repositoryDecision.delete) {
      const object = targetRepo.get(relKey);
      if (!object) continue;
      repositoryDeletes.push({
        phase: PHASE.deleteRepository(object.rank),
        step: {
          kind: 'delete',
          unit: repositoryUnit(object.kind, object.namespace),
          role: 'repository-object',
          targetKey: object.object.key,
        },
      });
    }
    all.push(...repositoryDeletes);
  }

  for (const { step } of all) assertMirroredTargetKey(target.prefix, step.targetKey);

  const repositories = new Map<string, RepositoryPlan>();
  const repositoryFor = (unit: string): RepositoryPlan => {
    const existing = repositories.get(unit);
    if (existing) return existing;
    const created = { unit, objectsToCopy: 0, bytesToCopy: 0, objectsToDelete: 0 };
    repositories.set(unit, created);
    return created;
  };
  for (const { step } of repositoryCopies) {
    const repository = repositoryFor(step.unit);
    repository.objectsToCopy += 1;
    repository.bytesToCopy += step.size;
  }
  for (const { step } of repositoryDeletes) repositoryFor(step.unit).objectsToDelete += 1;

  const steps = all.map(({ step }) => step);
  const copySteps = steps.filter((step) => step.kind === 'copy');
  return {
    now,
    stages: stagesOf(all),
    copies,
    skipped,
    deletions,
    kept,
    repositories: [...repositories.values()].sort((a, b) => (a.unit < b.unit ? -1 : 1)),
    repositoryDeletionsDeferred,
    missing,
    summary: {
      backupsToCopy: copies.length,
      objectsToCopy: copySteps.length,
      bytesToCopy: copySteps.reduce((sum, step) => sum + step.size, 0),
      manifestsToWrite: steps.filter((step) => step.kind === 'write-manifest').length,
      backupsToDelete: deletions.length,
      objectsToDelete: steps.filter((step) => step.kind === 'delete').length,
    },
  };
}
