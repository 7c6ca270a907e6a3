import { InvalidArgumentError, type Command } from 'commander';
import { DNS_ACTIONS } from '../../lambdas/core/dns/alarm-to-action';
import type { SwitchAction } from '../../lambdas/core/dns/plan-switch';
import type { SwitchResult } from '../../lambdas/dns/run-switch';
import {
  addConnectTo,
  ConnectToError,
  resolverWith,
  type ConnectTo,
} from '../../lambdas/adapters/tls/connect-to';
import type { CommandContext } from '../command-context';
import { confirmed } from '../confirm';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';
import { manualRequestOrUsage } from '../manual-request';

const EXIT_BY_OUTCOME: Record<SwitchResult['outcome'], ExitCode> = {
  switched: ExitCode.done,
  noop: ExitCode.done,
  'dry-run': ExitCode.done,
  failed: ExitCode.failed,
  refused: ExitCode.refused,
  // Only an alarm or the re-plan waits for approval; a person's failover is not held.
  pending: ExitCode.done,
};

export function renderSwitch(result: SwitchResult): string {
  const lines = [
    `${result.action} ${result.recordName}: ${result.outcome.toUpperCase()} — ${result.reason}`,
  ];
  for (const check of result.checks) {
    const mark = check.skipped ? '-' : check.ok ? '✓' : '✗';
    lines.push(`  ${mark} ${check.name.padEnd(14)} ${check.detail}`);
  }
  if (result.changeId) {
    const insync =
      result.secondsToInsync === null
        ? 'INSYNC not confirmed'
        : `INSYNC after ${result.secondsToInsync.toFixed(1)} s`;
    lines.push(`  change ${result.changeId}, ${insync}`);
  }
  const backups = result.backupDirection;
  // A held or partial flip is already a warning line, with each side's state.
  if (backups && (backups.outcome === 'flipped' || backups.outcome === 'in-place')) {
    lines.push(`  backups: ${backups.reason}`);
  }
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}

/** commander's parser for the repeatable `--connect-to`: a bad mapping is a usage error (exit 2). */
export function collectConnectTo(value: string, previous?: ConnectTo): ConnectTo {
  try {
    return addConnectTo(value, previous);
  } catch (error) {
    if (error instanceof ConnectToError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** `drpilot failover` and `drpilot failback`: one command each, the same code path. */
export function registerSwitch(
  program: Command,
  context: CommandContext,
  action: SwitchAction,
): void {
  const target = action === 'failover' ? 'dr' : 'primary';
  program
    .command(action)
    .description(
      `point ${'dns.recordName'} at the ${target} cluster, if that side can really serve`,
    )
    .option('--reason <text>', 'why, for the audit trail and the change comment', 'manual')
    .option(
      '--force',
      'skip the health, TLS, backup and cooldown checks (never the lease or external-dns ownership); audited',
      false,
    )
    .option('--drill', 'flip dns.drillRecordName instead of the customer-facing record', false)
    .option(
      '--connect-to <name=address:port>',
      'where the TLS check connects for an endpoint name (repeatable; SNI and certificate checks unchanged)',
      collectConnectTo,
    )
    .action(
      async (
        flags: { reason: string; force: boolean; drill: boolean; connectTo?: ConnectTo },
        command: Command,
      ) => {
        const { io, options, output } = context.for(command);
        const config = configOrReport(options, io, output);
        if (!config) return context.exit(ExitCode.usage);
        const payload = {
          action,
          reason: flags.reason,
          force: flags.force,
          dryRun: options.dryRun,
          drill: flags.drill,
        };
        if (!manualRequestOrUsage(payload, DNS_ACTIONS, config, context, output)) return;
        if (!(await confirmed(context, command))) return;
        const result =
          options.via === 'lambda'
            ? ((await (
                await import('../via-lambda')
              ).invokeDeployed(config, 'dns', payload)) as SwitchResult)
            : await (
                await import('../../lambdas/dns/run-switch')
              ).runSwitch(config, {
                action,
                reason: flags.reason,
                trigger: 'cli',
                origin: { kind: 'manual' },
                force: flags.force,
                dryRun: options.dryRun,
                drill: flags.drill,
                resolver: resolverWith(flags.connectTo ?? {}),
                onProgress: (message) => output.progress(message),
              });
        output.result(result, () => renderSwitch(result));
        context.exit(EXIT_BY_OUTCOME[result.outcome]);
      },
    );
}
