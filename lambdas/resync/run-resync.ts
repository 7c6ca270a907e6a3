import { randomUUID } from 'node:crypto';
import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { route53Client } from '../adapters/aws/sdk-clients/route53';
import { readRecord } from '../adapters/aws/route53-records';
import { publishRpo } from '../adapters/aws/rpo-metrics';
import { StateStore } from '../adapters/aws/state-store';
import type { DrpilotConfig, Side } from '../core/config/schema';
import { stateKeys } from '../core/state-keys';
import { activeSideOf } from '../core/status';
import type { MissingSince } from '../core/resync/deletions';
import { syncDirection } from '../core/resync/direction';
import { expectedSchedules, measureRpo, standbyAfterRun, type RpoReport } from '../core/resync/rpo';
import type { RestorableBackup } from '../core/resync/restorable';
import { planSync } from '../core/resync/sync-plan';
import {
  nextDeletionDueAt,
  snapshotStillHolds,
  syncFingerprint,
  type SyncSnapshot,
} from '../core/resync/sync-snapshot';
import { readBucketVersioning } from '../adapters/aws/bucket-versioning';
import { bucketSide, listMirrored, listMirroredTarget } from '../adapters/aws/velero-bucket';
import {
  deletionGate,
  gatePlan,
  planDeletes,
  type BucketVersioning,
  type GatedPlan,
} from '../core/resync/deletion-gate';
import { assessListed } from './assess-side';
import { executePlan, type StepFailure } from './execute-plan';
import { refuseIfPaused } from '../pause/pause-gate';

export interface ResyncOptions {
  dryRun: boolean;
  /** Copy only this backup (repositories still mirrored), delete nothing. */
  backup?: string;
  /** What started this run, for the audit trail. */
  trigger: string;
  concurrency?: number;
  /** Multipart part size; tests use small parts. */
  partSizeBytes?: number;
  onProgress?: (message: string) => void;
  now?: () => Date;
}

/** The RPO the standby side can restore: published for the alarm, kept for `status`. */
async function publishRecoveryPoint(
  config: DrpilotConfig,
  store: StateStore,
  standbySide: Side,
  rpo: RpoReport,
): Promise<void> {
  await publishRpo(cloudWatchClient(config.controlRegion), rpo);
  await store.writeValue(stateKeys.veleroRpo(standbySide), rpo);
}

export type ResyncOutcome = 'copied' | 'noop' | 'dry-run' | 'failed' | 'refused';

/** The contract's resync result, plus what people need to act on a failure. */
export interface ResyncResult {
  outcome: ResyncOutcome;
  from: Side | null;
  to: Side | null;
  copied: string[];
  skipped: { name: string; reason: string }[];
  deleted: string[];
  objectsCopied: number;
  bytesCopied: number;
  rpoSeconds: number | null;
  rpo: RpoReport | null;
  planned: {
    backupsToCopy: number;
    objectsToCopy: number;
    bytesToCopy: number;
    backupsToDelete: number;
  };
  failures: StepFailure[];
  /**
   * What was not deleted (nor copied again) because a bucket is not versioned, and why; null
   * when nothing was held back.
   */
  deletionsRefused: GatedPlan['withheld'];
  reason?: string;
}

const LEASE = 'resync';
/** The function's timeout: a lease outliving a killed run expires by itself. */
const LEASE_SECONDS = 15 * 60;
const READ_CONCURRENCY = 16;

function emptyResult(
  outcome: ResyncOutcome,
  reason: string,
  from: Side | null = null,
  to: Side | null = null,
): ResyncResult {
  return {
    outcome,
    from,
    to,
    copied: [],
    skipped: [],
    deleted: [],
    objectsCopied: 0,
    bytesCopied: 0,
    rpoSeconds: null,
    rpo: null,
    planned: { backupsToCopy: 0, objectsToCopy: 0, bytesToCopy: 0, backupsToDelete: 0 },
    failures: [],
    deletionsRefused: null,
    reason,
  };
}

/**
 * One re-sync run: find the direction from the main record, take the lease, list and assess both
 * buckets, plan, copy (json last), record what went missing and the RPO the standby side can
 * restore, and audit it. Handlers, the CLI and the drill all call this.
 */
