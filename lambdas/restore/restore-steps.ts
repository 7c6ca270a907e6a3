/**
 * The restore drill's actions in the DR cluster, each bounded by the plan's deadline: wait for the
 * backup to be synced, create the modifier ConfigMap and the Restore, wait for the Restore to
 * finish, wait for the restored Deployments to become Available — and the cleanup that always
 * runs after them. What the answers mean is decided in lambdas/core/restore/.
 */
import type { VeleroCluster, RestoreObjectView } from '../adapters/kubernetes/velero-cluster';
import { restoreObjects } from '../adapters/aws/velero-restore-files';
import type { BucketSide } from '../adapters/aws/velero-bucket';
import type { RestoreDrillPlan } from '../core/restore/plan-restore';
import {
  backupSynced,
  deploymentAvailable,
  isFinalRestorePhase,
  type RestoreStatusView,
} from '../core/restore/restore-outcome';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** How often the cluster is asked again while waiting. */
  pollMs: number;
}

/** A wait ended at its deadline; the message says what was awaited and what was seen last. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * Asks `probe` until it answers `done`, at most `deadlineMs`; at the deadline throws a
 * DeadlineError naming `what` and the last answer's detail. Errors of a probe count as answers.
 */
export async function waitUntil<T>(
  clock: Clock,
  what: string,
  deadlineMs: number,
  probe: () => Promise<{ done: boolean; detail: string; value?: T }>,
): Promise<{ value: T | undefined; waitedMs: number }> {
  const started = clock.now();
  let last: string;
  for (;;) {
    try {
      const answer = await probe();
      if (answer.done) return { value: answer.value, waitedMs: clock.now() - started };
      last = answer.detail;
    } catch (error) {
      last = `error: ${(error as Error).message}`;
    }
    const waited = clock.now() - started;
    if (waited >= deadlineMs) {
      throw new DeadlineError(`${what}: not within ${seconds(deadlineMs)} (last seen: ${last})`);
    }
    await clock.sleep(Math.min(clock.pollMs, Math.max(0, deadlineMs - waited)));
  }
}

export async function waitForBackup(
  cluster: VeleroCluster,
  plan: RestoreDrillPlan,
  clock: Clock,
): Promise<number> {
  const { waitedMs } = await waitUntil(
    clock,
    `backup ${plan.backup.name} to appear in the DR cluster (namespace ${plan.veleroNamespace}; Velero's backup sync runs at most once a minute)`,
    plan.deadlines.backupSyncMs,
    async () => {
      const seen = backupSynced(await cluster.backup(plan.backup.name));
      return { done: seen.synced, detail: seen.detail };
    },
  );
  return waitedMs;
}

export async function waitForRestore(
  cluster: VeleroCluster,
  plan: RestoreDrillPlan,
  clock: Clock,
): Promise<{ status: RestoreStatusView; waitedMs: number }> {
  const name = plan.restore.metadata.name;
  const { value, waitedMs } = await waitUntil<RestoreStatusView>(
    clock,
    `Restore ${name} to finish`,
    plan.deadlines.restoreMs,
    async () => {
      const restore: RestoreObjectView | null = await cluster.restore(name);
      if (!restore) return { done: false, detail: 'the Restore object is gone' };
      const status = restore.status ?? {};
      const progress = status.progress
        ? `, ${status.progress.itemsRestored ?? 0} of ${status.progress.totalItems ?? 0} item(s) restored`
        : '';
      return {
        done: isFinalRestorePhase(status.phase),
        detail: `phase ${status.phase ?? 'New (not picked up by Velero)'}${progress}`,
        value: status,
      };
    },
  );
  return { status: value ?? {}, waitedMs };
}

export interface DeploymentReport {
  namespace: string;
  name: string;
  available: boolean;
  detail: string;
}

/** Waits until every Deployment in the scratch namespaces is Available; returns the last view. */
export async function waitForDeployments(
  cluster: VeleroCluster,
  plan: RestoreDrillPlan,
  clock: Clock,
  onLast: (deployments: DeploymentReport[]) => void,
): Promise<{ deployments: DeploymentReport[]; waitedMs: number }> {
  const { value, waitedMs } = await waitUntil<DeploymentReport[]>(
    clock,
    'the restored Deployments to become Available',
    plan.deadlines.deploymentsAvailableMs,
    async () => {
      const reports: DeploymentReport[] = [];
      for (const { scratch } of plan.mapping) {
        for (const deployment of await cluster.deployments(scratch)) {
          const seen = deploymentAvailable(deployment);
          reports.push({
            namespace: scratch,
            name: deployment.metadata.name,
            available: seen.available,
            detail: seen.detail,
          });
        }
      }
      onLast(reports);
      const waiting = reports.filter((r) => !r.available);
      return {
        done: waiting.length === 0,
        detail: waiting.map((r) => r.detail).join('; '),
        value: reports,
      };
    },
  );
  return { deployments: value ?? [], waitedMs };
}

export type Removal = 'deleted' | 'gone' | 'still there' | `failed: ${string}`;

export interface CleanupReport {
  ok: boolean;
  restore: Removal;
  modifiers: Removal;
  namespaces: { name: string; outcome: Removal }[];
  /** Keys Velero left under `restores/<name>/` in the DR bucket after the Restore went. */
  bucketObjectsLeft: string[];
  problems: string[];
  waitedMs: number;
}

