import type { SimulationReport } from '../../lambdas/core/resize/simulate/simulate-resize';

const number = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)];
}

/** The human report: what was replayed, on which clock and prices, and the four policies. */
export function renderSimulation(report: SimulationReport, chartFile: string | null): string {
  const { trace, setup, prices, unit, tuning } = report;
  const source =
    trace.kind === 'synthetic'
      ? `synthetic (seed ${trace.seed}, ${trace.days} days)`
      : `${trace.file} (${number(trace.points)} points)`;
  const { up, down } = setup.alarms;
  const lines = [
    `drpilot simulate resize ${report.group}: ${report.metric} in ${unit}, ${setup.nodes} nodes from ${setup.startType} (${report.region})`,
    `  trace: ${source}, ${trace.start.slice(0, 16)}Z → ${trace.end.slice(0, 16)}Z, ${number(trace.minutes)} minutes, peak ${number(trace.peak, 1)} ${unit}, mean ${number(trace.mean, 1)} ${unit}`,
    `  ladder: ${setup.rungs.join(' → ')}; headroom ${setup.headroom}, scaleUpAt ${setup.scaleUpAt}%, scaleDownAt ${setup.scaleDownAt}%, cooldown ${setup.cooldownSeconds} s`,
    `  clock: member alarms ${up.datapointsToAlarm} of ${up.evaluationPeriods} × ${up.periodSeconds / 60} min (up), ${down.datapointsToAlarm} of ${down.evaluationPeriods} × ${down.periodSeconds / 60} min (down); re-plan every ${setup.replanMinutes} min; p95 over ${setup.loadWindowMinutes} min`,
    `  a node move (drain, stop, retype, start, Ready): ${setup.rollout.moveMinutes} min, one at a time; horizontal: a new node ${setup.rollout.launchMinutes} min, a removed one drains ${setup.rollout.drainMinutes} min`,
    `  prices: ${prices.pricedAs} on-demand list prices as of ${prices.listPricesAsOf} (${prices.source})`,
    ...(prices.note ? [`  note: ${prices.note}`] : []),
    '',
    ...table(
      [
        'policy',
        'cost USD',
        '× oracle',
        'min over capacity',
        `beyond ${setup.reactionMinutes} min reaction`,
        'resizes',
        'nodes touched',
      ],
      report.policies.map((p) => [
        p.label,
        number(p.costUsd, 2),
        `${p.ratioToOracle.toFixed(2)}×`,
        number(p.minutesOverCapacity),
        number(p.minutesOverBeyondReaction),
        number(p.resizes),
        number(p.nodesTouched),
      ]),
    ),
    '',
    ...report.policies.map((p) => `  ${p.label}: ${p.detail}`),
  ];
  if (tuning) {
    lines.push(
      '',
      tuning.length > 1
        ? 'tuning: settings that cost less with no more over-capacity minutes beyond the reaction time'
        : 'tuning: no setting on the grid costs less without more over-capacity minutes beyond the reaction time',
      ...table(
        [
          '',
          'headroom',
          'scaleUpAt',
          'scaleDownAt',
          'cooldown s',
          'cost USD',
          '× oracle',
          'min over',
          'beyond reaction',
          'resizes',
        ],
        tuning.map((c) => [
          c.current ? 'current' : 'try',
          String(c.headroom),
          String(c.scaleUpAt),
          String(c.scaleDownAt),
          String(c.cooldownSeconds),
          number(c.costUsd, 2),
          `${c.ratioToOracle.toFixed(2)}×`,
          number(c.minutesOverCapacity),
          number(c.minutesOverBeyondReaction),
          number(c.resizes),
        ]),
      ),
    );
  }
  if (chartFile) lines.push('', `chart: ${chartFile}`);
  return lines.join('\n');
}
