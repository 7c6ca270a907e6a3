import { randomUUID } from 'node:crypto';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { seedEstate } from '../embedded/estate';
import type { DrillResult, DrillScenario, RestoreFigures } from './drill-result';
import { startEmulatedAws, type EmulatedAws } from '../emulator/emulated-aws';
import { runFoundationSteps } from './foundation-steps';
import {
  attachDrillAksSide,
  describeAksSide,
  runAksSteps,
  runAksSwitchStep,
  type DrillAksSide,
} from './aks-steps';
import { runRulesetSwitchStep, runTunnelFlapBothSidesSteps } from './aks-ruleset-steps';
import { runDnsSteps } from './dns-steps';
import { runResizeSteps } from './resize-steps';
import { prepareRestoreDrill, runRestoreSteps } from './restore-steps';
import { runResyncSteps } from './resync-steps';
import { StepRecorder } from './step-recorder';

interface Figures {
  rpoSeconds: number | null;
  rtoSeconds: number | null;
  kubernetesApi: string | null;
  restore?: RestoreFigures | null;
}

/**
 * The steps of a scenario once the estate exists. Every DNS scenario re-syncs first: the switch
 * checks that the target side holds a fresh restorable backup. The resize stands on its own.
 */
async function scenarioSteps(
  options: DrillOptions,
  steps: StepRecorder,
  config: DrpilotConfig,
  drillId: string,
  aks: DrillAksSide | null = null,
): Promise<Figures> {
  const { scenario } = options;
  const resize = () =>
    runResizeSteps(steps, config, {
      embedded: options.embedded,
      realKubernetes: options.realKubernetes,
      onProgress: options.onProgress,
    });
  if (scenario === 'resize') {
    return { rpoSeconds: null, rtoSeconds: null, kubernetesApi: await resize() };
  }
  if (scenario === 'full') await runFoundationSteps(steps, config, drillId);
  // The restore drill restores what the re-sync copied: its setup (a primary Velero's backup, when
  // embedded) comes before the re-sync, the restore after it.
  const withRestore = scenario === 'full' || scenario === 'restore';
  const restoreSetup =
    withRestore && steps.ok ? await prepareRestoreDrill(steps, config, options) : null;
  const rpoSeconds = steps.ok ? await runResyncSteps(steps, config) : null;
  const restore = restoreSetup ? await runRestoreSteps(steps, config, restoreSetup) : null;
  if (scenario === 'resync' || scenario === 'restore' || !steps.ok) {
    return { rpoSeconds, rtoSeconds: null, kubernetesApi: null, restore };
  }
  const rtoSeconds = await runDnsSteps(steps, config, {
    embedded: options.embedded,
    live: options.live,
    withFailback: scenario !== 'failover',
    ...(aks
      ? {
          afterSwitch: async (side: 'primary' | 'dr') => {
            await runAksSwitchStep(steps, config, aks, {
              recordName: options.live ? config.dns.recordName : config.dns.drillRecordName,
              side,
            });
            if (steps.ok) await runRulesetSwitchStep(steps, aks, side);
          },
        }
      : {}),
  });
  if (aks && steps.ok) {
    const sides: ('primary' | 'dr')[] = scenario === 'failover' ? ['dr'] : ['dr', 'primary'];
    await runAksSteps(steps, config, aks, {
      recordName: options.live ? config.dns.recordName : config.dns.drillRecordName,
      sides,
    });
    if (steps.ok) await runTunnelFlapBothSidesSteps(steps, config, aks, sides.at(-1) ?? 'dr');
  }
  const kubernetesApi = scenario === 'full' ? await resize() : null;
  return { rpoSeconds, rtoSeconds, kubernetesApi, restore };
}

export interface DrillOptions {
  scenario: DrillScenario;
  config: DrpilotConfig;
  embedded: boolean;
  /** Flip the customer-facing record instead of dns.drillRecordName. */
  live: boolean;
  /**
   * Embedded: drain through kube-apiserver + kwok instead of the fake Kubernetes API, and run the
   * restore drill with real Velero servers (when Velero is set up) instead of skipping it.
   */
  realKubernetes: boolean;
  onProgress: (message: string) => void;
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const steps = new StepRecorder(options.onProgress);
  const drillId = randomUUID();
  let figures: Figures = { rpoSeconds: null, rtoSeconds: null, kubernetesApi: null };
  let aksSide: string | null = null;

  if (options.embedded) {
    let emulated: EmulatedAws | undefined;
    let aks: DrillAksSide | null = null;
    try {
      let config = options.config;
      await steps.run(
        'start emulated AWS (moto)',
        async () => {
          emulated = await startEmulatedAws();
          return `moto at ${emulated.endpoint}`;
        },
        { setup: true },
      );
      await steps.run(
        'seed the two-region estate',
        async () => {
          const estate = await seedEstate(options.config);
          config = estate.config;
          const nodeCount = Object.values(estate.nodes).flat().length;
          const phases = estate.backups.map((b) => `${b.side}:${b.phase}`).join(', ');
          return `zone ${config.dns.hostedZoneId} with ${config.dns.recordName} and ${config.dns.drillRecordName} on primary, 2 health checks and alarms, ${nodeCount} tagged nodes, Velero backups (${phases}) with a kopia repository, state table ${config.stateTable}`;
        },
        { setup: true },
      );
      if (steps.ok && !['resize', 'resync', 'restore'].includes(options.scenario)) {
        ({ config, aks } = await attachDrillAksSide(steps, config, options.config.azure, {
          live: options.live,
          realKubernetes: options.realKubernetes,
          onProgress: options.onProgress,
        }));
        aksSide = aks ? describeAksSide(aks.functionApp) : null;
      }
      if (steps.ok) figures = await scenarioSteps(options, steps, config, drillId, aks);
    } finally {
      await aks?.close();
      await emulated?.close();
    }
  } else {
    figures = await scenarioSteps(options, steps, options.config, drillId);
  }

  return {
    scenario: options.scenario,
    ok: steps.ok,
    emulated: options.embedded,
    steps: steps.steps,
    rtoSeconds: figures.rtoSeconds,
    rpoSeconds: figures.rpoSeconds,
    kubernetesApi: figures.kubernetesApi,
    aksSide,
    restore: figures.restore ?? null,
  };
}
