/**
 * What the restore drill makes of what it reads back from the DR cluster: whether the backup has
 * been synced, whether the Restore is done and counts as verified, whether a Deployment is
 * Available, and Velero's warnings and errors as lines. Pure.
 */

/** Velero's Restore phases (pkg/apis/velero/v1/restore_types.go, v1.18). */
export const RESTORE_PHASES = [
  'New',
  'FailedValidation',
  'InProgress',
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
  'Completed',
  'PartiallyFailed',
  'Failed',
] as const;

/** Phases after which Velero does no more work on a Restore. */
export const FINAL_RESTORE_PHASES = ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'];

/** The parts of a velero.io/v1 Backup the drill reads in the DR cluster. */
export interface BackupObjectView {
  metadata: { name: string };
  status?: { phase?: string; completionTimestamp?: string };
}

/** The parts of a velero.io/v1 Restore's status the drill reads. */
export interface RestoreStatusView {
  phase?: string;
  warnings?: number;
  errors?: number;
  validationErrors?: string[];
  failureReason?: string;
  progress?: { itemsRestored?: number; totalItems?: number };
  startTimestamp?: string;
  completionTimestamp?: string;
}

/** The parts of an apps/v1 Deployment the drill reads. */
export interface DeploymentView {
  metadata: { name: string; namespace?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/**
 * The DR cluster holds the backup when Velero's sync made its Backup object with a final phase
 * (the sync copies `status` from the bucket's velero-backup.json; the drill only restores backups
 * the restorable rule accepted, so Completed or PartiallyFailed).
 */
export function backupSynced(backup: BackupObjectView | null): { synced: boolean; detail: string } {
  if (!backup) return { synced: false, detail: 'no Backup object yet' };
  const phase = backup.status?.phase;
  if (phase === 'Completed' || phase === 'PartiallyFailed') {
    return { synced: true, detail: `Backup ${backup.metadata.name} is ${phase}` };
  }
  return {
    synced: false,
    detail: `Backup ${backup.metadata.name} is ${phase ?? 'without a phase'}`,
  };
}

export function isFinalRestorePhase(phase: string | undefined): boolean {
  return phase !== undefined && FINAL_RESTORE_PHASES.includes(phase);
}

/** Whether a finished Restore counts, and why not. */
export function judgeRestore(
  status: RestoreStatusView,
  acceptPhases: readonly string[],
): { ok: boolean; reason: string } {
  const phase = status.phase ?? 'New';
  const restored = status.progress?.itemsRestored ?? 0;
  const total = status.progress?.totalItems ?? 0;
  const counts = `${restored} of ${total} item(s) restored, ${status.warnings ?? 0} warning(s), ${status.errors ?? 0} error(s)`;
  if (phase === 'FailedValidation') {
    return {
      ok: false,
      reason: `Velero refused the Restore (FailedValidation): ${(status.validationErrors ?? []).join('; ') || 'no reason given'}`,
    };
  }
  if (phase === 'Failed') {
    return {
      ok: false,
      reason: `the Restore failed: ${status.failureReason ?? 'no reason given'} (${counts})`,
    };
  }
  if (!acceptPhases.includes(phase)) {
    return {
      ok: false,
      reason: `the Restore ended ${phase}, which backups.restoreDrill.acceptPhases does not accept (${counts})`,
    };
  }
  if (restored === 0)
    return { ok: false, reason: `the Restore ended ${phase} having restored nothing` };
  return { ok: true, reason: `the Restore ended ${phase}: ${counts}` };
}

/**
 * Available as `kubectl rollout status` and the Deployment controller see it: the controller
 * observed the current generation, the `Available` condition is True, and every wanted replica
 * is available.
 */
export function deploymentAvailable(deployment: DeploymentView): {
  available: boolean;
  detail: string;
} {
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const available = status.availableReplicas ?? 0;
  const observed = (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
  const condition = (status.conditions ?? []).find((c) => c.type === 'Available');
  const name = `${deployment.metadata.namespace ?? ''}/${deployment.metadata.name}`;
  if (wanted === 0) return { available: true, detail: `${name}: 0 replicas wanted` };
  if (observed && condition?.status === 'True' && available >= wanted) {
    return { available: true, detail: `${name}: ${available}/${wanted} available` };
  }
  return {
    available: false,
    detail: `${name}: ${available}/${wanted} available${condition ? ` (Available=${condition.status}${condition.reason ? `, ${condition.reason}` : ''})` : ''}${observed ? '' : ', generation not observed yet'}`,
  };
}

/** `restores/<name>/restore-<name>-results.gz` as Velero writes it (pkg/util/results/result.go). */
interface ResultsJson {
  errors?: ResultJson;
  warnings?: ResultJson;
}
interface ResultJson {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

function lines(result: ResultJson | undefined): string[] {
  if (!result) return [];
  return [
    ...(result.velero ?? []).map((m) => `velero: ${m}`),
    ...(result.cluster ?? []).map((m) => `cluster: ${m}`),
    ...Object.entries(result.namespaces ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([ns, messages]) => messages.map((m) => `${ns}: ${m}`)),
  ];
}

/** Velero's warnings and errors of a restore, one line each, from its results file (unzipped). */
export function restoreResultLines(text: string | null): {
  warnings: string[];
  errors: string[];
} {
  if (!text) return { warnings: [], errors: [] };
  try {
    const results = JSON.parse(text) as ResultsJson;
    return { warnings: lines(results.warnings), errors: lines(results.errors) };
  } catch {
    return {
      warnings: [],
      errors: [`the restore's results file is not JSON: ${text.slice(0, 200)}`],
    };
  }
}
