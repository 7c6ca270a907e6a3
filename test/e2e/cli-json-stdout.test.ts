/**
 * `--json` promises one JSON document on stdout, logs and progress on stderr — also when the
 * command runs handler code in-process (the drill calls the DNS function's handler, whose
 * Powertools logger writes to stdout in Lambda). Each command runs as a real process, the bin a
 * user runs, and its stdout must parse as exactly one JSON document.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useMoto } from '../support/moto';
import { seedExampleEstate } from '../support/seeded-estate';

const BIN = fileURLToPath(new URL('../../cli/drpilot.mjs', import.meta.url));
const run = promisify(execFile);
const moto = useMoto();

async function drpilot(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { stdout, stderr } = await run(process.execPath, [BIN, ...args, '--json'], {
    env: {
      ...process.env,
      ...env,
      // What a user's shell has: no test-runner silencing of the handlers' logs and metrics.
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_DISABLED: 'false',
    },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout: string; stderr: string; code: number }) => error);
  return { stdout, stderr, document: () => JSON.parse(stdout) as Record<string, unknown> };
}

describe('every command keeps stdout to its one JSON document', () => {
  it('validate, status, failover/failback/resync/resize dry runs, against a seeded estate', async () => {
    const { configFile } = await seedExampleEstate();
    const against = { AWS_ENDPOINT_URL: moto.endpoint };
    for (const args of [
      ['validate'],
      ['status'],
      ['failover', '--dry-run', '--reason', 'stdout check'],
      ['failback', '--dry-run'],
      ['resync', '--dry-run'],
      ['resize', 'primary-workers', '--dry-run', '--step', 'up'],
      ['resize', 'primary-workers', '--to', 'm6i.huge'],
    ]) {
      const result = await drpilot([...args, '--config', configFile], against);
      expect(() => result.document(), `${args.join(' ')}: ${result.stdout}`).not.toThrow();
    }
  }, 300_000);

  it('drill failover --embedded runs the DNS handler in-process: its log lines go to stderr', async () => {
    const result = await drpilot(['drill', 'failover', '--embedded']);
    expect(result.document()).toMatchObject({ scenario: 'failover', ok: true, emulated: true });
    expect(result.stderr).toMatch(/"service":"dns"/);
  }, 180_000);
});
