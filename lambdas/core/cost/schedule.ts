import { DAYS_PER_MONTH, HOURS_PER_MONTH } from './prices';

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTH_NAMES = [
  'JAN',
  'FEB',
  'MAR',
  'APR',
  'MAY',
  'JUN',
  'JUL',
  'AUG',
  'SEP',
  'OCT',
  'NOV',
  'DEC',
];

/** How many values of [min, max] one cron field selects (`*`, `?`, lists, ranges, steps, names). */
function fieldCount(
  field: string,
  min: number,
  max: number,
  names: readonly string[] = [],
): number {
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    // EventBridge numbers days of the week 1–7 (SUN = 1) and months 1–12.
    if (named >= 0) return named + min;
    const n = Number(token);
    if (!Number.isInteger(n)) throw new Error(`unsupported cron value "${token}"`);
    return n;
  };
  const selected = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`unsupported cron step "${part}"`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [value(a), value(b)];
    } else {
      // `L`, `15W`, `5L`, `3#2`: one day (the number before the suffix, or the last one).
      from = value(range.replace(/^(\d*)[LW#].*$/, (_, day: string) => day || String(max)));
      to = stepText === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) selected.add(v);
  }
  return selected.size;
}

/**
 * How often an EventBridge schedule expression fires in a 730-hour month: `rate(n unit)` exactly,
 * `cron(min hour day-of-month month day-of-week year)` on average (a day-of-week field counts its
 * days × 730/24/7, a day-of-month field its days, a month field its share of the year; `L`, `W`
 * and `#` count as one day).
 */
export function firesPerMonth(expression: string): number {
  const rate = /^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$/.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (unit.startsWith('minute')) return (HOURS_PER_MONTH * 60) / n;
    if (unit.startsWith('hour')) return HOURS_PER_MONTH / n;
    return DAYS_PER_MONTH / n;
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6) throw new Error(`a cron expression has 6 fields: "${expression}"`);
    const [minutes = '', hours = '', dayOfMonth = '', month = '', dayOfWeek = ''] = fields;
    const perDay = fieldCount(minutes, 0, 59) * fieldCount(hours, 0, 23);
    const any = (f: string) => f === '*' || f === '?';
    let days = DAYS_PER_MONTH;
    if (!any(dayOfWeek)) days = (fieldCount(dayOfWeek, 1, 7, DAY_NAMES) * DAYS_PER_MONTH) / 7;
    else if (!any(dayOfMonth)) days = fieldCount(dayOfMonth, 1, 31);
    const months = any(month) ? 1 : fieldCount(month, 1, 12, MONTH_NAMES) / 12;
    return perDay * days * months;
  }
  throw new Error(`not an EventBridge schedule expression: "${expression}"`);
}
