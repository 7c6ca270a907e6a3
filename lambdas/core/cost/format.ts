import { costGoalVerdicts, describeAssumptions, type CostTable } from './plan-cost';

const usd = (n: number) => `$${n.toFixed(2)}`;

function quantity(n: number): string {
  if (n === 0) return '0';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n < 10 ? n.toFixed(3) : Math.round(n).toLocaleString('en-US');
}

/**
 * The tables of one set of templates at several node counts, side by side: one row per line,
 * quantity and monthly cost per node count, totals, then the assumptions of the first table
 * (the others differ only in the node count).
 */
export function formatCostTables(tables: readonly CostTable[]): string {
  const [first] = tables;
  if (!first) return '';
  if (tables.some((t) => t.lines.length !== first.lines.length)) {
    throw new Error('tables of different templates cannot be shown side by side');
  }
  const header = [
    'service',
    'item',
    'unit price',
    ...tables.flatMap((t) => [`qty @${t.assumptions.nodes}`, `$/mo @${t.assumptions.nodes}`]),
  ];
  const rows = first.lines.map((l, i) => [
    l.service,
    `${l.item}${l.perNode ? ' *' : ''}`,
    `$${l.unitPrice < 0.01 ? l.unitPrice.toPrecision(3) : l.unitPrice.toFixed(2)}/${l.unit}`,
    ...tables.flatMap((t) => {
      const row = t.lines[i];
      return row ? [quantity(row.quantity), usd(row.monthly)] : ['', ''];
    }),
  ]);
  const totals = ['total', '', '', ...tables.flatMap((t) => ['', usd(t.total)])];
  const all = [header, ...rows, totals];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const numeric = (c: number) => c >= 3;
  const render = (r: string[]) =>
    r
      .map((cell, c) => (numeric(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const goals = costGoalVerdicts(tables);
  return [
    `drpilot monthly cost (${first.region} list prices as of ${first.pricesAsOf}, USD)`,
    '',
    render(header),
    rule,
    ...rows.map(render),
    rule,
    render(totals),
    '',
    '* grows with the node count',
    '',
    ...(goals.length > 0 ? ['Goals (issue 14):', ...goals.map((g) => `  - ${g}`), ''] : []),
    'Assumptions:',
    ...describeAssumptions(first.assumptions).map((s) => `  - ${s}`),
    ...(first.unpricedTypes.length > 0
      ? ['', `Not priced (unknown resource types): ${first.unpricedTypes.join(', ')}`]
      : []),
  ].join('\n');
}
