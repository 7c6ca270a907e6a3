import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { validateConfig, type ConfigError } from '../lambdas/core/config/validate';

export const CONFIG_FILE_NAME = 'drpilot.config.json';

export type LoadedConfig =
  | { ok: true; file: string; config: DrpilotConfig }
  | { ok: false; file: string | null; errors: ConfigError[] };

/** The contract's lookup order: --config, then $DRPILOT_CONFIG, then the working directory. */
export function locateConfig(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): string | null {
  if (flag) return resolve(cwd, flag);
  if (env.DRPILOT_CONFIG) return resolve(cwd, env.DRPILOT_CONFIG);
  const inCwd = resolve(cwd, CONFIG_FILE_NAME);
  return existsSync(inCwd) ? inCwd : null;
}

export function loadConfig(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): LoadedConfig {
  const file = locateConfig(flag, env, cwd);
  if (!file) {
    return {
      ok: false,
      file: null,
      errors: [
        {
          path: '(file)',
          message: `no ${CONFIG_FILE_NAME} found: pass --config FILE, set DRPILOT_CONFIG or create one in ${cwd}`,
        },
      ],
    };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : String(error);
    return { ok: false, file, errors: [{ path: '(file)', message: `${file} ${reason}` }] };
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      file,
      errors: [
        { path: '(file)', message: `${file} is not valid JSON: ${(error as Error).message}` },
      ],
    };
  }
  const result = validateConfig(document);
  return result.ok
    ? { ok: true, file, config: result.config }
    : { ok: false, file, errors: result.errors };
}
