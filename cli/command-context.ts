import type { Command } from 'commander';
import { globalOptions, type GlobalOptions } from './global-options';
import type { CliIo } from './io';
import { Output } from './output';
import type { ExitCode } from './exit-codes';

/** What every command's action gets: the process it runs in, its options and its output. */
export class CommandContext {
  exitCode: ExitCode = 0;

  constructor(
    readonly io: CliIo,
    /** The command line as given, for the dry run cli/confirm.ts shows as the plan. */
    readonly argv: readonly string[] = [],
  ) {}

  for(command: Command): { io: CliIo; options: GlobalOptions; output: Output } {
    const options = globalOptions(command);
    return { io: this.io, options, output: new Output(this.io, options.json) };
  }

  exit(code: ExitCode): void {
    this.exitCode = code;
  }
}
