/**
 * The fields of one trace row, checked the same way for CSV and JSON: a timestamp with an
 * explicit zone (or unix seconds or milliseconds), and either a demand `value` in the group's unit
 * or a `percent` of a stated `capacity`. Each check returns a message, or the parsed value.
 */

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const UNIX = /^\d{9,13}(\.\d+)?$/;
/** 2000-01-01 and 2100-01-01: a timestamp outside is a unit mistake, not a trace. */
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);

export function parseTimestamp(raw: string | number): number | string {
  const text = String(raw).trim();
  let ms = Number.NaN;
  if (ISO_WITH_ZONE.test(text)) ms = Date.parse(text.replace(' ', 'T'));
  else if (UNIX.test(text)) {
    const number = Number(text);
    ms = number < 1e11 ? number * 1000 : number;
  }
  if (Number.isNaN(ms)) {
    return `timestamp "${text}" is neither ISO 8601 with a zone (2026-06-01T00:00:00Z) nor unix seconds`;
  }
  if (ms < EARLIEST_MS || ms >= LATEST_MS) {
    return `timestamp "${text}" is not between 2000 and 2100`;
  }
  return ms;
}

export function parseNumber(
  name: string,
  raw: string | number,
  range: { min: number; max: number; minExclusive?: boolean },
): number | string {
  const text = String(raw).trim();
  const value = typeof raw === 'number' ? raw : text === '' ? Number.NaN : Number(text);
  const above = range.minExclusive ? value > range.min : value >= range.min;
  if (!Number.isFinite(value) || !above || value > range.max) {
    const low = range.minExclusive ? `> ${range.min}` : `≥ ${range.min}`;
    const high = Number.isFinite(range.max) ? ` and ≤ ${range.max}` : '';
    return `${name} "${text}" is not a number ${low}${high}`;
  }
  return value;
}

/** The demand a row states: `value`, or `percent` of `capacity`. */
export function rowDemand(fields: {
  value?: string | number;
  percent?: string | number;
  capacity?: string | number;
}): number | string {
  if (fields.value !== undefined) {
    return parseNumber('value', fields.value, { min: 0, max: Number.POSITIVE_INFINITY });
  }
  const percent = parseNumber('percent', fields.percent ?? '', { min: 0, max: 100 });
  if (typeof percent === 'string') return percent;
  const capacity = parseNumber('capacity', fields.capacity ?? '', {
    min: 0,
    max: Number.POSITIVE_INFINITY,
    minExclusive: true,
  });
  if (typeof capacity === 'string') return capacity;
  return (percent / 100) * capacity;
}
