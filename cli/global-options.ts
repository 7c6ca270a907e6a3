import { Option, type Command } from 'commander';

export interface GlobalOptions {
  config?: string;
  json: boolean;
  dryRun: boolean;
  yes: boolean;
  via: 'local' | 'lambda';
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--config <file>', 'config file (default: $DRPILOT_CONFIG, then ./drpilot.config.json)')
    .option('--json', 'print the result as one JSON document on stdout; logs go to stderr', false)
    .option('--dry-run', 'plan and report, change nothing', false)
    .option('--yes', 'do not ask for confirmation', false)
    .addOption(
      new Option('--via <mode>', 'run the handler code here, or invoke the deployed function')
        .choices(['local', 'lambda'])
        .default('local'),
    );
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}