async function removeAndWait(
  what: string,
  remove: () => Promise<'deleted' | 'gone'>,
  exists: () => Promise<unknown>,
  clock: Clock,
  deadlineAt: number,
): Promise<Removal> {
  let first: 'deleted' | 'gone';
  try {
    first = await remove();
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
  if (first === 'gone') return 'gone';
  try {
    await waitUntil(
      clock,
      `${what} to be gone`,
      Math.max(0, deadlineAt - clock.now()),
      async () => {
        const still = await exists();
        return { done: still === null, detail: 'still there' };
      },
    );
    return 'deleted';
  } catch (error) {
    return error instanceof DeadlineError ? 'still there' : `failed: ${(error as Error).message}`;
  }
}

/**
 * Removes everything the drill made, whatever happened before, waiting for each to be gone until
 * the cleanup deadline; never throws. The order matters when the Restore is not final (the drill
 * gave up on it):
 * 1. the scratch namespaces — a Restore waiting in `Finalizing` for post-restore exec hooks stops
 *    waiting once their pods are gone (Velero's hook watch ends on the pod's deletion), and writes
 *    its results into the bucket;
 * 2. until the Restore is final (half of what is left of the deadline at most): deleting a Restore
 *    does not stop Velero's work on it, which would write `restores/<name>/` again after the files
 *    were deleted (measured with v1.18.3), or recreate a namespace it is still restoring into;
 * 3. the namespaces again, if Velero put one back meanwhile;
 * 4. the Restore, through Velero: its finalizer deletes `restores/<name>/` from the bucket (a
 *    restore writes there even when the location is ReadOnly);
 * 5. the modifier ConfigMap; then the bucket is checked.
 */
export async function cleanUp(
  cluster: VeleroCluster,
  plan: RestoreDrillPlan,
  bucket: BucketSide,
  clock: Clock,
): Promise<CleanupReport> {
  const started = clock.now();
  const deadlineAt = started + plan.deadlines.cleanupMs;
  const restoreName = plan.restore.metadata.name;
  const configMap = plan.modifiers.metadata.name;
  const removeNamespaces = () =>
    Promise.all(
      plan.mapping.map(({ scratch }) =>
        removeAndWait(
          `namespace ${scratch}`,
          () => cluster.deleteNamespace(scratch),
          () => cluster.namespace(scratch),
          clock,
          deadlineAt,
        ),
      ),
    );
  let namespaces = await removeNamespaces();
  try {
    await waitUntil(
      clock,
      `Restore ${restoreName} to settle`,
      Math.max(0, (deadlineAt - clock.now()) / 2),
      async () => {
        const restore = await cluster.restore(restoreName);
        return {
          done: restore === null || isFinalRestorePhase(restore.status?.phase),
          detail: `phase ${restore?.status?.phase ?? 'New'}`,
        };
      },
    );
  } catch {
    // Not final in time: it is deleted anyway, and what it still writes is reported below.
  }
  const back = await Promise.all(
    plan.mapping.map(
      async ({ scratch }) => (await cluster.namespace(scratch).catch(() => null)) !== null,
    ),
  );
  if (back.some(Boolean)) {
    const again = await removeNamespaces();
    namespaces = namespaces.map((first, i) => (back[i] ? (again[i] ?? first) : first));
  }
  const restore = await removeAndWait(
    `Restore ${restoreName}`,
    () => cluster.deleteRestore(restoreName),
    () => cluster.restore(restoreName),
    clock,
    deadlineAt,
  );
  const modifiers = await removeAndWait(
    `ConfigMap ${configMap}`,
    () => cluster.deleteModifiers(configMap),
    () => cluster.modifiers(configMap),
    clock,
    deadlineAt,
  );
  let bucketObjectsLeft: string[] = [];
  const problems: string[] = [];
  try {
    bucketObjectsLeft = await restoreObjects(bucket, restoreName);
  } catch (error) {
    problems.push(
      `could not list restores/${restoreName}/ in ${bucket.bucket}: ${(error as Error).message}`,
    );
  }
  const removal = (what: string, outcome: Removal | undefined) => {
    if (outcome && outcome !== 'deleted' && outcome !== 'gone')
      problems.push(`${what}: ${outcome}`);
  };
  removal(`Restore ${plan.veleroNamespace}/${restoreName}`, restore);
  removal(`ConfigMap ${plan.veleroNamespace}/${configMap}`, modifiers);
  plan.mapping.forEach(({ scratch }, i) => removal(`namespace ${scratch}`, namespaces[i]));
  if (bucketObjectsLeft.length > 0) {
    problems.push(
      `${bucketObjectsLeft.length} object(s) left under ${bucket.prefix}restores/${restoreName}/ in ${bucket.bucket}`,
    );
  }
  return {
    ok: problems.length === 0,
    restore,
    modifiers,
    namespaces: plan.mapping.map(({ scratch }, i) => ({
      name: scratch,
      outcome: namespaces[i] ?? 'gone',
    })),
    bucketObjectsLeft,
    problems,
    waitedMs: clock.now() - started,
  };
}
