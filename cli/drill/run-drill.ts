import { randomUUID } from 'node:crypto';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { seedEstate } from '../embedded/estate';
import type { DrillResult, DrillScenario } from './drill-result';
import { startEmulatedAws, type EmulatedAws } from '../emulator/emulated-aws';
import { runFoundationSteps } from './foundation-steps';
import { runDnsSteps } from './dns-steps';
import { runResizeSteps } from './resize-steps';
import { runResyncSteps } from './resync-steps';
import { StepRecorder } from './step-recorder';

interface Figures {
  rpoSeconds: number | null;
  rtoSeconds: number | null;
  kubernetesApi: string | null;
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
  const rpoSeconds = steps.ok ? await runResyncSteps(steps, config) : null;
  if (scenario === 'resync' || !steps.ok) {
    return { rpoSeconds, rtoSeconds: null, kubernetesApi: null };
  }
  const rtoSeconds = await runDnsSteps(steps, config, {
    embedded: options.embedded,
    live: options.live,
    withFailback: scenario !== 'failover',
  });
  const kubernetesApi = scenario === 'full' ? await resize() : null;
  return { rpoSeconds, rtoSeconds, kubernetesApi };
}

export interface DrillOptions {
  scenario: DrillScenario;
  config: DrpilotConfig;
  embedded: boolean;
  /** Flip the customer-facing record instead of dns.drillRecordName. */
  live: boolean;
  /** Embedded resize: drain through kube-apiserver + kwok instead of the fake Kubernetes API. */
  realKubernetes: boolean;
  onProgress: (message: string) => void;
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const steps = new StepRecorder(options.onProgress);
  const drillId = randomUUID();
  let figures: Figures = { rpoSeconds: null, rtoSeconds: null, kubernetesApi: null };

  if (options.embedded) {
    let emulated: EmulatedAws | undefined;
    try {
      let config = options.config;
      await steps.run('start emulated AWS (moto)', async () => {
        emulated = await startEmulatedAws();
        return `moto at ${emulated.endpoint}`;
      });
      await steps.run('seed the two-region estate', async () => {
        const estate = await seedEstate(options.config);
        config = estate.config;
        const nodeCount = Object.values(estate.nodes).flat().length;
        const phases = estate.backups.map((b) => `${b.side}:${b.phase}`).join(', ');
        return `zone ${config.dns.hostedZoneId} with ${config.dns.recordName} and ${config.dns.drillRecordName} on primary, 2 health checks and alarms, ${nodeCount} tagged nodes, Velero backups (${phases}) with a kopia repository, state table ${config.stateTable}`;
      });
      if (steps.ok) figures = await scenarioSteps(options, steps, config, drillId);
    } finally {
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
  };
}
