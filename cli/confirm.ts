import type { Command } from 'commander';
import { COMMAND_FLAGS } from './command-flags';
import type { CommandContext } from './command-context';
import { ExitCode } from './exit-codes';
import { usageError } from './manual-request';

/** `simulate resize` for the nested command, as COMMAND_FLAGS keys it. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Called by a command that changes a real estate before it acts: true to go ahead. On a terminal
 * it shows the plan and asks (y/N); without one it needs --yes (a usage error, exit 2, otherwise);
 * --dry-run, --yes and a command run that does not ask (COMMAND_FLAGS[…].asks) go ahead at once.
 * Whatever stops here has touched nothing.
 */
export async function confirmed(context: CommandContext, command: Command): Promise<boolean> {
  const path = commandPath(command);
  const rules = COMMAND_FLAGS[path];
  const { io, options, output } = context.for(command);
  if (!rules?.asks?.(command.opts()) || options.dryRun || options.yes) return true;
  if (!io.terminal) {
    usageError(
      context,
      output,
      path,
      `${path} changes the real estate and there is no terminal to ask on: add --yes to go ahead (or --dry-run to see the plan)`,
    );
    return false;
  }
  const plan = rules.plan
    ? { code: ExitCode.done, text: rules.plan(command.processedArgs, command.opts()) }
    : await dryRun(context);
  if (plan.code !== ExitCode.done) {
    // The dry run already stops short (refused, failed, a usage error): that is the answer.
    io.stdout(plan.text);
    io.stderr(
      `drpilot ${path}: the plan ends with exit ${plan.code}; nothing asked, nothing changed\n`,
    );
    context.exit(plan.code);
    return false;
  }
  io.stderr(`${plan.text.trimEnd()}\n`);
  const answer = await io.terminal.ask(`Go ahead with drpilot ${path}? [y/N] `);
  if (/^\s*y(es)?\s*$/i.test(answer)) return true;
  const message = 'not confirmed: nothing changed';
  output.result({ outcome: 'declined', message }, () => `drpilot ${path}: ${message}`);
  context.exit(ExitCode.refused);
  return false;
}

/** The same command line with --dry-run, run in this process: the plan the real run would follow. */
async function dryRun(context: CommandContext): Promise<{ code: ExitCode; text: string }> {
  const { io } = context;
  let text = '';
  const { main } = await import('./main');
  const code = await main([...context.argv, '--dry-run'], {
    stdout: (chunk) => void (text += chunk),
    stderr: io.stderr,
    env: io.env,
    cwd: io.cwd,
  });
  return { code, text };
}
