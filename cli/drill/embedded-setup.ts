import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { seedEstate } from '../embedded/estate';
import { startEmulatedAws, type EmulatedAws } from '../emulator/emulated-aws';
import { serveEndpoints, type DrillEndpoints } from './dns-steps';
import type { StepRecorder } from './step-recorder';

/**
 * Embedded: moto started and the two-region estate seeded in it, as setup steps. `emulated` is
 * set as soon as moto runs (the caller closes it, whatever failed after).
 */
export async function startEstate(
  steps: StepRecorder,
  initial: DrpilotConfig,
): Promise<{ emulated: EmulatedAws | undefined; config: DrpilotConfig }> {
  let emulated: EmulatedAws | undefined;
  let config = initial;
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
      const estate = await seedEstate(initial);
      config = estate.config;
      const nodeCount = Object.values(estate.nodes).flat().length;
      const phases = estate.backups.map((b) => `${b.side}:${b.phase}`).join(', ');
      return `zone ${config.dns.hostedZoneId} with ${config.dns.recordName} and ${config.dns.drillRecordName} on primary, 2 health checks and alarms, ${nodeCount} tagged nodes, Velero backups (${phases}) with a kopia repository, state table ${config.stateTable}`;
    },
    { setup: true },
  );
  return { emulated, config };
}

/**
 * Embedded: both endpoints served over TLS on 127.0.0.1 (dns-steps.ts serveEndpoints), as a setup
 * step; `config` then trusts the drill CA. `endpoints` is set once they serve (the caller closes).
 */
export async function serveEndpointsStep(
  steps: StepRecorder,
  initial: DrpilotConfig,
): Promise<{ endpoints: DrillEndpoints | undefined; config: DrpilotConfig }> {
  let endpoints: DrillEndpoints | undefined;
  let config = initial;
  await steps.run(
    'serve both endpoints over TLS with drill certificates',
    async () => {
      endpoints = await serveEndpoints(initial);
      config = endpoints.config;
      return `${initial.clusters.primary.endpoint} and ${initial.clusters.dr.endpoint} on 127.0.0.1, certificates from a drill CA covering ${initial.dns.recordName}`;
    },
    { setup: true },
  );
  return { endpoints, config };
}
