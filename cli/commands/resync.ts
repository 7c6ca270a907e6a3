import type { Command } from 'commander';
import type { ResyncResult } from '../../lambdas/resync/run-resync';
import type { CommandContext } from '../command-context';
import { formatBytes, formatDuration } from '../format';
import { confirmed } from '../confirm';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';
import { manualRequestOrUsage } from '../manual-request';

const EXIT_BY_OUTCOME: Record<ResyncResult['outcome'], ExitCode> = {
  copied: ExitCode.done,
  noop: ExitCode.done,
  'dry-run': ExitCode.done,
  failed: ExitCode.failed,
  refused: ExitCode.refused,
};

export function renderResync(result: ResyncResult): string {
  if (result.outcome === 'refused') return `resync refused: ${result.reason}`;
  const direction = `${result.from} → ${result.to}`;
  const head =
    result.outcome === 'dry-run'
      ? `resync ${direction} (dry run): would copy ${result.copied.length} backup(s), ${result.planned.objectsToCopy} object(s), ${formatBytes(result.planned.bytesToCopy)}`
      : result.outcome === 'noop'
        ? `resync ${direction}: nothing to do`
        : `resync ${direction}: ${result.outcome}, ${result.copied.length} backup(s) committed, ${result.objectsCopied} object(s), ${formatBytes(result.bytesCopied)} copied`;
  const lines = [head];
  if (result.copied.length) lines.push(`  copied:  ${result.copied.join(', ')}`);
  for (const s of result.skipped) lines.push(`  skipped: ${s.name}: ${s.reason}`);
  if (result.deleted.length) lines.push(`  deleted: ${result.deleted.join(', ')}`);
  if (result.deletionsRefused) {
    const held = result.deletionsRefused;
    const what = [
      ...(held.backups.length ? [`deleting ${held.backups.join(', ')}`] : []),
      ...(held.recopies.length ? [`copying ${held.recopies.join(', ')} again`] : []),
    ];
    lines.push(
      `  held back: ${what.join(' and ') || `${held.objects} repository object deletion(s)`}: ${held.reason}`,
    );
  }
  for (const f of result.failures) lines.push(`  FAILED:  ${f.key}: ${f.message}`);
  if (result.reason) lines.push(`  ${result.reason}`);
  const schedules = (result.rpo?.schedules ?? []).map(
    (s) => `${s.schedule} ${formatDuration(s.rpoSeconds)}`,
  );
  lines.push(
    `  RPO on ${result.to}: ${formatDuration(result.rpoSeconds)}${schedules.length ? ` (${schedules.join(', ')})` : ''}`,
  );
  return lines.join('\n');
}

export function registerResync(program: Command, context: CommandContext): void {
  program
    .command('resync')
    .description('copy every restorable Velero backup from the active side to the standby side')
    .option('--backup <name>', 'copy only this backup (deletes nothing)')
    .option('--reason <text>', 'why, for the audit trail', 'manual')
    .action(async (flags: { backup?: string; reason: string }, command: Command) => {
      const { io, options, output } = context.for(command);
      const config = configOrReport(options, io, output);
      if (!config) return context.exit(ExitCode.usage);
      const payload = {
        action: 'resync',
        reason: flags.reason,
        dryRun: options.dryRun,
        ...(flags.backup !== undefined ? { backup: flags.backup } : {}),
      };
      const request = manualRequestOrUsage(payload, ['resync'], config, context, output);
      if (!request) return;
      if (!(await confirmed(context, command))) return;
      const result =
        options.via === 'lambda'
          ? ((await (
              await import('../via-lambda')
            ).invokeDeployed(config, 'resync', payload)) as ResyncResult)
          : await (
              await import('../../lambdas/resync/run-resync')
            ).runResync(config, {
              dryRun: options.dryRun,
              ...(request.backup !== undefined ? { backup: request.backup } : {}),
              trigger: `cli: ${flags.reason}`,
              onProgress: (message) => output.progress(message),
            });
      output.result(result, () => renderResync(result));
      context.exit(EXIT_BY_OUTCOME[result.outcome]);
    });
}
