import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { drillRunbook, type RunbookInput } from '../../lambdas/core/drill/runbook';
import type { RestoreDrillResult } from '../../lambdas/restore/run-restore';
import type { ResyncResult } from '../../lambdas/resync/run-resync';
import { dnsResolver, type Resolver } from '../../lambdas/adapters/tls/tls-probe';
import { runAksSteps, runAksSwitchStep, type DrillAksSide } from './aks-steps';
import { runRulesetSwitchStep, runTunnelFlapBothSidesSteps } from './aks-ruleset-steps';
import {
  cooldownRefusalStep,
  primaryFailsStep,
  primaryRecoversStep,
  verifyServesStep,
} from './dns-steps';
import type { RestoreFigures } from './drill-result';
import { runFoundationSteps } from './foundation-steps';
import { runResizeSteps } from './resize-steps';
import {
  recordRestorePhases,
  restoreFigures,
  runRestoreSteps,
  type RestorePreparation,
} from './restore-steps';
import { runResyncChecks } from './resync-steps';
import { localInvoker } from './runbook-local-invoker';
import { runRunbook, type RunbookExtras, type RunbookRun } from './runbook-runner';
import type { StepRecorder } from './step-recorder';

export interface FullDrillContext {
  /** The estate's config (embedded: the seeded one, pointed at the local endpoints). */
  config: DrpilotConfig;
  embedded: boolean;
  live: boolean;
  realKubernetes: boolean;
  drillId: string;
  /**
   * Where the DNS function and the cooldown check reach the endpoints' TLS: embedded, the local
   * endpoints; against an estate, `--connect-to`'s overrides (DNS without it).
   */
  resolver?: Resolver;
  aks: DrillAksSide | null;
  /** What the restore drill runs against (prepareRestoreDrill, before the runbook). */
  restore: RestorePreparation;
  onProgress: (message: string) => void;
}

export interface FullDrillRun extends RunbookRun {
  kubernetesApi: string | null;
  restore: RestoreFigures | null;
}

/**
 * `drill full`: the runbook of lambdas/core/drill/runbook.ts through the in-process runner and the
 * functions' own handlers (as `drill runbook` runs it), with what the runbook does not cover as
 * extra steps around its steps: the foundation checks before the preflight; after the re-sync, the
 * standby side's backups all restorable and a second re-sync copying nothing; embedded, the
 * primary's outage before the switch to dr, its recovery after; the record verified with the main
 * one untouched; while on dr the AKS side following the switch and a failback refused by the
 * cooldown; after the switch back the AKS side's checks, the tunnel flaps and the resize.
 *
 * The restore: against an estate, the runbook's own step (the restore function's handler), its
 * parts recorded from the answer. Embedded no restore function can reach a cluster, so the
 * runbook runs without that step and the restore drill (real Velero with `--real-k8s`, otherwise
 * skipped and saying why) runs in its place, right after the re-sync.
 */
export async function runFullDrill(context: FullDrillContext): Promise<FullDrillRun> {
  const { config, embedded, live, aks, restore } = context;
  let kubernetesApi: string | null = null;
  let figures: RestoreFigures | null = null;
  let failedOverAt = 0;
  let restoreConsumed = restore.kind !== 'embedded';
  const viaRunbook = restore.kind === 'estate';
  const runbookConfig: DrpilotConfig =
    !viaRunbook && config.backups.restoreDrill
      ? { ...config, backups: { ...config.backups, restoreDrill: undefined } }
      : config;

  const followSwitch = async (steps: StepRecorder, side: 'primary' | 'dr') => {
    if (!aks) return;
    const recordName = live ? config.dns.recordName : config.dns.drillRecordName;
    await runAksSwitchStep(steps, config, aks, { recordName, side });
    if (steps.ok) await runRulesetSwitchStep(steps, aks, side);
  };

  const extras: RunbookExtras = {
    before: {
      preflight: (steps) => runFoundationSteps(steps, config, context.drillId),
      'switch to dr': async (steps) => {
        if (embedded) await primaryFailsStep(steps, config);
      },
      'switch back to primary': async (steps) => {
        await followSwitch(steps, 'dr');
        if (embedded) await primaryRecoversStep(steps, config, failedOverAt);
        await cooldownRefusalStep(steps, config, {
          live,
          resolver: context.resolver ?? dnsResolver,
        });
      },
    },
    after: {
      're-sync': async (steps, answer) => {
        await runResyncChecks(steps, config, answer as ResyncResult, { withCopy: true });
        if (!viaRunbook && steps.ok) {
          restoreConsumed = true;
          figures = await runRestoreSteps(steps, config, restore);
        }
      },
      'restore drill': async (steps, answer) => {
        recordRestorePhases(steps, answer as RestoreDrillResult);
        figures = restoreFigures(answer as RestoreDrillResult, 'Velero in the DR cluster');
      },
      'switch to dr': async () => {
        failedOverAt = Date.now();
      },
      'verify DNS and TLS': (steps) => verifyServesStep(steps, config, { live, side: 'dr' }),
    },
    end: async (steps) => {
      await verifyServesStep(steps, config, { live, side: 'primary' });
      if (steps.ok) await followSwitch(steps, 'primary');
      if (aks && steps.ok) {
        const recordName = live ? config.dns.recordName : config.dns.drillRecordName;
        await runAksSteps(steps, config, aks, { recordName, sides: ['dr', 'primary'] });
        if (steps.ok) await runTunnelFlapBothSidesSteps(steps, config, aks, 'primary');
      }
      if (steps.ok) {
        kubernetesApi = await runResizeSteps(steps, config, {
          embedded,
          realKubernetes: context.realKubernetes,
          onProgress: context.onProgress,
        });
      }
    },
  };

  // `drill full` never scales up (`--scale-up` is a step of `drill runbook`).
  const input: RunbookInput = { drill: !live, scaleUp: false };
  try {
    const run = await runRunbook(
      drillRunbook(runbookConfig),
      input,
      localInvoker(config, context.resolver),
      context.onProgress,
      extras,
    );
    return { ...run, kubernetesApi, restore: figures };
  } finally {
    // A run stopped before the re-sync never reached the restore, which closes its world.
    if (!restoreConsumed && restore.kind === 'embedded') await restore.world.close();
  }
}
