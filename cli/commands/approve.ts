import type { Command } from 'commander';
import { resolverWith } from '../../lambdas/adapters/tls/connect-to';
import type { DecisionAnswer, DecisionOutcome } from '../../lambdas/approval/decide-approval';
import type { CommandContext } from '../command-context';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';
import { usageError } from '../manual-request';
import { caller } from './pause';

const EXIT_BY_OUTCOME: Record<DecisionOutcome, ExitCode> = {
  switched: ExitCode.done,
  resized: ExitCode.done,
  noop: ExitCode.done,
  'dry-run': ExitCode.done,
  rejected: ExitCode.done,
  'already-decided': ExitCode.done,
  // The approved re-plan's own plan grew past what was approved: a new request waits.
  pending: ExitCode.done,
  refused: ExitCode.refused,
  held: ExitCode.refused,
  failed: ExitCode.failed,
  unknown: ExitCode.usage,
  expired: ExitCode.usage,
};

export function renderDecision(answer: DecisionAnswer): string {
  const request = answer.request;
  const what = request ? ` (${request.action} ${request.target})` : '';
  const lines = [`${answer.id}${what}: ${answer.outcome.toUpperCase()} — ${answer.reason}`];
  const checks = answer.result && 'checks' in answer.result ? answer.result.checks : [];
  for (const check of checks) {
    const mark = check.skipped ? '-' : check.ok ? '✓' : '✗';
    lines.push(`  ${mark} ${check.name.padEnd(14)} ${check.detail}`);
  }
  return lines.join('\n');
}

export function registerApproval(program: Command, context: CommandContext): void {
  for (const verb of ['approve', 'reject'] as const) {
    program
      .command(verb)
      .description(
        verb === 'approve'
          ? 'approve a pending request: re-plan with every check, act only if they still pass'
          : 'reject a pending request: nothing is done',
      )
      .argument('<id>', 'the request (drpilot status lists the pending ones)')
      .action(async (id: string, _flags: unknown, command: Command) => {
        const { io, options, output } = context.for(command);
        const config = configOrReport(options, io, output);
        if (!config) return context.exit(ExitCode.usage);
        const by = caller(io);
        const { approveRequest, rejectRequest } =
          await import('../../lambdas/approval/decide-approval');
        const answer =
          verb === 'approve'
            ? await approveRequest(config, id, {
                by,
                dryRun: options.dryRun,
                resolver: resolverWith({}),
                onProgress: (message) => output.progress(message),
              })
            : await rejectRequest(config, id, { by, dryRun: options.dryRun });
        if (answer.outcome === 'unknown' || answer.outcome === 'expired') {
          return usageError(context, output, verb, answer.reason);
        }
        output.result(answer, () => renderDecision(answer));
        context.exit(EXIT_BY_OUTCOME[answer.outcome]);
      });
  }
}
