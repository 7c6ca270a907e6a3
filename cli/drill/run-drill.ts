import { randomUUID } from 'node:crypto';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { seedEstate } from '../embedded/estate';
import type { DrillResult, DrillScenario } from './drill-result';
import { startEmulatedAws, type EmulatedAws } from '../emulator/emulated-aws';
import { runFoundationSteps } from './foundation-steps';
import { runResyncSteps } from './resync-steps';
import { StepRecorder } from './step-recorder';

/** Drill steps that later capabilities add; listed in every report until they land. */
export const PENDING_CAPABILITIES = [
  'failover and failback of dns.drillRecordName (DNS rotation)',
  'node group resize',
];

export const AVAILABLE_SCENARIOS: readonly DrillScenario[] = ['full', 'resync'];

/** The steps of a scenario after the estate exists; returns the RPO it measured, if any. */
async function scenarioSteps(
  scenario: DrillScenario,
  steps: StepRecorder,
  config: DrpilotConfig,
  drillId: string,
): Promise<number | null> {
  if (scenario === 'full') await runFoundationSteps(steps, config, drillId);
  return steps.ok ? runResyncSteps(steps, config) : null;
}

export interface DrillOptions {
  scenario: DrillScenario;
  config: DrpilotConfig;
  embedded: boolean;
  onProgress: (message: string) => void;
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const steps = new StepRecorder(options.onProgress);
  const drillId = randomUUID();
  let rpoSeconds: number | null = null;

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
      if (steps.ok) rpoSeconds = await scenarioSteps(options.scenario, steps, config, drillId);
    } finally {
      await emulated?.close();
    }
  } else {
    rpoSeconds = await scenarioSteps(options.scenario, steps, options.config, drillId);
  }

  return {
    scenario: options.scenario,
    ok: steps.ok,
    emulated: options.embedded,
    steps: steps.steps,
    rtoSeconds: null,
    rpoSeconds,
    pending: PENDING_CAPABILITIES,
  };
}
