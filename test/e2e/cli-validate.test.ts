import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH, exampleConfig } from '../support/example-config';
import { runCli } from '../support/run-cli';
import { tempDir } from '../support/temp-dir';

const BIN = fileURLToPath(new URL('../../cli/drpilot.mjs', import.meta.url));

function writeConfig(
  document: unknown,
  name = 'drpilot.config.json',
): { dir: string; file: string } {
  const dir = tempDir('drpilot-validate-');
  const file = join(dir, name);
  writeFileSync(file, typeof document === 'string' ? document : JSON.stringify(document));
  return { dir, file };
}

describe('drpilot validate', () => {
  it('accepts the example config (exit 0, JSON per the contract)', async () => {
    const run = await runCli(['validate', '--config', EXAMPLE_CONFIG_PATH, '--json']);
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ ok: true, file: EXAMPLE_CONFIG_PATH, errors: [] });
  });

  it('prints a human-readable verdict by default', async () => {
    const config = exampleConfig();
    config.dns.ttl = 1;
    config.nodeGroups[0].cluster = 'nowhere';
    const { file } = writeConfig(config);
    const run = await runCli(['validate', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe(
      [
        `✗ ${file} has 1 error(s):`,
        '  dns.ttl: expected a TTL between 5 and 300 seconds (30–60 is recommended), got 1',
        '',
      ].join('\n'),
    );
  });

  it('exits 2 with every error named by path in --json', async () => {
    const config = exampleConfig();
    config.controlRegion = 'eu-west-1';
    config.stateTable = 7;
    const { file } = writeConfig(config);
    const run = await runCli(['validate', '--config', file, '--json']);
    expect(run.code).toBe(2);
    expect(run.json().errors).toEqual([
      {
        path: 'controlRegion',
        message:
          'must be us-east-1: Route 53 health-check metrics and the record-change API live there',
      },
      { path: 'stateTable', message: 'expected string, got 7' },
    ]);
  });

  it('reports a file that is not JSON', async () => {
    const { file } = writeConfig('{ "name": "acme", }');
    const run = await runCli(['validate', '--config', file, '--json']);
    expect(run.code).toBe(2);
    const [error] = run.json().errors;
    expect(error.path).toBe('(file)');
    expect(error.message).toMatch(new RegExp(`^${file} is not valid JSON: `));
  });

  it('reports a missing file', async () => {
    const run = await runCli([
      'validate',
      '--config',
      '/nonexistent/drpilot.config.json',
      '--json',
    ]);
    expect(run.code).toBe(2);
    expect(run.json().errors).toEqual([
      { path: '(file)', message: '/nonexistent/drpilot.config.json does not exist' },
    ]);
  });

  it('finds the config through $DRPILOT_CONFIG, then the working directory', async () => {
    const viaEnv = await runCli(['validate', '--json'], {
      env: { DRPILOT_CONFIG: EXAMPLE_CONFIG_PATH },
      cwd: tmpdir(),
    });
    expect(viaEnv.json()).toMatchObject({ ok: true, file: EXAMPLE_CONFIG_PATH });

    const { dir, file } = writeConfig(exampleConfig());
    const viaCwd = await runCli(['validate', '--json'], { env: {}, cwd: dir });
    expect(viaCwd.json()).toMatchObject({ ok: true, file });

    const empty = tempDir('drpilot-empty-');
    const none = await runCli(['validate', '--json'], { env: {}, cwd: empty });
    expect(none.code).toBe(2);
    expect(none.json().errors[0].message).toBe(
      `no drpilot.config.json found: pass --config FILE, set DRPILOT_CONFIG or create one in ${empty}`,
    );
  });

  it('--config wins over $DRPILOT_CONFIG', async () => {
    const config = exampleConfig();
    config.name = 'other';
    const { file } = writeConfig(config);
    const run = await runCli(['validate', '--config', file, '--json'], {
      env: { DRPILOT_CONFIG: EXAMPLE_CONFIG_PATH },
    });
    expect(run.json().file).toBe(file);
  });

  it('exits 2 on an unknown command or option, and on a bad --via', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['validate', '--bogus'])).code).toBe(2);
    const badVia = await runCli(['validate', '--via', 'ssh', '--json']);
    expect(badVia.code).toBe(2);
    expect(badVia.json().error.message).toMatch(/--via <mode>' argument 'ssh' is invalid/);
  });

  it('runs as the package bin from a fresh process', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, 'validate', '--config', EXAMPLE_CONFIG_PATH, '--json'],
      { env: { ...process.env, NODE_OPTIONS: '' } },
    );
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, errors: [] });
  });
});
