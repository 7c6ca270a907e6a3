/**
 * Finding and reading drpilot.config.json, as rules over what a file system answers: the CLI and
 * the CDK app each pass their own small reader (the only I/O), so both find the same file, refuse
 * the same things and report the same errors.
 */
import { resolve } from 'node:path';
import type { DrpilotConfig } from './schema';
import { validateConfig, type ConfigError } from './validate';

export const CONFIG_FILE_NAME = 'drpilot.config.json';

/** A config is a few KiB; the cap keeps a wrong path (a log, a disk image) from being read whole. */
export const CONFIG_MAX_BYTES = 1024 * 1024;

export type LoadedConfig =
  | { ok: true; file: string; config: DrpilotConfig }
  | { ok: false; file: string | null; errors: ConfigError[] };

export type FileKind =
  'file' | 'directory' | 'character device' | 'block device' | 'named pipe' | 'socket' | 'other';

/** The kind of a path from what `fs.stat` answers (node:fs Stats has these predicates). */
export function fileKindOf(stats: {
  isFile(): boolean;
  isDirectory(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}): FileKind {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isFIFO()) return 'named pipe';
  if (stats.isSocket()) return 'socket';
  return 'other';
}

/** Why a path could not be read, from a Node.js error's code. */
export function describeFileError(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`;
}

/** What a reader can tell about a path, and how it reads one. */
export interface ConfigFileSystem {
  exists(path: string): boolean;
  /** The path's kind and size, or why it could not be looked at (ENOENT → "does not exist"). */
  stat(path: string): { kind: FileKind; size: number } | { error: string };
  /** At most `maxBytes + 1` bytes of a regular file as UTF-8, or why not. */
  read(path: string, maxBytes: number): { text: string } | { error: string };
}

/** The contract's lookup order: --config, then $DRPILOT_CONFIG, then the working directory. */
export function locateConfig(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
  fs: Pick<ConfigFileSystem, 'exists'>,
): string | null {
  if (flag) return resolve(cwd, flag);
  if (env.DRPILOT_CONFIG) return resolve(cwd, env.DRPILOT_CONFIG);
  const inCwd = resolve(cwd, CONFIG_FILE_NAME);
  return fs.exists(inCwd) ? inCwd : null;
}

/**
 * Finds, reads and validates the config. Refuses by name what is not a config file: a directory,
 * a device (reading /dev/zero would never end), a FIFO or a socket, and anything over
 * CONFIG_MAX_BYTES.
 */
export function loadConfig(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
  fs: ConfigFileSystem,
): LoadedConfig {
  const file = locateConfig(flag, env, cwd, fs);
  if (!file) {
    return fileError(
      null,
      `no ${CONFIG_FILE_NAME} found: pass --config FILE, set DRPILOT_CONFIG or create one in ${cwd}`,
    );
  }
  const stat = fs.stat(file);
  if ('error' in stat) return fileError(file, `${file} ${stat.error}`);
  if (stat.kind !== 'file') {
    const kind = stat.kind === 'other' ? 'not a regular file' : `a ${stat.kind}`;
    return fileError(file, `${file} is ${kind}, not a file`);
  }
  const tooLarge = `${file} is larger than ${CONFIG_MAX_BYTES / 1024 / 1024} MiB: not a drpilot config`;
  if (stat.size > CONFIG_MAX_BYTES) return fileError(file, tooLarge);
  const read = fs.read(file, CONFIG_MAX_BYTES);
  if ('error' in read) return fileError(file, `${file} ${read.error}`);
  // The size a stat reports is not always what a read returns (/proc): the read is bounded too.
  if (new TextEncoder().encode(read.text).length > CONFIG_MAX_BYTES)
    return fileError(file, tooLarge);
  return parseConfigText(read.text, file);
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  let document: unknown;
  try {
    // Editors on Windows save UTF-8 with a byte-order mark, which JSON.parse rejects invisibly.
    document = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    return fileError(file, `${file} is not valid JSON: ${(error as Error).message}`);
  }
  const result = validateConfig(document);
  return result.ok
    ? { ok: true, file, config: result.config }
    : { ok: false, file, errors: result.errors };
}

function fileError(file: string | null, message: string): LoadedConfig {
  return { ok: false, file, errors: [{ path: '(file)', message }] };
}
