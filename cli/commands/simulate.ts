import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { Side } from '../../lambdas/core/config/schema';
import { groupTrace, parseTrace } from '../../lambdas/core/resize/simulate/parse-trace';
import { parsePriceTable } from '../../lambdas/core/resize/simulate/price-book';
import type { PriceTable } from '../../lambdas/core/resize/simulate/price-table';
import { DEFAULT_TIMING } from '../../lambdas/core/resize/simulate/rollout-timing';
import { simulateResize } from '../../lambdas/core/resize/simulate/simulate-resize';
import type { TraceInput } from '../../lambdas/core/resize/simulate/simulation-setup';
import type { CommandContext } from '../command-context';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';
import { resizeChartSvg } from '../simulate/resize-chart-svg';
import { readTextFile } from '../simulate/read-text-file';
import { renderSimulation } from '../simulate/render-simulation';

/** A month of one-minute points is about 1.5 MiB of CSV; a year at that resolution fits too. */
const TRACE_MAX_BYTES = 64 * 1024 * 1024;
const PRICES_MAX_BYTES = 1024 * 1024;

interface SimulateFlags {
  group?: string;
  trace?: string;
  seed?: number;
  days?: number;
  nodes: number;
  start?: string;
  moveMinutes: number;
  launchMinutes: number;
  drainMinutes: number;
  prices?: string;
  tune: boolean;
  chart?: string;
}

function wholeNumber(flag: string, min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
      throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

export function registerSimulate(program: Command, context: CommandContext): void {
  const simulate = program
    .command('simulate')
    .description(
      'replay utilisation traces through drpilot’s policies and their alternatives, offline',
    );
  simulate
    .command('resize')
    .description(
      'replay a utilisation trace through the ladder policy, horizontal scaling, static sizing and an oracle',
    )
    .option('--group <id>', 'the node group (default: the first in the config)')
    .option('--trace <file>', 'CSV or JSON trace (default: a seeded synthetic month)')
    .option(
      '--seed <n>',
      'seed of the synthetic trace (default 1)',
      wholeNumber('--seed', 0, 2 ** 32 - 1),
    )
    .option(
      '--days <n>',
      'length of the synthetic trace (default 30)',
      wholeNumber('--days', 1, 400),
    )
    .option('--nodes <n>', 'nodes in the group', wholeNumber('--nodes', 1, 50), 3)
    .option('--start <type>', 'the type every node starts on (default: from the first hour)')
    .option(
      '--move-minutes <n>',
      'one node’s move: drain, stop, retype, start, Ready',
      wholeNumber('--move-minutes', 1, 60),
      DEFAULT_TIMING.moveMinutes,
    )
    .option(
      '--launch-minutes <n>',
      'horizontal policy: a new node’s launch until Ready',
      wholeNumber('--launch-minutes', 1, 60),
      DEFAULT_TIMING.launchMinutes,
    )
    .option(
      '--drain-minutes <n>',
      'horizontal policy: a removed node’s drain',
      wholeNumber('--drain-minutes', 0, 60),
      DEFAULT_TIMING.drainMinutes,
    )
    .option(
      '--prices <file>',
      'JSON list prices for the group’s region (see docs/resize-simulator.md)',
    )
    .option(
      '--tune',
      'also replay the ladder policy with other thresholds and suggest cheaper ones',
      false,
    )
    .option('--chart <file>', 'write an SVG of demand against each policy’s capacity')
    .action(async (flags: SimulateFlags, command: Command) => {
      const { io, options, output } = context.for(command);
      const usage = (message: string) => {
        output.result(
          { error: { kind: 'usage', message } },
          () => `drpilot simulate resize: ${message}`,
        );
        context.exit(ExitCode.usage);
      };
      const config = configOrReport(options, io, output);
      if (!config) return context.exit(ExitCode.usage);
      const group = flags.group
        ? config.nodeGroups.find((g) => g.id === flags.group)
        : config.nodeGroups[0];
      if (!group) {
        const known = config.nodeGroups.map((g) => g.id).join(', ') || 'none';
        return usage(
          flags.group
            ? `unknown node group "${flags.group}" (configured: ${known})`
            : 'the config has no node groups to simulate',
        );
      }
      if (flags.trace !== undefined && (flags.seed !== undefined || flags.days !== undefined)) {
        return usage('--seed and --days shape the synthetic trace: leave them out with --trace');
      }

      let trace: TraceInput = { kind: 'synthetic', seed: flags.seed ?? 1, days: flags.days ?? 30 };
      if (flags.trace !== undefined) {
        const read = readTextFile(resolve(io.cwd, flags.trace), TRACE_MAX_BYTES);
        if ('error' in read) return usage(read.error);
        const rows = parseTrace(read.text, flags.trace);
        if (!rows.ok) return usage(rows.error);
        const points = groupTrace(rows.rows, group.id, flags.trace);
        if (!points.ok) return usage(points.error);
        trace = { kind: 'file', file: flags.trace, points: points.points };
      }
      let prices: PriceTable | null = null;
      if (flags.prices !== undefined) {
        const read = readTextFile(resolve(io.cwd, flags.prices), PRICES_MAX_BYTES);
        if ('error' in read) return usage(read.error);
        const parsed = parsePriceTable(read.text, flags.prices);
        if (!parsed.ok) return usage(parsed.error);
        prices = parsed.table;
      }

      output.progress(
        `replaying ${trace.kind === 'file' ? flags.trace : 'the synthetic trace'} for ${group.id} through four policies${flags.tune ? ', then the tuning grid' : ''}`,
      );
      const result = simulateResize(
        {
          group,
          region: config.clusters[group.cluster as Side].region,
          trace,
          nodes: flags.nodes,
          startType: flags.start ?? null,
          timing: {
            moveMinutes: flags.moveMinutes,
            launchMinutes: flags.launchMinutes,
            drainMinutes: flags.drainMinutes,
          },
          prices,
        },
        { tune: flags.tune },
      );
      if (!result.ok) return usage(result.error);

      let chart: string | null = null;
      if (flags.chart !== undefined) {
        chart = resolve(io.cwd, flags.chart);
        try {
          writeFileSync(chart, resizeChartSvg(result.report, result.series));
        } catch (error) {
          return usage(
            `cannot write the chart to ${chart}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
          );
        }
      }
      output.result({ ...result.report, chart }, () => renderSimulation(result.report, chart));
      context.exit(ExitCode.done);
    });
}
