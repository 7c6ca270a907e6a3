import type {
  PolicyName,
  SimulationReport,
  SimulationSeries,
} from '../../lambdas/core/resize/simulate/simulate-resize';

const WIDTH = 1100;
const HEIGHT = 460;
const LEFT = 70;
const RIGHT = 230;
const TOP = 40;
const BOTTOM = 50;
/** At most this many buckets per series: a month of minutes would be 43,200 points a line. */
const BUCKETS = 1000;
const COLOURS: Record<PolicyName, string> = {
  ladder: '#1f6fd1',
  horizontal: '#e07b00',
  static: '#7a3db8',
  oracle: '#2e9d5b',
};

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Demand against each policy's serving capacity over the trace: demand as a grey area (its highest
 * minute per bucket), each policy as a line (its lowest capacity per bucket, so the dip while a
 * node moves shows). One `<path class="series" data-policy="…">` per policy.
 */
export function resizeChartSvg(report: SimulationReport, series: SimulationSeries): string {
  const minutes = series.demand.length;
  const size = Math.max(1, Math.ceil(minutes / BUCKETS));
  const buckets = Math.ceil(minutes / size);
  const reduce = (values: Float64Array, pick: (a: number, b: number) => number): number[] =>
    Array.from({ length: buckets }, (_, b) =>
      values.subarray(b * size, Math.min(minutes, (b + 1) * size)).reduce((a, v) => pick(a, v)),
    );
  const demand = reduce(series.demand, Math.max);
  const policies = report.policies.map((figures) => ({
    figures,
    values: reduce(series.capacity[figures.policy], Math.min),
  }));
  const top =
    1.05 * Math.max(...demand, ...policies.flatMap(({ values }) => values), Number.MIN_VALUE);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const x = (bucket: number) => LEFT + (bucket / buckets) * plotWidth;
  const y = (value: number) => TOP + plotHeight - (value / top) * plotHeight;
  const line = (values: number[]) =>
    values
      .map(
        (value, b) =>
          `${b === 0 ? 'M' : 'L'}${x(b).toFixed(1)},${y(value).toFixed(1)}H${x(b + 1).toFixed(1)}`,
      )
      .join('');
  const area = `${line(demand)}V${y(0).toFixed(1)}H${x(0).toFixed(1)}Z`;

  const days = minutes / 1440;
  const dayStep = days > 20 ? 5 : days > 6 ? 1 : days > 1 ? 0.25 : 1 / 24;
  const xTicks: string[] = [];
  for (let day = 0; day <= days + 1e-9; day += dayStep) {
    const px = LEFT + ((day * 1440) / minutes) * plotWidth;
    const label = dayStep >= 1 ? `day ${Math.round(day)}` : `${Math.round(day * 24)} h`;
    xTicks.push(
      `<line x1="${px.toFixed(1)}" y1="${TOP + plotHeight}" x2="${px.toFixed(1)}" y2="${TOP + plotHeight + 5}" stroke="#555"/>`,
      `<text x="${px.toFixed(1)}" y="${TOP + plotHeight + 20}" font-size="11" text-anchor="middle">${label}</text>`,
    );
  }
  const yTicks: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const value = (top / 5) * i;
    yTicks.push(
      `<line x1="${LEFT}" y1="${y(value).toFixed(1)}" x2="${LEFT + plotWidth}" y2="${y(value).toFixed(1)}" stroke="#eee"/>`,
      `<text x="${LEFT - 6}" y="${(y(value) + 4).toFixed(1)}" font-size="11" text-anchor="end">${formatValue(value)}</text>`,
    );
  }
  const legend = [
    `<rect x="${WIDTH - RIGHT + 15}" y="${TOP}" width="14" height="10" fill="#cfcfcf"/>`,
    `<text x="${WIDTH - RIGHT + 35}" y="${TOP + 9}" font-size="12">demand (${escapeXml(report.unit)})</text>`,
    ...policies.flatMap(({ figures }, i) => {
      const ly = TOP + 26 + i * 34;
      return [
        `<line x1="${WIDTH - RIGHT + 15}" y1="${ly + 5}" x2="${WIDTH - RIGHT + 29}" y2="${ly + 5}" stroke="${COLOURS[figures.policy]}" stroke-width="2"/>`,
        `<text x="${WIDTH - RIGHT + 35}" y="${ly + 9}" font-size="12">${escapeXml(figures.label)}</text>`,
        `<text x="${WIDTH - RIGHT + 35}" y="${ly + 23}" font-size="11" fill="#555">$${figures.costUsd.toFixed(2)} · ${figures.ratioToOracle.toFixed(2)}× oracle · ${figures.minutesOverCapacity} min over</text>`,
      ];
    }),
  ];
  const source =
    report.trace.kind === 'synthetic'
      ? `synthetic trace, seed ${report.trace.seed}, ${report.trace.days} days`
      : `trace ${report.trace.file}`;
  const title = `drpilot simulate resize ${report.group}: ${report.metric} demand against capacity (${source})`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...yTicks,
    `<path class="demand" d="${area}" fill="#cfcfcf" stroke="none"/>`,
    ...policies.map(
      ({ figures, values }) =>
        `<path class="series" data-policy="${figures.policy}" d="${line(values)}" fill="none" stroke="${COLOURS[figures.policy]}" stroke-width="1.5"><title>${escapeXml(`${figures.label}: ${figures.detail}`)}</title></path>`,
    ),
    `<line x1="${LEFT}" y1="${TOP + plotHeight}" x2="${LEFT + plotWidth}" y2="${TOP + plotHeight}" stroke="#555"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${TOP + plotHeight}" stroke="#555"/>`,
    ...xTicks,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

function formatValue(value: number): string {
  if (value === 0) return '0';
  return value >= 1000
    ? `${Math.round(value).toLocaleString('en-US')}`
    : value.toFixed(value >= 10 ? 0 : 1);
}
