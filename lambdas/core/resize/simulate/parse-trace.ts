/**
 * A utilisation trace file's text → one group's demand per minute. CSV or JSON (told apart by the
 * first character); the rows of the simulated group (or every row, when the trace names no group);
 * timestamps strictly increasing. Pure: the CLI reads the file and passes its text in.
 */
import { parseTraceCsv } from './trace-csv';
import { parseTraceJson } from './trace-json';
import type { TracePoint } from './trace-point';
import type { TraceRow, TraceRows } from './trace-row';

/** The alarm and p95 windows need at least this much trace. */
export const MIN_TRACE_MINUTES = 15;
/** At most this long: the oracle keeps one decision per state and minute. */
export const MAX_TRACE_MINUTES = 400 * 1440;

export type GroupTrace = { ok: true; points: TracePoint[] } | { ok: false; error: string };

export function parseTrace(text: string, file: string): TraceRows {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const first = body.trimStart()[0];
  return first === '[' || first === '{' ? parseTraceJson(body, file) : parseTraceCsv(body, file);
}

/** The points of `groupId` (all points when the trace names no group), checked for order and span. */
export function groupTrace(rows: readonly TraceRow[], groupId: string, file: string): GroupTrace {
  const named = rows.some((row) => row.group !== null);
  if (named && rows.some((row) => row.group === null)) {
    const unnamed = rows.find((row) => row.group === null) as TraceRow;
    return { ok: false, error: `${file} ${unnamed.where}: no group, while other rows name one` };
  }
  const mine = named ? rows.filter((row) => row.group === groupId) : [...rows];
  if (named && mine.length === 0) {
    const groups = [...new Set(rows.map((row) => row.group))].join(', ');
    return { ok: false, error: `${file} has no rows for group ${groupId} (it has: ${groups})` };
  }
  for (let i = 1; i < mine.length; i++) {
    const previous = mine[i - 1] as TraceRow;
    const row = mine[i] as TraceRow;
    if (row.timestampMs <= previous.timestampMs) {
      return {
        ok: false,
        error: `${file} ${row.where}: timestamp ${new Date(row.timestampMs).toISOString()} is not after the previous row's (${previous.where}, ${new Date(previous.timestampMs).toISOString()})`,
      };
    }
  }
  const first = mine[0];
  const last = mine[mine.length - 1];
  const span = first && last ? (last.timestampMs - first.timestampMs) / 60_000 : 0;
  if (span < MIN_TRACE_MINUTES) {
    return {
      ok: false,
      error: `${file}: the trace of ${groupId} spans ${Math.floor(span)} minutes; at least ${MIN_TRACE_MINUTES} are needed`,
    };
  }
  if (span > MAX_TRACE_MINUTES) {
    return {
      ok: false,
      error: `${file}: the trace of ${groupId} spans ${Math.round(span / 1440)} days; at most ${MAX_TRACE_MINUTES / 1440} are simulated`,
    };
  }
  return {
    ok: true,
    points: mine.map(({ timestampMs, value }) => ({ timestampMs, value })),
  };
}

/**
 * Demand per minute from the first point's minute to the last's: the highest sample within a
 * minute, else the last sample before it (a trace at five-minute resolution holds each value for
 * five minutes).
 */
export function minuteDemand(points: readonly TracePoint[]): Float64Array {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return new Float64Array(0);
  const startMs = first.timestampMs;
  const minutes = Math.floor((last.timestampMs - startMs) / 60_000) + 1;
  const demand = new Float64Array(minutes).fill(Number.NaN);
  for (const point of points) {
    const minute = Math.floor((point.timestampMs - startMs) / 60_000);
    const current = demand[minute] as number;
    demand[minute] = Number.isNaN(current) ? point.value : Math.max(current, point.value);
  }
  for (let minute = 1; minute < minutes; minute++) {
    if (Number.isNaN(demand[minute] as number)) demand[minute] = demand[minute - 1] as number;
  }
  return demand;
}
