import type { Command } from 'commander';
import type { AksActionResult } from '../../lambdas/aks/run-aks';
import { AKS_ACTIONS } from '../../lambdas/core/aks/names';
import type { CommandContext } from '../command-context';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';

type PingResult = Extract<AksActionResult, { action: 'ping' }>;

/** `drpilot notify --test`: one signed `ping` to azure.webhookUrl; exit 1 unless it is answered 202. */
export function registerNotify(program: Command, context: CommandContext): void {
  program
    .command('notify')
    .description('talk to the AKS side: --test sends a signed ping and reports the answer')
    .option('--test', 'send a signed ping (answered 202, changes nothing)')
    .action(async (flags: { test?: boolean }, command: Command) => {
      const { io, options, output } = context.for(command);
      if (!flags.test) {
        io.stderr('drpilot notify: nothing to send; use --test\n');
        return context.exit(ExitCode.usage);
      }
      const config = configOrReport(options, io, output);
      if (!config) return context.exit(ExitCode.usage);
      if (!config.azure) {
        io.stderr('drpilot notify: azure is not configured: there is no AKS side to ping\n');
        return context.exit(ExitCode.usage);
      }
      const ping =
        options.via === 'lambda'
          ? ((await (
              await import('../via-lambda')
            ).invokeDeployed(config, 'aks', { action: AKS_ACTIONS.ping })) as PingResult)
          : ((await (
              await import('../../lambdas/aks/run-aks')
            ).runAksAction(config, AKS_ACTIONS.ping, {
              now: () => new Date(),
            })) as PingResult);
      const ok = ping.status === 202;
      const result = { url: config.azure.webhookUrl, ok, ...ping };
      output.result(result, () =>
        [
          `${ok ? '✓' : '✗'} ping #${ping.seq} → ${config.azure?.webhookUrl}`,
          `  answer ${ping.status ?? 'none'} in ${ping.latencyMs} ms${ok ? '' : `: ${ping.detail}`}`,
        ].join('\n'),
      );
      context.exit(ok ? ExitCode.done : ExitCode.failed);
    });
}
