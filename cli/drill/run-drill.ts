import { randomUUID } from 'node:crypto';
import type { Resolver } from '../../lambdas/adapters/tls/tls-probe';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import type { DrillResult, DrillScenario, RestoreFigures } from './drill-result';
import type { EmulatedAws } from '../emulator/emulated-aws';
import {
  attachDrillAksSide,
  describeAksSide,
  runAksSteps,
  runAksSwitchStep,
  type DrillAksSide,
} from './aks-steps';
import { runRulesetSwitchStep, runTunnelFlapBothSidesSteps } from './aks-ruleset-steps';
import { runDnsSteps, type DrillEndpoints } from './dns-steps';
import { serveEndpointsStep, startEstate } from './embedded-setup';
import { runFullDrill, type FullDrillRun } from './full-drill';
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
 * The steps of a scenario (all but `full`, which runs the runbook: full-drill.ts) once the estate
 * exists. Every DNS scenario re-syncs first: the switch checks that the target side holds a fresh
 * restorable backup. The resize stands on its own.
 */
async function scenarioSteps(
  options: DrillOptions,
  steps: StepRecorder,
  config: DrpilotConfig,
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
  // The restore drill restores what the re-sync copied: its setup (a primary Velero's backup, when
  // embedded) comes before the re-sync, the restore after it.
  const withRestore = scenario === 'restore';
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
    ...(options.resolver ? { resolver: options.resolver } : {}),
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
  return { rpoSeconds, rtoSeconds, kubernetesApi: null, restore };
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
  /**
   * Against an estate: where the TLS checks connect for an endpoint name (`--connect-to`);
   * embedded, the drill serves the endpoints itself.
   */
  resolver?: Resolver;
  onProgress: (message: string) => void;
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  if (options.scenario === 'full') return runFull(options);
  const steps = new StepRecorder(options.onProgress);
  let figures: Figures = { rpoSeconds: null, rtoSeconds: null, kubernetesApi: null };
  let aksSide: string | null = null;

  if (options.embedded) {
    let emulated: EmulatedAws | undefined;
    let aks: DrillAksSide | null = null;
    try {
      let config: DrpilotConfig;
      ({ emulated, config } = await startEstate(steps, options.config));
      if (steps.ok && !['resize', 'resync', 'restore'].includes(options.scenario)) {
        ({ config, aks } = await attachDrillAksSide(steps, config, options.config.azure, {
          live: options.live,
          realKubernetes: options.realKubernetes,
          onProgress: options.onProgress,
        }));
        aksSide = aks ? describeAksSide(aks.functionApp) : null;
      }
      if (steps.ok) figures = await scenarioSteps(options, steps, config, aks);
    } finally {
      await aks?.close();
      await emulated?.close();
    }
  } else {
    figures = await scenarioSteps(options, steps, options.config);
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

/**
 * `drill full`: embedded, the setup (moto, the seeded estate, both endpoints over TLS, the AKS
 * side, the restore's Velero world with `--real-k8s`) as setup steps, then the runbook with the
 * drill's extra checks around it (full-drill.ts); against an estate, the same without the setup.
 */
async function runFull(options: DrillOptions): Promise<DrillResult> {
  const setup = new StepRecorder(options.onProgress);
  let emulated: EmulatedAws | undefined;
  let endpoints: DrillEndpoints | undefined;
  let aks: DrillAksSide | null = null;
  let run: FullDrillRun | null = null;
  try {
    let config = options.config;
    if (options.embedded) {
      ({ emulated, config } = await startEstate(setup, options.config));
      ({ endpoints, config } = await serveEndpointsStep(setup, config));
      if (setup.ok) {
        ({ config, aks } = await attachDrillAksSide(setup, config, options.config.azure, {
          live: options.live,
          realKubernetes: options.realKubernetes,
          onProgress: options.onProgress,
        }));
      }
    }
    const restore = setup.ok ? await prepareRestoreDrill(setup, config, options) : null;
    const resolver = endpoints?.resolver ?? options.resolver;
    if (setup.ok && restore) {
      run = await runFullDrill({
        config,
        embedded: options.embedded,
        live: options.live,
        realKubernetes: options.realKubernetes,
        drillId: randomUUID(),
        ...(resolver ? { resolver } : {}),
        aks,
        restore,
        onProgress: options.onProgress,
      });
    }
    return {
      scenario: 'full',
      ok: setup.ok && (run?.ok ?? false),
      emulated: options.embedded,
      // Everything before the runbook prepares it (the AKS side's attach step included).
      steps: [
        ...setup.steps.map((s) => ({ ...s, phase: 'setup' as const })),
        ...(run?.steps ?? []),
      ],
      rtoSeconds: run?.rtoSeconds ?? null,
      rpoSeconds: run?.rpoSeconds ?? null,
      kubernetesApi: run?.kubernetesApi ?? null,
      aksSide: aks ? describeAksSide(aks.functionApp) : null,
      restore: run?.restore ?? null,
      undone: run?.undone ?? [],
    };
  } finally {
    await aks?.close();
    await endpoints?.close();
    await emulated?.close();
  }
}
