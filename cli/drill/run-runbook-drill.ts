import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { drillRunbook, type RunbookInput } from '../../lambdas/core/drill/runbook';
import type { Resolver } from '../../lambdas/adapters/tls/tls-probe';
import type { EmulatedAws } from '../emulator/emulated-aws';
import { attachDrillAksSide, describeAksSide, type DrillAksSide } from './aks-steps';
import type { DrillEndpoints } from './dns-steps';
import type { DrillResult } from './drill-result';
import { serveEndpointsStep, startEstate } from './embedded-setup';
import { localInvoker } from './runbook-local-invoker';
import { runRunbook } from './runbook-runner';
import { StepRecorder } from './step-recorder';

export interface RunbookDrillOptions {
  config: DrpilotConfig;
  embedded: boolean;
  live: boolean;
  scaleUp: boolean;
  /** Against an estate: where the DNS function's TLS checks connect (`--connect-to`). */
  resolver?: Resolver;
  onProgress: (message: string) => void;
}

const RESTORE_NOT_EMULATED =
  'skipped: not emulated — a restore is proved by a real Velero server only (`drill restore --embedded --real-k8s`)';

/**
 * `drill runbook` in this process: the runbook of lambdas/core/drill/runbook.ts run step by step
 * through the functions' own handlers (runbook-runner.ts). Embedded, the setup (moto, the seeded
 * estate, both endpoints over TLS, the AKS side) comes first as setup steps, and the restore step
 * is left out of the runbook (reported as skipped in its place) since no Velero server runs here.
 */
export async function runRunbookDrill(options: RunbookDrillOptions): Promise<DrillResult> {
  const input: RunbookInput = { drill: !options.live, scaleUp: options.scaleUp };
  const result = (
    steps: DrillResult['steps'],
    run: Awaited<ReturnType<typeof runRunbook>> | null,
    aksSide: string | null,
  ): DrillResult => ({
    scenario: 'runbook',
    ok: run?.ok ?? false,
    emulated: options.embedded,
    steps: [...steps, ...(run?.steps ?? [])],
    rtoSeconds: run?.rtoSeconds ?? null,
    rpoSeconds: run?.rpoSeconds ?? null,
    kubernetesApi: null,
    aksSide,
    restore: null,
    undone: run?.undone ?? [],
  });

  if (!options.embedded) {
    const run = await runRunbook(
      drillRunbook(options.config),
      input,
      localInvoker(options.config, options.resolver),
      options.onProgress,
    );
    return result([], run, null);
  }

  const setup = new StepRecorder(options.onProgress);
  let emulated: EmulatedAws | undefined;
  let endpoints: DrillEndpoints | undefined;
  let aks: DrillAksSide | null = null;
  try {
    let config: DrpilotConfig;
    ({ emulated, config } = await startEstate(setup, options.config));
    ({ endpoints, config } = await serveEndpointsStep(setup, config));
    if (setup.ok) {
      ({ config, aks } = await attachDrillAksSide(setup, config, options.config.azure, {
        live: options.live,
        realKubernetes: false,
        onProgress: options.onProgress,
      }));
    }
    // Everything before the runbook prepares it (the AKS side's attach step included).
    const prepared = setup.steps.map((s) => ({ ...s, phase: 'setup' as const }));
    if (!setup.ok) return result(prepared, null, null);
    const withRestore = drillRunbook(config).map((s) => s.id);
    if (config.backups.restoreDrill) {
      config = { ...config, backups: { ...config.backups, restoreDrill: undefined } };
    }
    const run = await runRunbook(
      drillRunbook(config),
      input,
      localInvoker(config, endpoints?.resolver),
      options.onProgress,
    );
    const restoreAt = withRestore.indexOf('restore drill');
    const before = run.steps[restoreAt - 1];
    // In its place, once the run got there (the step before it passed).
    if (before && restoreAt > 0 && before.name === withRestore[restoreAt - 1] && before.ok) {
      const at = before.endedAt;
      run.steps.splice(restoreAt, 0, {
        name: 'restore drill',
        ok: true,
        skipped: true,
        startedAt: at,
        endedAt: at,
        detail: RESTORE_NOT_EMULATED,
      });
    }
    return result(prepared, run, aks ? describeAksSide(aks.functionApp) : null);
  } finally {
    await aks?.close();
    await endpoints?.close();
    await emulated?.close();
  }
}
