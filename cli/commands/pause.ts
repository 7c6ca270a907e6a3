import type { Command } from 'commander';
import { REASON_MAX_LENGTH } from '../../lambdas/core/config/patterns';
import {
  jobsNamed,
  pauseWindow,
  unknownJobMessage,
  type Pause,
  type PausableJob,
} from '../../lambdas/core/pause/pause-rules';
import type { ResumeResult } from '../../lambdas/pause/set-pause';
import type { CommandContext } from '../command-context';
import { ExitCode } from '../exit-codes';
import type { CliIo } from '../io';
import { configOrReport } from '../load-config-or-exit';
import { usageError } from '../manual-request';

const JOB_ARGUMENT = '[job]';
const JOB_HELP = 'dns, resync, resize or all (default all)';

/** Who runs the command, for the audit trail and `status`. */
export function caller(io: CliIo): string {
  return [io.env['USER'], io.env['LOGNAME'], io.env['USERNAME']].find(Boolean) ?? 'unknown';
}

export function renderPaused(pauses: readonly Pause[], dryRun: boolean): string {
  return pauses
    .map(
      (p) =>
        `${dryRun ? 'would pause' : 'paused'} ${p.job} until ${p.until} (by ${p.by}): ${p.reason}`,
    )
    .join('\n');
}

export function renderResumed(results: readonly ResumeResult[], dryRun: boolean): string {
  return results
    .map(({ job, lifted }) =>
      lifted
        ? `${dryRun ? 'would resume' : 'resumed'} ${job} (it was paused by ${lifted.by} until ${lifted.until}: ${lifted.reason})`
        : `${job} was not paused`,
    )
    .join('\n');
}

/** The job argument every pause command checks first; null after a usage error. */
function jobsOrUsage(
  name: string,
  command: string,
  context: CommandContext,
  output: Parameters<typeof usageError>[1],
): PausableJob[] | null {
  const jobs = jobsNamed(name);
  if (!jobs) usageError(context, output, command, unknownJobMessage(name));
  return jobs;
}

export function registerPause(program: Command, context: CommandContext): void {
  program
    .command('pause')
    .description('hold a job (its alarms, re-plans and manual runs refuse) until a time')
    .argument(JOB_ARGUMENT, JOB_HELP, 'all')
    .option('--until <time>', 'end of the pause, ISO 8601 (2026-12-02T18:00Z)')
    .option('--for <duration>', 'length of the pause: 30m, 2h, 1d, 1h30m (at most 7 days)')
    .requiredOption('--reason <text>', 'why, for the audit trail and status')
    .action(
      async (
        name: string,
        flags: { until?: string; for?: string; reason: string },
        command: Command,
      ) => {
        const { io, options, output } = context.for(command);
        const jobs = jobsOrUsage(name, 'pause', context, output);
        if (!jobs) return;
        const reason = flags.reason.trim();
        if (reason === '' || reason.length > REASON_MAX_LENGTH) {
          return usageError(
            context,
            output,
            'pause',
            `--reason must say why, in 1 to ${REASON_MAX_LENGTH} characters`,
          );
        }
        const nowMs = Date.now();
        const window = pauseWindow({
          nowMs,
          ...(flags.until !== undefined ? { until: flags.until } : {}),
          ...(flags.for !== undefined ? { for: flags.for } : {}),
        });
        if (!window.ok) return usageError(context, output, 'pause', window.message);
        const config = configOrReport(options, io, output);
        if (!config) return context.exit(ExitCode.usage);
        const request = { by: caller(io), reason, untilMs: window.untilMs };
        const pauses = options.dryRun
          ? jobs.map((job) => ({
              job,
              by: request.by,
              reason,
              since: new Date(nowMs).toISOString(),
              until: new Date(window.untilMs).toISOString(),
            }))
          : await (await import('../../lambdas/pause/set-pause')).pauseJobs(config, jobs, request);
        output.result({ outcome: options.dryRun ? 'dry-run' : 'paused', pauses }, () =>
          renderPaused(pauses, options.dryRun),
        );
        context.exit(ExitCode.done);
      },
    );

  program
    .command('resume')
    .description('lift a pause before its time')
    .argument(JOB_ARGUMENT, JOB_HELP, 'all')
    .action(async (name: string, _flags: unknown, command: Command) => {
      const { io, options, output } = context.for(command);
      const jobs = jobsOrUsage(name, 'resume', context, output);
      if (!jobs) return;
      const config = configOrReport(options, io, output);
      if (!config) return context.exit(ExitCode.usage);
      const { pausesInForce, resumeJobs } = await import('../../lambdas/pause/set-pause');
      const results = options.dryRun
        ? await pausesInForce(config).then((pauses) =>
            jobs.map((job) => ({ job, lifted: pauses.find((p) => p.job === job) ?? null })),
          )
        : await resumeJobs(config, jobs, caller(io));
      output.result(
        {
          outcome: options.dryRun ? 'dry-run' : results.some((r) => r.lifted) ? 'resumed' : 'noop',
          resumed: results.flatMap((r) => (r.lifted ? [r.lifted] : [])),
          notPaused: results.filter((r) => !r.lifted).map((r) => r.job),
        },
        () => renderResumed(results, options.dryRun),
      );
      context.exit(ExitCode.done);
    });
}
