/**
 * A CSV trace: a header naming the columns — `timestamp`, then `value` (demand in the group's
 * unit) or `percent` and `capacity`, and optionally `group` — then one row per sample. Blank lines
 * and lines starting with `#` are skipped. Every error names its line.
 */
import { parseTimestamp, rowDemand } from './trace-fields';
import { MAX_TRACE_ROWS } from './trace-row';
import type { TraceRow, TraceRows } from './trace-row';

const KNOWN = ['timestamp', 'value', 'percent', 'capacity', 'group'] as const;
type Column = (typeof KNOWN)[number];

export function parseTraceCsv(text: string, file: string): TraceRows {
  const lines = text.split('\n');
  const fail = (line: number, message: string): TraceRows => ({
    ok: false,
    error: `${file} line ${line}: ${message}`,
  });
  let header: Column[] | null = null;
  const rows: TraceRow[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const content = (lines[index] as string).replace(/\r$/, '').trim();
    if (content === '' || content.startsWith('#')) continue;
    const fields = content.split(',').map(unquote);
    if (!header) {
      const parsed = parseHeader(fields);
      if (typeof parsed === 'string') return fail(line, parsed);
      header = parsed;
      continue;
    }
    if (fields.length !== header.length) {
      return fail(
        line,
        `expected ${header.length} fields (${header.join(',')}), got ${fields.length}`,
      );
    }
    if (rows.length >= MAX_TRACE_ROWS) return fail(line, `more than ${MAX_TRACE_ROWS} rows`);
    const row: Partial<Record<Column, string>> = {};
    header.forEach((column, i) => (row[column] = fields[i]));
    const timestampMs = parseTimestamp(row.timestamp ?? '');
    if (typeof timestampMs === 'string') return fail(line, timestampMs);
    const value = rowDemand(row);
    if (typeof value === 'string') return fail(line, value);
    const group = row.group === undefined ? null : row.group;
    if (group === '') return fail(line, 'group is empty');
    rows.push({ timestampMs, value, group, where: `line ${line}` });
  }
  if (!header) return fail(1, 'no header: the first line names the columns, e.g. timestamp,value');
  return { ok: true, rows };
}

function parseHeader(fields: string[]): Column[] | string {
  const columns = fields.map((field) => field.toLowerCase());
  for (const column of columns) {
    if (!(KNOWN as readonly string[]).includes(column)) {
      return `unknown column "${column}": the header names timestamp, then value (or percent and capacity), and optionally group`;
    }
  }
  if (new Set(columns).size !== columns.length) return 'a column is named twice';
  const has = (column: Column) => columns.includes(column);
  if (!has('timestamp')) return 'no timestamp column';
  if (has('value') === (has('percent') || has('capacity'))) {
    return 'name either a value column or percent and capacity columns';
  }
  if (has('percent') !== has('capacity')) return 'percent needs a capacity column (and back)';
  return columns as Column[];
}

function unquote(field: string): string {
  const trimmed = field.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1)
    : trimmed;
}
