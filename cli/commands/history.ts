import type { Command } from 'commander';
import {
  DEFAULT_HISTORY_LIMIT,
  HISTORY_JOBS,
  MAX_HISTORY_LIMIT,
  historyJobNamed,
  parseLimit,
  parseSince,
  type HistoryEntry,
} from '../../lambdas/core/history/audit-history';
import { parseDuration } from '../../lambdas/core/pause/pause-rules';
import type { CommandContext } from '../command-context';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';
import { usageError } from '../manual-request';

export function renderHistory(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return 'no audit entries';
  return entries
    .map((e) => `${e.at}  ${e.job.padEnd(8)}${e.outcome.padEnd(10)}${e.what}`)
    .join('\n');
}

export function registerHistory(program: Command, context: CommandContext): void {
  program
    .command('history')
    .description("what drpilot did, newest first, from the state table's audit trail")
    .option('--job <job>', `only this job: ${HISTORY_JOBS.join(', ')}`)
    .option('--since <time>', 'only entries from this time (ISO 8601) or this long ago (2h, 1d)')
    .option(
      '--limit <n>',
      `at most this many entries (1 to ${MAX_HISTORY_LIMIT})`,
      String(DEFAULT_HISTORY_LIMIT),
    )
    .action(async (flags: { job?: string; since?: string; limit: string }, command: Command) => {
      const { io, options, output } = context.for(command);
      const job = flags.job === undefined ? null : historyJobNamed(flags.job);
      if (flags.job !== undefined && job === null) {
        return usageError(
          context,
          output,
          'history',
          `unknown job "${flags.job}": expected one of ${HISTORY_JOBS.join(', ')}`,
        );
      }
      const limit = parseLimit(flags.limit);
      if (limit === null) {
        return usageError(
          context,
          output,
          'history',
          `--limit "${flags.limit}" is not a whole number from 1 to ${MAX_HISTORY_LIMIT}`,
        );
      }
      const since =
        flags.since === undefined ? null : parseSince(flags.since, Date.now(), parseDuration);
      if (since && !since.ok) return usageError(context, output, 'history', since.message);
      const config = configOrReport(options, io, output);
      if (!config) return context.exit(ExitCode.usage);
      const entries = await (
        await import('../../lambdas/status/read-history')
      ).readHistory(config, {
        jobs: job ? [job] : HISTORY_JOBS,
        limit,
        ...(since?.ok ? { since: since.since } : {}),
      });
      output.result({ entries }, () => renderHistory(entries));
      context.exit(ExitCode.done);
    });
}
