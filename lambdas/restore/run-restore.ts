import { randomBytes } from 'node:crypto';
import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { StateStore } from '../adapters/aws/state-store';
import { bucketSide, type BucketSide } from '../adapters/aws/velero-bucket';
import { readBackupResourceList, readRestoreResults } from '../adapters/aws/velero-restore-files';
import { publishVerifiedRpo } from '../adapters/aws/verified-rpo-metrics';
import { describeAccess } from '../adapters/kubernetes/cluster-api';
import { openVeleroCluster, type VeleroCluster } from '../adapters/kubernetes/velero-cluster';
import { validatedKubernetesAccess } from '../core/config/kubernetes-access';
import type { DrpilotConfig } from '../core/config/schema';
import type { RestoreDrillConfig } from '../core/config/restore-drill-schema';
import {
  chooseBackup,
  planRestoreDrill,
  type RestoreDrillPlan,
} from '../core/restore/plan-restore';
import { namespacesOfResourceList } from '../core/restore/resource-list';
import { judgeRestore, restoreResultLines } from '../core/restore/restore-outcome';
import {
  measureVerifiedRpo,
  recordVerified,
  scheduleOf,
  type VerifiedRestores,
  type VerifiedRpoReport,
} from '../core/restore/verified-rpo';
import { stateKeys } from '../core/state-keys';
import { assessSide } from '../resync/assess-side';
import {
  cleanUp,
  DeadlineError,
  waitForBackup,
  waitForDeployments,
  waitForRestore,
  type CleanupReport,
  type Clock,
  type DeploymentReport,
} from './restore-steps';

export type RestoreDrillOutcome = 'verified' | 'failed' | 'refused' | 'dry-run';

export type RestorePhaseName =
  'backup synced in the DR cluster' | 'restore' | 'Deployments Available' | 'cleanup';

export interface RestoreDrillResult {
  outcome: RestoreDrillOutcome;
  reason: string;
  drillId: string;
  veleroNamespace: string | null;
  backup: { name: string; schedule: string | null; completionTimestamp: string } | null;
  restore: string | null;
  scratchNamespaces: { source: string; scratch: string }[];
  skippedNamespaces: { name: string; reason: string }[];
  /** The Restore's final phase, or the last one seen; null when none was created. */
  phase: string | null;
  itemsRestored: number | null;
  totalItems: number | null;
  /** Velero's warnings and errors, one line each (its results file); counts when unreadable. */
  warnings: string[];
  errors: string[];
  deployments: DeploymentReport[];
  durations: {
    backupSyncMs: number | null;
    restoreMs: number | null;
    deploymentsAvailableMs: number | null;
    cleanupMs: number | null;
    totalMs: number;
  };
  cleanup: CleanupReport | null;
  /** When each part ran: backup sync, restore, Deployments, cleanup (for the drill's timeline). */
  phases: { name: RestorePhaseName; ok: boolean; startedAt: string; endedAt: string }[];
  /** The verified RPO after this run (aged to now): this drill's backup when it was verified. */
  verifiedRpo: VerifiedRpoReport | null;
  /** The plan, for --dry-run (and the audit). */
  plan?: RestoreDrillPlan;
}

export interface RestoreDrillOptions {
  dryRun: boolean;
  /** Restore this backup (it must be restorable on the DR side) instead of the newest. */
  backup?: string;
  /** What started the run, for the audit trail. */
  trigger: string;
  /** Default: 6 random characters. */
  drillId?: string;
  onProgress?: (message: string) => void;
  /** How often the cluster is asked while waiting (default 2 s). */
  pollMs?: number;
  /**
   * Called once the Restore has finished and before the Deployments are awaited and everything is
   * cleaned up: the embedded drill and the tests look into the scratch namespaces here.
   */
  onRestored?: (plan: RestoreDrillPlan) => Promise<void>;
}

const LEASE = 'restore-drill';
/** The function's timeout: a lease outliving a killed run expires by itself. */
const LEASE_SECONDS = 15 * 60;

function newDrillId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
}

function emptyResult(
  outcome: RestoreDrillOutcome,
  reason: string,
  drillId: string,
  startedMs: number,
  drill: RestoreDrillConfig | undefined,
): RestoreDrillResult {
  return {
    outcome,
    reason,
    drillId,
    veleroNamespace: drill?.veleroNamespace ?? null,
    backup: null,
    restore: null,
    scratchNamespaces: [],
    skippedNamespaces: [],
    phase: null,
    itemsRestored: null,
    totalItems: null,
    warnings: [],
    errors: [],
    deployments: [],
    durations: {
      backupSyncMs: null,
      restoreMs: null,
      deploymentsAvailableMs: null,
      cleanupMs: null,
      totalMs: Date.now() - startedMs,
    },
    cleanup: null,
    phases: [],
    verifiedRpo: null,
  };
}

