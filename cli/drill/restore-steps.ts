import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { runRestoreDrill, type RestoreDrillResult } from '../../lambdas/restore/run-restore';
import {
  startVeleroDrillWorld,
  veleroDrillAvailable,
  type VeleroDrillWorld,
} from '../embedded/velero-estate';
import type { ScratchSnapshot } from '../embedded/velero-workloads';
import type { RestoreFigures } from './drill-result';
import type { StepRecorder } from './step-recorder';

export interface RestoreDrillOptions {
  embedded: boolean;
  /** Embedded: the real Kubernetes world is wanted (`--real-k8s`). */
  realKubernetes: boolean;
  onProgress: (message: string) => void;
}

/** What the restore part of a drill has to work with once the setup ran. */
export type RestorePreparation =
  | { kind: 'embedded'; world: VeleroDrillWorld }
  | { kind: 'estate' }
  | { kind: 'skipped'; why: string };

const STEP =
  'restore drill: the newest restorable backup into scratch namespaces of the DR cluster';
const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

/**
 * Before the re-sync: what the restore drill will run against. Against a real estate, the DR
 * cluster of backups.restoreDrill. Embedded, only with `--real-k8s` and Velero set up (never built
 * here, so the default `npm run drill` stays fast): a real Kubernetes world in which the primary's
 * real Velero backs namespace `shop` up into the primary bucket — a setup step, not measured.
 * Otherwise the restore step is skipped, and says why.
 */
export async function prepareRestoreDrill(
  steps: StepRecorder,
  config: DrpilotConfig,
  options: RestoreDrillOptions,
): Promise<RestorePreparation> {
  if (!config.backups.restoreDrill) {
    return { kind: 'skipped', why: 'backups.restoreDrill is not configured' };
  }
  if (!options.embedded) return { kind: 'estate' };
  if (!options.realKubernetes) {
    return {
      kind: 'skipped',
      why: 'not emulated: a restore is proved by a real Velero server only; run the drill with --real-k8s after `npm run setup:k8s` and `npm run setup:velero`',
    };
  }
  const available = await veleroDrillAvailable();
  if (!available.ok) return { kind: 'skipped', why: `not set up: ${available.reason}` };
  let world: VeleroDrillWorld | undefined;
  await steps.run(
    "restore: a real Kubernetes world, and the primary's Velero backs up namespace shop",
    async () => {
      world = await startVeleroDrillWorld(config, available.velero, {
        s3Url: process.env['AWS_ENDPOINT_URL'] ?? '',
        onProgress: options.onProgress,
      });
      const status = world.backup.status;
      return `${world.description}: backup ${world.backup.name} of namespace shop ${status.phase}, ${status.progress?.itemsBackedUp ?? 0} item(s), into ${config.backups.buckets.primary.bucket}`;
    },
    { setup: true },
  );
  return world ? { kind: 'embedded', world } : { kind: 'skipped', why: 'the setup failed' };
}

/**
 * After the re-sync: the restore drill itself (lambdas/restore/run-restore.ts, as `drpilot
 * verify-restore` runs it), its parts as measured, and — embedded — what the scratch namespaces
 * held before the cleanup. Returns the restore's figures for the report.
 */
export async function runRestoreSteps(
  steps: StepRecorder,
  config: DrpilotConfig,
  prepared: RestorePreparation,
): Promise<RestoreFigures | null> {
  if (prepared.kind === 'skipped') {
    steps.skip(STEP, `skipped: ${prepared.why}`);
    return null;
  }
  const world = prepared.kind === 'embedded' ? prepared.world : null;
  try {
    if (world) {
      await steps.run(
        "restore: the DR cluster's Velero (ReadOnly location on the DR bucket) and drpilot's identity",
        () => world.startDr(),
        { setup: true },
      );
    }
    let result: RestoreDrillResult | undefined;
    let restored: ScratchSnapshot[] = [];
    await steps.run(STEP, async () => {
      result = await runRestoreDrill(config, {
        dryRun: false,
        trigger: 'drill',
        pollMs: world ? 250 : 2_000,
        ...(world
          ? {
              onRestored: async (plan) => {
                restored = await world.inspect(plan);
              },
            }
          : {}),
      });
      if (result.outcome !== 'verified') throw new Error(`${result.outcome}: ${result.reason}`);
      return describe(result);
    });
    if (result) recordRestorePhases(steps, result);
    if (world && result?.outcome === 'verified') {
      await steps.run('restore drill: what the scratch namespaces held', async () =>
        judgeSnapshot(restored),
      );
    }
    return result ? restoreFigures(result, world?.description ?? `Velero in the DR cluster`) : null;
  } finally {
    await world?.close();
  }
}

