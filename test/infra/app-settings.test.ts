import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatSettingsErrors,
  OFFLINE_PLACEHOLDER_ACCOUNT,
  resolveAppSettings,
} from '../../lib/app-settings';
import { configFileSystem } from '../../bin/config-file-system';
import { exampleConfig, EXAMPLE_CONFIG_PATH } from '../support/example-config';
import { REPO_ROOT } from './synth';
import { tempDir } from '../support/temp-dir';

function dirWith(files: Record<string, unknown>): string {
  const dir = tempDir('drpilot-settings-');
  for (const [name, doc] of Object.entries(files))
    writeFileSync(join(dir, name), JSON.stringify(doc));
  return dir;
}

const named = (name: string) => ({ ...exampleConfig(), name });

describe('resolveAppSettings', () => {
  it('looks for -c config, then $DRPILOT_CONFIG, then ./drpilot.config.json', () => {
    const cwd = dirWith({
      'context.json': named('fromcontext'),
      'env.json': named('fromenv'),
      'drpilot.config.json': named('fromcwd'),
    });
    const pick = (configContext: unknown, env: NodeJS.ProcessEnv) => {
      const settings = resolveAppSettings({ configContext, env, cwd, fs: configFileSystem });
      return settings.ok ? settings.config.name : settings.errors;
    };
    expect(pick('context.json', { DRPILOT_CONFIG: 'env.json' })).toBe('fromcontext');
    expect(pick(undefined, { DRPILOT_CONFIG: 'env.json' })).toBe('fromenv');
    expect(pick(undefined, {})).toBe('fromcwd');
  });

  it('fails with the path and message of each invalid field', () => {
    const doc = exampleConfig();
    doc.clusters.dr.region = 'mars-1';
    doc.controlRegion = 'eu-west-1';
    const cwd = dirWith({ 'drpilot.config.json': doc });
    const settings = resolveAppSettings({ env: {}, cwd, fs: configFileSystem });
    expect(settings.ok).toBe(false);
    if (settings.ok) return;
    const paths = settings.errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['clusters.dr.region', 'controlRegion']));
    const text = formatSettingsErrors(settings);
    expect(text).toContain('clusters.dr.region: expected an AWS region name');
    expect(text).toContain(join(cwd, 'drpilot.config.json'));
  });

  it('says where it looked when there is no config at all', () => {
    const settings = resolveAppSettings({ env: {}, cwd: dirWith({}), fs: configFileSystem });
    expect(settings.ok).toBe(false);
    if (!settings.ok) expect(settings.errors[0]?.message).toMatch(/no drpilot.config.json found/);
  });

  it('takes the account from -c account, then CDK_DEFAULT_ACCOUNT, else the placeholder', () => {
    const base = { configContext: EXAMPLE_CONFIG_PATH, cwd: REPO_ROOT, fs: configFileSystem };
    const account = (accountContext: unknown, env: NodeJS.ProcessEnv) => {
      const s = resolveAppSettings({ ...base, accountContext, env });
      return s.ok ? [s.account, s.accountSource] : s.errors[0]?.path;
    };
    expect(account('111122223333', { CDK_DEFAULT_ACCOUNT: '444455556666' })).toEqual([
      '111122223333',
      'context',
    ]);
    expect(account(undefined, { CDK_DEFAULT_ACCOUNT: '444455556666' })).toEqual([
      '444455556666',
      'environment',
    ]);
    expect(account(undefined, {})).toEqual([OFFLINE_PLACEHOLDER_ACCOUNT, 'placeholder']);
    expect(account('not-an-account', {})).toBe('(context) account');
  });
});

describe('bin/drpilot.ts', () => {
  it('exits 2 and prints each invalid field when the config is wrong', () => {
    const doc = exampleConfig();
    doc.dns.ttl = 1;
    const cwd = dirWith({ 'bad.json': doc });
    const run = spawnSync(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [join(REPO_ROOT, 'bin', 'drpilot.ts')],
      {
        cwd,
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_CONTEXT_JSON: JSON.stringify({ config: 'bad.json' }),
          CDK_OUTDIR: join(cwd, 'cdk.out'),
        },
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`cannot build the CDK app from ${join(cwd, 'bad.json')}`);
    expect(run.stderr).toMatch(/dns\.ttl: expected a TTL between 5 and 300 seconds/);
  });
});
