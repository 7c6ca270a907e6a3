import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { loadConfigFile } from './config-file';
import type { GlobalOptions } from './global-options';
import type { CliIo } from './io';
import type { Output } from './output';

/**
 * The config every command but `validate` needs; on a bad config it prints the errors (as JSON
 * with --json) and returns null so the command exits 2 without touching anything.
 */
export function configOrReport(
  options: GlobalOptions,
  io: CliIo,
  output: Output,
): DrpilotConfig | null {
  const loaded = loadConfigFile(options.config, io.env, io.cwd);
  if (loaded.ok) return loaded.config;
  output.result({ ok: false, file: loaded.file, errors: loaded.errors }, () =>
    [
      `✗ ${loaded.file ?? 'config'} is not usable:`,
      ...loaded.errors.map((e) => `  ${e.path}: ${e.message}`),
    ].join('\n'),
  );
  return null;
}