export async function runResync(
  config: DrpilotConfig,
  options: ResyncOptions,
): Promise<ResyncResult> {
  const now = options.now ?? (() => new Date());
  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  const progress = options.onProgress ?? (() => undefined);

  const paused = await refuseIfPaused(config, 'resync', {
    scope: 'resync',
    trigger: options.trigger,
    wouldHave: options.backup ? `re-sync backup ${options.backup}` : 're-sync the Velero buckets',
    audit: !options.dryRun,
    now,
  });
  if (paused) return emptyResult('refused', paused.reason);

  const record = await readRecord(
    route53Client(),
    config.dns.hostedZoneId,
    config.dns.recordName,
    'CNAME',
  );
  const target = record?.values[0] ?? null;
  const direction = syncDirection({
    exists: record !== null,
    activeSide: activeSideOf(target, config.clusters),
    target,
  });
  if (!direction.ok) return emptyResult('refused', direction.reason);
  const { from, to } = direction;

  const source = bucketSide(config.backups, from);
  const destination = bucketSide(config.backups, to);
  const snapshotKey = stateKeys.veleroSnapshot(destination.bucket);
  progress(`listing ${source.bucket} (${from}) and ${destination.bucket} (${to})`);
  const [sourceObjects, targetObjects, snapshot] = await Promise.all([
    listMirrored(source),
    listMirroredTarget(destination),
    options.backup ? null : store.readValue<SyncSnapshot>(snapshotKey),
  ]);
  const startedAt = now().toISOString();
  const policy = { backups: config.backups };
  const fingerprint = syncFingerprint({
    from,
    to,
    policy,
    source: sourceObjects,
    target: targetObjects,
  });
  if (snapshot && snapshotStillHolds(snapshot, fingerprint, startedAt)) {
    // Nothing changed since the last completed run: no lease, no reads, only the RPO metric the
    // alarm needs every period (status ages the recorded recovery point itself).
    const rpo = measureRpo({
      backups: snapshot.standby,
      now: startedAt,
      schedules: snapshot.schedules,
    });
    if (!options.dryRun) await publishRpo(cloudWatchClient(config.controlRegion), rpo);
    return {
      ...emptyResult(
        options.dryRun ? 'dry-run' : 'noop',
        'both buckets are as the last completed run left them',
        from,
        to,
      ),
      skipped: snapshot.skipped,
      rpoSeconds: rpo.overall.rpoSeconds,
      rpo,
    };
  }

  // The listings above were taken before the lease. Another run finishing in between can only
  // make them stale in the direction of work already done, which this run then repeats (copies
  // are idempotent, the json still goes last); it never makes this run skip or delete wrongly.
  const sync = async (): Promise<ResyncResult> => {
    const [sourceSide, targetSide, recordedMissing] = await Promise.all([
      assessListed(source, sourceObjects, config.backups.acceptPhases, READ_CONCURRENCY),
      assessListed(destination, targetObjects, config.backups.acceptPhases, READ_CONCURRENCY),
      store.readValue<MissingSince>(stateKeys.veleroMissingSince(destination.bucket)),
    ]);
    const missingSince = recordedMissing ?? { backups: {}, repositoryObjects: {} };
    const proposed = planSync({
      source: {
        bucket: source.bucket,
        prefix: source.prefix,
        objects: sourceSide.objects,
        assessments: sourceSide.assessments,
      },
      target: {
        prefix: destination.prefix,
        objects: targetSide.objects,
        assessments: targetSide.assessments,
        manifests: targetSide.manifests,
      },
      missingSince,
      now: startedAt,
      policy: {
        keepLatest: config.backups.keepLatest,
        deleteGraceSeconds: config.backups.deleteGraceSeconds,
      },
      ...(options.backup ? { only: options.backup } : {}),
    });
    // Nothing is deleted unless both buckets are versioned (core/resync/deletion-gate.ts).
    const gate = planDeletes(proposed)
      ? deletionGate({
          [from]: await readBucketVersioning(source),
          [to]: await readBucketVersioning(destination),
        } as Record<Side, BucketVersioning>)
      : ({ allowed: true, reason: 'the plan deletes nothing' } as const);
    const { plan, withheld } = gatePlan(proposed, gate);
    if (withheld) progress(withheld.reason);
    const planned = {
      backupsToCopy: plan.summary.backupsToCopy,
      objectsToCopy: plan.summary.objectsToCopy,
      bytesToCopy: plan.summary.bytesToCopy,
      backupsToDelete: plan.summary.backupsToDelete,
    };
    const schedules = expectedSchedules(Object.values(sourceSide.assessments));

    if (options.dryRun) {
      const rpo = measureRpo({
        backups: Object.values(targetSide.assessments),
        now: startedAt,
        schedules,
      });
      return {
        outcome: 'dry-run',
        from,
        to,
        copied: plan.copies.map((c) => c.name),
        skipped: plan.skipped,
        deleted: plan.deletions.map((d) => d.name),
        objectsCopied: 0,
        bytesCopied: 0,
        rpoSeconds: rpo.overall.rpoSeconds,
        rpo,
        planned,
        failures: [],
        deletionsRefused: withheld,
      };
    }

    progress(`copying ${plan.summary.objectsToCopy} object(s) in ${plan.stages.length} stage(s)`);
    const execution = await executePlan(plan, source, destination, {
      concurrency: options.concurrency ?? 16,
      multipartThresholdBytes: config.backups.multipartThresholdBytes,
      partSizeBytes: options.partSizeBytes ?? 64 * 1024 * 1024,
      deletionGate: gate,
      onProgress: progress,
    });
    progress('recording: what went missing, the RPO, the snapshot, the audit');

    const standby = standbyAfterRun({
      before: targetSide.assessments,
      deleted: execution.deleted,
      committed: execution.committed,
      activeSide: sourceSide.assessments,
    });
    const rpo = measureRpo({ backups: standby, now: now().toISOString(), schedules });
    const failed = execution.failures.length > 0;
    // A run whose deletions the gate held back leaves no snapshot: the next run plans again
    // and reads the buckets' versioning again, so the deletions happen once both are versioned.
    const leavesSnapshot = !failed && !options.backup && !withheld;
    const targetChanged =
      execution.objectsCopied > 0 ||
      plan.summary.manifestsToWrite > 0 ||
      plan.summary.objectsToDelete > 0;
    const changed =
      execution.objectsCopied > 0 ||
      execution.deleted.length > 0 ||
      plan.summary.manifestsToWrite > 0;
    const result: ResyncResult = {
      outcome: failed ? 'failed' : changed ? 'copied' : 'noop',
      from,
      to,
      copied: execution.committed,
      skipped: plan.skipped,
      deleted: execution.deleted,
      objectsCopied: execution.objectsCopied,
      bytesCopied: execution.bytesCopied,
      rpoSeconds: rpo.overall.rpoSeconds,
      rpo,
      planned,
      failures: execution.failures,
      deletionsRefused: withheld,
      ...(failed
        ? { reason: `${execution.failures.length} step(s) failed; the next run finishes the job` }
        : {}),
    };
    // The records are independent and go out together; only the snapshot, which lets the next
    // run skip planning, waits for the missing-since times it relies on and the new listing.
    const missingWritten = store.writeValue(
      stateKeys.veleroMissingSince(destination.bucket),
      plan.missing.next,
    );
    const snapshotWritten = async () => {
      if (!leavesSnapshot) return;
      const [, after] = await Promise.all([
        missingWritten,
        targetChanged ? listMirroredTarget(destination) : targetObjects,
      ]);
      const next: SyncSnapshot = {
        fingerprint: syncFingerprint({ from, to, policy, source: sourceObjects, target: after }),
        nextDueAt: nextDeletionDueAt(
          plan.missing.next,
          config.backups.deleteGraceSeconds,
          startedAt,
        ),
        standby: standby.filter((b): b is RestorableBackup => b.restorable),
        schedules,
        skipped: plan.skipped,
      };
      await store.writeValue(snapshotKey, next);
    };
    const audited = async () => {
      if (result.outcome === 'noop') return;
      await store.appendAudit('resync', {
        trigger: options.trigger,
        outcome: result.outcome,
        from,
        to,
        copied: result.copied,
        deleted: result.deleted,
        objectsCopied: result.objectsCopied,
        bytesCopied: result.bytesCopied,
        rpoSeconds: result.rpoSeconds,
        failures: result.failures.slice(0, 20),
        ...(withheld ? { deletionsRefused: withheld } : {}),
      });
    };
    // Every write settles before the run returns (and its lease is released), failed or not.
    const written = await Promise.allSettled([
      missingWritten,
      publishRecoveryPoint(config, store, to, rpo),
      snapshotWritten(),
      audited(),
    ]);
    const failure = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failure)
      throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
    return result;
  };
  if (options.dryRun) return sync();
  return store.withLease(LEASE, `resync-${randomUUID()}`, LEASE_SECONDS, {
    onRefused: (heldBy, expiresAtMs) =>
      emptyResult(
        'refused',
        `another re-sync (${heldBy}) is running until ${new Date(expiresAtMs).toISOString()}`,
        from,
        to,
      ),
    work: sync,
  });
}
