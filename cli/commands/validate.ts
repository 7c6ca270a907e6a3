import type { Command } from 'commander';
import { loadConfigFile } from '../config-file';
import { ExitCode } from '../exit-codes';
import type { CommandContext } from '../command-context';

export function registerValidate(program: Command, context: CommandContext): void {
  program
    .command('validate')
    .description('check drpilot.config.json against the schema and the cross-field rules')
    .action((_options, command: Command) => {
      const { io, options, output } = context.for(command);
      const loaded = loadConfigFile(options.config, io.env, io.cwd);
      const errors = loaded.ok ? [] : loaded.errors;
      output.result({ ok: loaded.ok, file: loaded.file, errors }, () =>
        loaded.ok
          ? `✓ ${loaded.file} is valid`
          : [
              `✗ ${loaded.file ?? 'config'} has ${errors.length} error(s):`,
              ...errors.map((e) => `  ${e.path}: ${e.message}`),
            ].join('\n'),
      );
      context.exit(loaded.ok ? ExitCode.done : ExitCode.usage);
    });
}