/** The restore drill's parts as it measured them, each a step (indented under the restore's). */
export function recordRestorePhases(steps: StepRecorder, result: RestoreDrillResult): void {
  for (const phase of result.phases) {
    steps.record({
      name: `  restore drill · ${phase.name}`,
      ok: phase.ok,
      startedAt: phase.startedAt,
      endedAt: phase.endedAt,
      detail: phaseDetail(phase.name, result),
    });
  }
}

function describe(result: RestoreDrillResult): string {
  const available = result.deployments.filter((d) => d.available).length;
  return `${result.backup?.name} → ${result.scratchNamespaces.map((m) => m.scratch).join(', ')}: ${result.phase}, ${result.itemsRestored} of ${result.totalItems} item(s) restored, ${result.warnings.length} warning(s), ${result.errors.length} error(s); ${available}/${result.deployments.length} Deployment(s) Available; cleaned up`;
}

function phaseDetail(name: string, result: RestoreDrillResult): string {
  const d = result.durations;
  switch (name) {
    case 'backup synced in the DR cluster':
      return `Velero's backup sync made Backup ${result.backup?.name} in ${result.veleroNamespace} (${seconds(d.backupSyncMs)})`;
    case 'restore':
      return `Restore ${result.restore}: ${result.phase ?? 'not final'}, ${result.itemsRestored ?? 0} item(s); ${[...result.warnings, ...result.errors].join('; ') || 'no warnings'}`;
    case 'Deployments Available':
      return result.deployments.map((x) => x.detail).join('; ') || 'no Deployments restored';
    default:
      return result.cleanup?.ok
        ? `Restore (and its files under restores/ in the bucket), modifier ConfigMap and ${result.scratchNamespaces.length} scratch namespace(s) removed`
        : `incomplete: ${result.cleanup?.problems.join('; ') ?? 'not run'}`;
  }
}

/** Ingresses and external-dns left out, the label on every restored object. */
function judgeSnapshot(snapshots: ScratchSnapshot[]): string {
  const problems: string[] = [];
  for (const s of snapshots) {
    if (s.ingresses.length)
      problems.push(`${s.namespace} holds Ingresses ${s.ingresses.join(', ')}`);
    if (s.deployments.includes('external-dns'))
      problems.push(`${s.namespace} holds external-dns's Deployment`);
    if (s.externalDnsAnnotated.length)
      problems.push(
        `${s.namespace}: external-dns annotations on ${s.externalDnsAnnotated.join(', ')}`,
      );
    if (s.labelled !== s.objects)
      problems.push(`${s.namespace}: ${s.objects - s.labelled} object(s) without the drill label`);
  }
  if (snapshots.length === 0) problems.push('nothing was inspected');
  if (problems.length) throw new Error(problems.join('; '));
  return snapshots
    .map(
      (s) =>
        `${s.namespace}: Deployments ${s.deployments.join(', ')}, ConfigMaps ${s.configMaps.join(', ')}, Services ${s.services.join(', ')} — every one labelled drpilot.io/drill; no Ingress, no external-dns, no external-dns annotation`,
    )
    .join('; ');
}

export function restoreFigures(result: RestoreDrillResult, velero: string): RestoreFigures {
  const available = result.deployments.filter((d) => d.available).length;
  return {
    verified: result.outcome === 'verified',
    backup: result.backup?.name ?? null,
    scratchNamespaces: result.scratchNamespaces.map((m) => m.scratch),
    phase: result.phase,
    itemsRestored: result.itemsRestored,
    totalItems: result.totalItems,
    warnings: result.warnings,
    errors: result.errors,
    deploymentsAvailable: `${available}/${result.deployments.length}`,
    durations: {
      backupSyncMs: result.durations.backupSyncMs,
      restoreMs: result.durations.restoreMs,
      deploymentsAvailableMs: result.durations.deploymentsAvailableMs,
      cleanupMs: result.durations.cleanupMs,
    },
    cleanedUp: result.cleanup?.ok ?? false,
    verifiedRpoSeconds: result.verifiedRpo?.overall?.rpoSeconds ?? null,
    velero,
  };
}
