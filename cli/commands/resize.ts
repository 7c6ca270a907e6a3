import { Option, type Command } from 'commander';
import type { ResizeRequest } from '../../lambdas/core/resize/plan-resize';
import { runResize, type ResizeResult } from '../../lambdas/resize/run-resize';
import type { CommandContext } from '../command-context';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';
import { resizeViaLambda } from '../resize-via-lambda';

const EXIT_BY_OUTCOME: Record<ResizeResult['outcome'], ExitCode> = {
  resized: ExitCode.done,
  noop: ExitCode.done,
  'dry-run': ExitCode.done,
  failed: ExitCode.failed,
  refused: ExitCode.refused,
};

export function renderResize(result: ResizeResult): string {
  const head = `resize ${result.group}: ${result.outcome.toUpperCase()} — ${result.reason}`;
  const load =
    result.p95Percent === null ? [] : [`  p95 utilisation ${result.p95Percent.toFixed(1)}%`];
  const nodes = result.nodes.map(
    (n) => `  ${n.id} ${n.from} → ${n.to}: ${n.outcome} (${n.detail})`,
  );
  return [head, ...load, ...nodes].join('\n');
}

export function registerResize(program: Command, context: CommandContext): void {
  program
    .command('resize')
    .description(
      'move a node group up or down its instance-type ladder, one drained node at a time',
    )
    .argument('<groupId>', 'the node group (nodeGroups[].id)')
    .option('--to <type>', 'move to this type (must be on the ladder)')
    .addOption(new Option('--step <direction>', 'one rung up or down').choices(['up', 'down']))
    .action(
      async (groupId: string, flags: { to?: string; step?: 'up' | 'down' }, command: Command) => {
        const { io, options, output } = context.for(command);
        const config = configOrReport(options, io, output);
        if (!config) return context.exit(ExitCode.usage);
        const usage = (message: string) => {
          output.result({ error: { kind: 'usage', message } }, () => `drpilot resize: ${message}`);
          context.exit(ExitCode.usage);
        };
        if (flags.to && flags.step) return usage('give either --to or --step, not both');
        const group = config.nodeGroups.find((g) => g.id === groupId);
        if (!group) {
          return usage(
            `unknown node group "${groupId}" (configured: ${config.nodeGroups.map((g) => g.id).join(', ') || 'none'})`,
          );
        }
        const request: ResizeRequest = flags.to
          ? { kind: 'to', type: flags.to }
          : flags.step
            ? { kind: 'step', direction: flags.step }
            : { kind: 'auto' };
        const progress = (message: string) => output.progress(message);
        const result =
          options.via === 'lambda'
            ? await resizeViaLambda(
                config,
                group,
                {
                  action: 'resize',
                  groupId,
                  reason: 'drpilot resize --via lambda',
                  dryRun: options.dryRun,
                  ...(flags.to ? { to: flags.to } : {}),
                  ...(flags.step ? { step: flags.step } : {}),
                },
                progress,
              )
            : await runResize(config, groupId, {
                request,
                dryRun: options.dryRun,
                trigger: 'cli',
                onProgress: progress,
              });
        output.result(result, () => renderResize(result));
        context.exit(EXIT_BY_OUTCOME[result.outcome]);
      },
    );
}
