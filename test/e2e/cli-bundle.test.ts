/**
 * The bundle `npm run build:cli` makes (and `prepack` ships) is the same CLI as the sources: for
 * the same arguments it prints the same text and exits with the same code. Built into a folder of
 * its own, so the bin's dist/cli is left as it is.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY } from '../../cli/launch.mjs';
import { buildCli } from '../../scripts/build-cli';
import { EXAMPLE_CONFIG_PATH } from '../support/example-config';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

const run = promisify(execFile);
const moto = useMoto();
let dir: string;
let metafile: Metafile;
/** Building and starting processes take seconds each; minutes on a loaded machine. */
const SLOW_MACHINE_MS = 240_000;

/** The bundle's `main`, run as a process the way cli/drpilot.mjs runs it. */
async function bundled(args: string[]) {
  const entry = pathToFileURL(join(dir, 'dist', 'cli', CLI_ENTRY)).href;
  const script = `const { main } = await import(${JSON.stringify(entry)}); process.exitCode = await main(process.argv.slice(1));`;
  return run(process.execPath, ['--input-type=module', '-e', script, '--', ...args], {
    env: { ...process.env, DRPILOT_CONFIG: '', AWS_ENDPOINT_URL: moto.endpoint },
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drpilot-cli-bundle-'));
  ({ metafile } = await buildCli(join(dir, 'dist', 'cli')));
}, SLOW_MACHINE_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bundled CLI prints and exits as the sources do', () => {
  it.each([
    [['--version']],
    [['--help']],
    [['failover', '--help']],
    [['validate', '--config', EXAMPLE_CONFIG_PATH, '--json']],
    [['validate', '--config', join(tmpdir(), 'drpilot-no-such-config.json'), '--json']],
    [['resize', '--json']],
  ])(
    'drpilot %j',
    async (args) => {
      const [fromBundle, fromSources] = await Promise.all([bundled(args), runCli(args)]);
      expect(fromBundle).toEqual({ code: fromSources.code, stdout: fromSources.stdout });
    },
    SLOW_MACHINE_MS,
  );

  it(
    'failover --dry-run loads its checks on demand and reaches the same plan',
    async () => {
      const { configFile } = await seedExampleEstate();
      const args = [
        'failover',
        '--dry-run',
        '--reason',
        'bundle',
        '--config',
        configFile,
        '--json',
      ];
      const fromBundle = await bundled(args);
      const fromSources = await runCli(args);
      const plan = (stdout: string) => {
        const result = JSON.parse(stdout) as {
          outcome: string;
          checks: { name: string; ok: boolean }[];
        };
        return {
          outcome: result.outcome,
          checks: result.checks.map(({ name, ok }) => ({ name, ok })),
        };
      };
      expect(fromBundle.code).toBe(fromSources.code);
      expect(plan(fromBundle.stdout)).toEqual(plan(fromSources.stdout));
      // No endpoint serves TLS here: both refuse, after running every check.
      expect(plan(fromBundle.stdout).checks.map((c) => c.name)).toContain('tls-san');
    },
    SLOW_MACHINE_MS,
  );

  it("failover loads only the SDK clients whose commands it sends: no EC2, no older release's STS", () => {
    const failover = sdkClientsLoadedWith('lambdas/dns/run-switch.ts');
    for (const unused of ['ec2', 'auto-scaling', 'lambda', 'sfn', 'sts', 'sso', 'sso-oidc']) {
      expect(failover).not.toContain(unused);
    }
    expect(failover).toContain('route-53');
    // status reads node groups' instances (DescribeInstances): the check sees EC2 where it is used.
    expect(sdkClientsLoadedWith('lambdas/status/read-status.ts')).toContain('ec2');
  });
});

/**
 * The @aws-sdk/client-* packages (`ec2`, `route-53`, …) whose code loads with the chunk that
 * `import()` of `entryPoint` loads: that chunk and every chunk it imports statically.
 */
function sdkClientsLoadedWith(entryPoint: string): string[] {
  const outputs = metafile.outputs;
  const start = Object.keys(outputs).find((path) => outputs[path]?.entryPoint === entryPoint);
  if (!start) throw new Error(`no chunk of the CLI bundle starts at ${entryPoint}`);
  const chunks = new Set([start]);
  for (const chunk of chunks) {
    for (const imported of outputs[chunk]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) chunks.add(imported.path);
    }
  }
  const clients = new Set<string>();
  for (const chunk of chunks) {
    for (const input of Object.keys(outputs[chunk]?.inputs ?? {})) {
      // The package itself, or its tree-shakable copy (lib/shakable-sdk.ts).
      const packages =
        /(?:node_modules\/@aws-sdk\/|drpilot-shakable-sdk\/@aws-sdk\+)client-([^/@]+)[/@]/g;
      for (const [, name] of input.matchAll(packages)) {
        if (name) clients.add(name);
      }
    }
  }
  return [...clients].sort();
}