/**
 * One restore drill in the DR cluster: observe (the DR side's bucket, the backup's namespaces,
 * the cluster's namespaces), plan (lambdas/core/restore/plan-restore.ts), then under a lease act —
 * wait for the backup to be synced, create the modifier ConfigMap and the Restore, wait for it to
 * finish and for the restored Deployments to become Available — and always clean up. A verified
 * restore moves the verified RPO; every run is audited and publishes it. The handler, the CLI
 * (`drpilot verify-restore`) and the drill all call this.
 */
export async function runRestoreDrill(
  config: DrpilotConfig,
  options: RestoreDrillOptions,
): Promise<RestoreDrillResult> {
  const startedMs = Date.now();
  const drillId = options.drillId ?? newDrillId();
  const progress = options.onProgress ?? (() => undefined);
  const drill = config.backups.restoreDrill;
  const refuse = (reason: string) => emptyResult('refused', reason, drillId, startedMs, drill);
  if (!drill) {
    return refuse(
      'backups.restoreDrill is not configured: the drill needs the DR cluster (kubeconfigSecret, or clusterName with auth "eks") and its Velero namespace',
    );
  }
  const side = bucketSide(config.backups, 'dr');
  progress(`assessing the backups in ${side.bucket} (dr)`);
  const { assessments } = await assessSide(side, config.backups.acceptPhases, 16, ['backups']);
  const choice = chooseBackup({
    assessments: Object.values(assessments),
    bucket: side.bucket,
    ...(options.backup !== undefined ? { requested: options.backup } : {}),
  });
  if (!choice.ok) return refuse(choice.reason);
  const listText = await readBackupResourceList(side, choice.backup.name);
  const list = listText === null ? null : namespacesOfResourceList(listText);
  if (!list?.ok) {
    return refuse(
      `cannot tell which namespaces backup ${choice.backup.name} holds: ${list ? list.reason : 'its resource list is missing'}`,
    );
  }

  const region = config.clusters.dr.region;
  const access = validatedKubernetesAccess(drill);
  progress(`reaching the DR cluster through ${describeAccess(access, region)}`);
  const cluster = await openVeleroCluster(access, region, drill.veleroNamespace);
  try {
    const planning = planRestoreDrill({
      drillId,
      backup: choice.backup,
      backupNamespaces: list.namespaces,
      existingNamespaces: await cluster.namespaceNames(),
      drill,
    });
    if (!planning.ok) return refuse(planning.reason);
    const { plan } = planning;
    const planned: RestoreDrillResult = {
      ...emptyResult('dry-run', '', drillId, startedMs, drill),
      backup: plan.backup,
      restore: plan.restore.metadata.name,
      scratchNamespaces: plan.mapping,
      skippedNamespaces: plan.skippedNamespaces,
      plan,
    };
    if (options.dryRun) {
      return {
        ...planned,
        reason: `would restore ${plan.backup.name} into ${plan.mapping.map((m) => m.scratch).join(', ')}`,
      };
    }
    const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
    return await store.withLease(LEASE, `restore-drill-${drillId}`, LEASE_SECONDS, {
      onRefused: (heldBy, expiresAtMs) =>
        refuse(
          `another restore drill (${heldBy}) is running until ${new Date(expiresAtMs).toISOString()}`,
        ),
      work: async () => {
        const clock: Clock = {
          now: () => Date.now(),
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          pollMs: options.pollMs ?? 2_000,
        };
        const result = await act(plan, planned, cluster, side, clock, progress, options.onRestored);
        return record(config, store, result, options.trigger, startedMs);
      },
    });
  } finally {
    cluster.close();
  }
}

