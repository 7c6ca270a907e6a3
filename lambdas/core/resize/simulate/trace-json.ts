/**
 * A JSON trace: an array of points — `{ "timestamp": …, "value": … }` or `{ "timestamp": …,
 * "percent": …, "capacity": … }`, each optionally with a `group` — or an object mapping group ids
 * to such arrays. Errors name the point (`[12].value`) or, for broken JSON, the line and column.
 */
import { jsonErrorLocation } from './json-error-location';
import { parseTimestamp, rowDemand } from './trace-fields';
import { MAX_TRACE_ROWS } from './trace-row';
import type { TraceRow, TraceRows } from './trace-row';

export function parseTraceJson(text: string, file: string): TraceRows {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const { line, column } = jsonErrorLocation(text);
    return {
      ok: false,
      error: `${file} line ${line} column ${column}: not valid JSON (${(error as Error).message.split('\n')[0]})`,
    };
  }
  const fail = (where: string, message: string): TraceRows => ({
    ok: false,
    error: `${file}: ${where} ${message}`,
  });
  const lists: { group: string | null; prefix: string; points: unknown }[] = Array.isArray(document)
    ? [{ group: null, prefix: '', points: document }]
    : isRecord(document)
      ? Object.entries(document).map(([group, points]) => ({
          group,
          prefix: `[${JSON.stringify(group)}]`,
          points,
        }))
      : [];
  if (lists.length === 0) {
    return fail('(document)', 'must be an array of points or an object of group id → points');
  }
  const rows: TraceRow[] = [];
  for (const { group, prefix, points } of lists) {
    if (!Array.isArray(points)) return fail(prefix, 'must be an array of points');
    for (let i = 0; i < points.length; i++) {
      const where = `${prefix}[${i}]`;
      const point: unknown = points[i];
      if (!isRecord(point)) return fail(where, 'must be an object with timestamp and value');
      if (rows.length >= MAX_TRACE_ROWS) return fail(where, `is past ${MAX_TRACE_ROWS} points`);
      const unknown = Object.keys(point).filter(
        (key) => !['timestamp', 'value', 'percent', 'capacity', 'group'].includes(key),
      );
      if (unknown.length > 0) return fail(`${where}.${unknown[0]}`, 'is not a trace field');
      const timestamp = scalar(point.timestamp);
      if (timestamp === undefined) return fail(`${where}.timestamp`, 'is missing');
      const timestampMs = parseTimestamp(timestamp);
      if (typeof timestampMs === 'string') return fail(`${where}.timestamp`, timestampMs);
      const fields = {
        value: scalar(point.value),
        percent: scalar(point.percent),
        capacity: scalar(point.capacity),
      };
      for (const key of ['value', 'percent', 'capacity'] as const) {
        if (key in point && fields[key] === undefined)
          return fail(`${where}.${key}`, 'must be a number');
      }
      if ((fields.value === undefined) === (fields.percent === undefined)) {
        return fail(where, 'needs either value or percent and capacity');
      }
      const value = rowDemand(fields);
      if (typeof value === 'string') return fail(where, value);
      const own = point.group;
      if (own !== undefined && (typeof own !== 'string' || own === '' || group !== null)) {
        return fail(`${where}.group`, 'must be a non-empty string, and only in an array trace');
      }
      rows.push({ timestampMs, value, group: group ?? (own as string | undefined) ?? null, where });
    }
  }
  return { ok: true, rows };
}

function scalar(value: unknown): string | number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
