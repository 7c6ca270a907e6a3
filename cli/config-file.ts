import {
  closeSync,
  constants,
  existsSync,
  openSync,
  readSync,
  statSync,
  type Stats,
} from 'node:fs';
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
  const read = readConfigFile(file);
  if (!read.ok) return { ok: false, file, errors: [{ path: '(file)', message: read.message }] };
  return parseConfigText(read.text, file);
}

/** A config is a few KiB; the cap keeps a wrong path (a log, a disk image) from being read whole. */
export const CONFIG_MAX_BYTES = 1024 * 1024;

/**
 * Reads a config file, refusing by name what is not one: a directory, a device, a FIFO or a
 * socket (reading /dev/zero would never end), and a file over CONFIG_MAX_BYTES. The read itself
 * is bounded too, for files whose size stat does not tell (/proc).
 */
function readConfigFile(file: string): { ok: true; text: string } | { ok: false; message: string } {
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      message: `${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`}`,
    };
  }
  if (!stats.isFile()) return { ok: false, message: `${file} is ${kindOf(stats)}, not a file` };
  if (stats.size > CONFIG_MAX_BYTES) return { ok: false, message: tooLarge(file) };
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const buffer = Buffer.alloc(CONFIG_MAX_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > CONFIG_MAX_BYTES) return { ok: false, message: tooLarge(file) };
    return { ok: true, text: buffer.subarray(0, length).toString('utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, message: `${file} cannot be read (${code ?? String(error)})` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

const tooLarge = (file: string) =>
  `${file} is larger than ${CONFIG_MAX_BYTES / 1024 / 1024} MiB: not a drpilot config`;

export function parseConfigText(text: string, file: string): LoadedConfig {
  let document: unknown;
  try {
    // Editors on Windows save UTF-8 with a byte-order mark, which JSON.parse rejects invisibly.
    document = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
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
