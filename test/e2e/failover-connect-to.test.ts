import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  serveClusterEndpoints,
  type ClusterEndpoints,
} from '../../cli/embedded/tls/cluster-endpoints';
import { createDrillCa } from '../../cli/embedded/tls/drill-certificates';
import { runResync } from '../../lambdas/resync/run-resync';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

let served: ClusterEndpoints | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

/** The example estate with both endpoints served over TLS by a drill CA the config trusts. */
async function estateWithEndpoints() {
  const estate = await seedExampleEstate();
  const ca = await createDrillCa();
  served = await serveClusterEndpoints(estate.config, ca);
  const config = JSON.parse(readFileSync(estate.configFile, 'utf8'));
  config.dns.checks.caBundle = ca.certPem;
  writeFileSync(estate.configFile, JSON.stringify(config));
  await runResync(
    { ...estate.config, dns: { ...estate.config.dns } },
    {
      dryRun: false,
      trigger: 'test',
    },
  );
  const connectTo = (['primary', 'dr'] as const).flatMap((side) => [
    '--connect-to',
    `${estate.config.clusters[side].endpoint}=127.0.0.1:${served!.endpoints[side].port}`,
  ]);
  return { configFile: estate.configFile, connectTo };
}

describe('drpilot failover --connect-to: the TLS check reaches endpoints this machine cannot resolve', () => {
  it('without it the TLS check cannot reach dr and the failover is refused; with it every check passes and the record moves', async () => {
    const { configFile, connectTo } = await estateWithEndpoints();

    const refused = await runCli(['failover', '--yes', '--config', configFile, '--json']);
    expect(refused.code).toBe(3);
    expect(refused.json().checks).toContainEqual(
      expect.objectContaining({ name: expect.stringMatching(/tls/i), ok: false }),
    );

    const run = await runCli(['failover', '--yes', '--config', configFile, '--json', ...connectTo]);
    expect(run.code, run.stdout).toBe(0);
    const result = run.json();
    expect(result).toMatchObject({ outcome: 'switched', to: 'dr' });
    expect(result.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(result.checks).toContainEqual(
      expect.objectContaining({ name: expect.stringMatching(/tls/i), ok: true }),
    );
  });

  it.each([
    ['dr.example.com', 'no address'],
    ['dr.example.com=127.0.0.1', 'no port'],
    ['dr.example.com=127.0.0.1:70000', 'port out of range'],
    ['not a name=127.0.0.1:443', 'bad name'],
  ])('refuses --connect-to %s (%s) as a usage error, touching nothing', async (mapping) => {
    const { configFile } = await estateWithEndpoints();
    const run = await runCli(['failover', '--config', configFile, '--connect-to', mapping]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--connect-to expects NAME=ADDRESS:PORT');
    const status = await runCli(['status', '--config', configFile, '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.json().dns.activeSide).toBe('primary');
  });
});
