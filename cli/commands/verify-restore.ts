import type { Command } from 'commander';
import type { RestoreDrillResult } from '../../lambdas/restore/run-restore';
import type { CommandContext } from '../command-context';
import { formatDuration } from '../format';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';
import { manualRequestOrUsage } from '../manual-request';

const EXIT_BY_OUTCOME: Record<RestoreDrillResult['outcome'], ExitCode> = {
  verified: ExitCode.done,
  'dry-run': ExitCode.done,
  failed: ExitCode.failed,
  refused: ExitCode.refused,
};

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

export function renderRestoreDrill(result: RestoreDrillResult): string {
  if (result.outcome === 'refused') return `verify-restore refused: ${result.reason}`;
  const mapping = result.scratchNamespaces.map((m) => `${m.source} → ${m.scratch}`).join(', ');
  const lines = [
    result.outcome === 'dry-run'
      ? `verify-restore (dry run): ${result.reason}`
      : `verify-restore ${result.outcome.toUpperCase()}: ${result.reason}`,
    `  backup:      ${result.backup?.name ?? '—'}${result.backup ? ` (${result.backup.schedule ?? 'no schedule'}, completed ${result.backup.completionTimestamp})` : ''}`,
    `  restore:     ${result.veleroNamespace}/${result.restore ?? '—'}: ${mapping || '—'}`,
  ];
  for (const s of result.skippedNamespaces) lines.push(`  skipped:     ${s.name} (${s.reason})`);
  if (result.outcome !== 'dry-run') {
    lines.push(
      `  phase:       ${result.phase ?? 'none'}; ${result.itemsRestored ?? 0} of ${result.totalItems ?? 0} item(s) restored`,
    );
    for (const d of result.deployments)
      lines.push(`  deployment:  ${d.detail}${d.available ? '' : ' (not Available)'}`);
    for (const w of result.warnings) lines.push(`  warning:     ${w}`);
    for (const e of result.errors) lines.push(`  ERROR:       ${e}`);
    const d = result.durations;
    lines.push(
      `  durations:   backup sync ${seconds(d.backupSyncMs)}, restore ${seconds(d.restoreMs)}, Deployments ${seconds(d.deploymentsAvailableMs)}, cleanup ${seconds(d.cleanupMs)}, total ${seconds(d.totalMs)}`,
    );
    if (result.cleanup) {
      lines.push(
        result.cleanup.ok
          ? '  cleanup:     scratch namespaces, modifier ConfigMap and Restore (and its files in the bucket) removed'
          : `  CLEANUP INCOMPLETE: ${result.cleanup.problems.join('; ')}`,
      );
    }
    const verified = result.verifiedRpo?.overall;
    lines.push(
      `  verified RPO: ${verified ? `${formatDuration(verified.rpoSeconds)} (${verified.backup}, verified ${verified.verifiedAt})` : 'no backup verified yet'}`,
    );
  }
  return lines.join('\n');
}

export function registerVerifyRestore(program: Command, context: CommandContext): void {
  program
    .command('verify-restore')
    .description(
      "restore the DR side's newest restorable backup into scratch namespaces of the DR cluster, check it, clean up",
    )
    .option('--backup <name>', 'restore this backup instead (it must be restorable on the DR side)')
    .option('--reason <text>', 'why, for the audit trail', 'manual')
    .action(async (flags: { backup?: string; reason: string }, command: Command) => {
      const { io, options, output } = context.for(command);
      const config = configOrReport(options, io, output);
      if (!config) return context.exit(ExitCode.usage);
      const payload = {
        action: 'verify-restore',
        reason: flags.reason,
        dryRun: options.dryRun,
        ...(flags.backup !== undefined ? { backup: flags.backup } : {}),
      };
      const request = manualRequestOrUsage(payload, ['verify-restore'], config, context, output);
      if (!request) return;
      const result =
        options.via === 'lambda'
          ? ((await (
              await import('../via-lambda')
            ).invokeDeployed(config, 'restore', payload)) as RestoreDrillResult)
          : await (
              await import('../../lambdas/restore/run-restore')
            ).runRestoreDrill(config, {
              dryRun: options.dryRun,
              ...(request.backup !== undefined ? { backup: request.backup } : {}),
              trigger: `cli: ${flags.reason}`,
              onProgress: (message) => output.progress(message),
            });
      output.result(result, () => renderRestoreDrill(result));
      context.exit(EXIT_BY_OUTCOME[result.outcome]);
    });
}