async function act(
  plan: RestoreDrillPlan,
  planned: RestoreDrillResult,
  cluster: VeleroCluster,
  bucket: BucketSide,
  clock: Clock,
  progress: (message: string) => void,
  onRestored: RestoreDrillOptions['onRestored'],
): Promise<RestoreDrillResult> {
  const result: RestoreDrillResult = { ...planned, outcome: 'failed', phases: [] };
  delete result.plan;
  const name = plan.restore.metadata.name;
  /** Runs one part, records when it ran and whether it got through; returns its duration. */
  const part = async <T>(phase: RestorePhaseName, work: () => Promise<T>): Promise<T> => {
    const startedAt = new Date().toISOString();
    const record = (ok: boolean) =>
      result.phases.push({ name: phase, ok, startedAt, endedAt: new Date().toISOString() });
    try {
      const value = await work();
      record(true);
      return value;
    } catch (error) {
      record(false);
      throw error;
    }
  };
  try {
    progress(`waiting for backup ${plan.backup.name} in ${plan.veleroNamespace}`);
    result.durations.backupSyncMs = await part('backup synced in the DR cluster', () =>
      waitForBackup(cluster, plan, clock),
    );
    const restoreStarted = clock.now();
    const judged = await part('restore', async () => {
      await cluster.createModifiers(plan.modifiers);
      await cluster.createRestore(plan.restore);
      progress(
        `Restore ${name}: ${plan.mapping.map((m) => `${m.source} → ${m.scratch}`).join(', ')}`,
      );
      try {
        const { status } = await waitForRestore(cluster, plan, clock);
        result.phase = status.phase ?? null;
        result.itemsRestored = status.progress?.itemsRestored ?? 0;
        result.totalItems = status.progress?.totalItems ?? 0;
        const lines = restoreResultLines(await readRestoreResults(bucket, name).catch(() => null));
        result.warnings = lines.warnings.length
          ? lines.warnings
          : countOnly(status.warnings, 'warning');
        result.errors = lines.errors.length ? lines.errors : countOnly(status.errors, 'error');
        const verdict = judgeRestore(status, plan.acceptPhases);
        if (!verdict.ok) throw new RestoreNotVerified(verdict.reason);
        return verdict;
      } finally {
        result.durations.restoreMs = clock.now() - restoreStarted;
        if (result.phase === null) {
          const seen = await cluster.restore(name).catch(() => null);
          result.phase = seen?.status?.phase ?? null;
        }
      }
    });
    progress(judged.reason);
    await onRestored?.(plan);
    progress('waiting for the restored Deployments to become Available');
    const available = await part('Deployments Available', () =>
      waitForDeployments(cluster, plan, clock, (last) => {
        result.deployments = last;
      }),
    );
    result.deployments = available.deployments;
    result.durations.deploymentsAvailableMs = available.waitedMs;
    result.outcome = 'verified';
    result.reason = `${plan.backup.name} restored into ${plan.mapping.map((m) => m.scratch).join(', ')}: ${result.itemsRestored} item(s), ${result.deployments.length} Deployment(s) Available`;
    return result;
  } catch (error) {
    // A deadline says what was awaited and what was seen last; a verdict says why not verified;
    // anything else is an API error.
    result.reason =
      error instanceof DeadlineError || error instanceof RestoreNotVerified
        ? error.message
        : `failed: ${(error as Error).message}`;
    return result;
  } finally {
    progress(
      `cleaning up: Restore ${name}, its modifier ConfigMap and ${plan.mapping.length} scratch namespace(s)`,
    );
    const cleanup = await part('cleanup', () => cleanUp(cluster, plan, bucket, clock));
    result.cleanup = cleanup;
    result.durations.cleanupMs = cleanup.waitedMs;
    const last = result.phases[result.phases.length - 1];
    if (last) last.ok = cleanup.ok;
    if (!cleanup.ok) {
      result.outcome = 'failed';
      result.reason = `${result.reason}; cleanup incomplete: ${cleanup.problems.join('; ')}`;
    }
  }
}

/** The Restore finished but does not count (its phase, or nothing restored). */
class RestoreNotVerified extends Error {
  override readonly name = 'RestoreNotVerified';
}

function countOnly(count: number | undefined, what: string): string[] {
  return count ? [`${count} ${what}(s) (Velero's results file was not readable)`] : [];
}

/** Records a verified restore, publishes the verified RPO aged to now, audits the run. */
async function record(
  config: DrpilotConfig,
  store: StateStore,
  result: RestoreDrillResult,
  trigger: string,
  startedMs: number,
): Promise<RestoreDrillResult> {
  const now = new Date().toISOString();
  let verified = await store.readValue<VerifiedRestores>(stateKeys.restoreVerified());
  if (result.outcome === 'verified' && result.backup) {
    verified = recordVerified(verified, {
      backup: result.backup.name,
      schedule: scheduleOf(result.backup.schedule),
      completionTimestamp: result.backup.completionTimestamp,
      verifiedAt: now,
      drillId: result.drillId,
    });
    await store.writeValue(stateKeys.restoreVerified(), verified);
  }
  const report = measureVerifiedRpo(verified, now);
  await publishVerifiedRpo(cloudWatchClient(config.controlRegion), report);
  result.verifiedRpo = report;
  result.durations.totalMs = Date.now() - startedMs;
  await store.appendAudit('restore-drill', {
    trigger,
    outcome: result.outcome,
    reason: result.reason,
    drillId: result.drillId,
    backup: result.backup?.name ?? null,
    restore: result.restore,
    phase: result.phase,
    itemsRestored: result.itemsRestored,
    warnings: result.warnings.slice(0, 20),
    errors: result.errors.slice(0, 20),
    cleanup: result.cleanup ? { ok: result.cleanup.ok, problems: result.cleanup.problems } : null,
    verifiedRpoSeconds: report.overall?.rpoSeconds ?? null,
  });
  return result;
}

/** The hourly tick: the verified RPO as recorded, aged to now, published (restores nothing). */
export async function publishVerifiedRecoveryPoint(
  config: DrpilotConfig,
): Promise<VerifiedRpoReport> {
  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  const report = measureVerifiedRpo(
    await store.readValue<VerifiedRestores>(stateKeys.restoreVerified()),
    new Date().toISOString(),
  );
  await publishVerifiedRpo(cloudWatchClient(config.controlRegion), report);
  return report;
}
