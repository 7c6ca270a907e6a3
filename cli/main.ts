import { Command, CommanderError } from 'commander';
import { CommandContext } from './command-context';
import { applyCommandFlags } from './command-help';
import { registerAgentConfig } from './commands/agent-config';
import { registerDrill } from './commands/drill';
import { registerHistory } from './commands/history';
import { registerNotify } from './commands/notify';
import { registerPause } from './commands/pause';
import { registerApproval } from './commands/approve';
import { registerResize } from './commands/resize';
import { registerResync } from './commands/resync';
import { registerSimulate } from './commands/simulate';
import { registerStatus } from './commands/status';
import { registerSwitch } from './commands/dns';
import { registerValidate } from './commands/validate';
import { registerVerifyRestore } from './commands/verify-restore';
import { ExitCode } from './exit-codes';
import { addGlobalOptions } from './global-options';
import { processIo, type CliIo } from './io';
import { DRPILOT_VERSION } from '../lambdas/adapters/aws/version';

export function buildProgram(context: CommandContext): Command {
  const program = addGlobalOptions(new Command('drpilot'))
    .description('DR autopilot for two EKS regions and an AKS cluster')
    .version(DRPILOT_VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout(text),
      writeErr: (text) => context.io.stderr(text),
    });
  registerValidate(program, context);
  registerStatus(program, context);
  registerSwitch(program, context, 'failover');
  registerSwitch(program, context, 'failback');
  registerResync(program, context);
  registerResize(program, context);
  registerSimulate(program, context);
  registerAgentConfig(program, context);
  registerVerifyRestore(program, context);
  registerDrill(program, context);
  registerNotify(program, context);
  registerPause(program, context);
  registerApproval(program, context);
  registerHistory(program, context);
  applyCommandFlags(program);
  return program;
}

/** Runs one CLI invocation and returns its exit code (never calls process.exit). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<ExitCode> {
  const context = new CommandContext(io, argv);
  const program = buildProgram(context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.done; // --help, --version
      if (argv.includes('--json'))
        io.stdout(`${JSON.stringify({ error: { kind: 'usage', message: error.message } })}\n`);
      return ExitCode.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`drpilot: ${message}\n`);
    if (argv.includes('--json'))
      io.stdout(`${JSON.stringify({ error: { kind: 'failed', message } })}\n`);
    return ExitCode.failed;
  }
}
