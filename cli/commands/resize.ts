import { Option, type Command } from 'commander';
import type { ResizeRequest } from '../../lambdas/core/resize/plan-resize';
import type { ResizeResult } from '../../lambdas/resize/run-resize';
import type { CommandContext } from '../command-context';
import { confirmed } from '../confirm';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';
import { manualRequestOrUsage } from '../manual-request';

const EXIT_BY_OUTCOME: Record<ResizeResult['outcome'], ExitCode> = {
  resized: ExitCode.done,
  noop: ExitCode.done,
  'dry-run': ExitCode.done,
  failed: ExitCode.failed,
  refused: ExitCode.refused,
  // A pause held the rollout at a node boundary: refused, as a paused job is.
  held: ExitCode.refused,
  // Only an alarm or the re-plan waits for approval; a person's resize is not held.
  pending: ExitCode.done,
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
        const payload = {
          action: 'resize',
          groupId,
          reason: `drpilot resize --via ${options.via}`,
          dryRun: options.dryRun,
          ...(flags.to !== undefined ? { to: flags.to } : {}),
          ...(flags.step !== undefined ? { step: flags.step } : {}),
        };
        const asked = manualRequestOrUsage(payload, ['resize'], config, context, output);
        const group = config.nodeGroups.find((g) => g.id === groupId);
        if (!asked || !group) return;
        if (!(await confirmed(context, command))) return;
        const request: ResizeRequest = asked.to
          ? { kind: 'to', type: asked.to }
          : asked.step
            ? { kind: 'step', direction: asked.step }
            : { kind: 'auto' };
        const progress = (message: string) => output.progress(message);
        const result =
          options.via === 'lambda'
            ? await (
                await import('../resize-via-lambda')
              ).resizeViaLambda(config, group, payload, progress)
            : await (
                await import('../../lambdas/resize/run-resize')
              ).runResize(config, groupId, {
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
