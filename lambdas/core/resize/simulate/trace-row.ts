import type { TracePoint } from './trace-point';

/** A parsed trace row: a point, the group it belongs to (if the trace names groups) and where it is. */
export interface TraceRow extends TracePoint {
  group: string | null;
  /** For error messages: `line 7` (CSV) or `[6]` / `["workers"][6]` (JSON). */
  where: string;
}

export type TraceRows = { ok: true; rows: TraceRow[] } | { ok: false; error: string };

/** At most this many rows: a year of one-minute points, with room to spare. */
export const MAX_TRACE_ROWS = 2_000_000;
