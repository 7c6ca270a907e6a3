import { describe, expect, it } from 'vitest';

import {
  groupTrace,
  minuteDemand,
  parseTrace,
} from '../../lambdas/core/resize/simulate/parse-trace';

const T0 = Date.UTC(2026, 5, 1);
const iso = (minute: number) => new Date(T0 + minute * 60_000).toISOString();

/** Parses and selects the group's points, or returns the error. */
function load(text: string, group = 'workers', file = 'trace.csv') {
  const rows = parseTrace(text, file);
  if (!rows.ok) return { error: rows.error };
  const points = groupTrace(rows.rows, group, file);
  return points.ok ? { points: points.points } : { error: points.error };
}

describe('parseTrace: CSV', () => {
  it('reads timestamp,value rows, skipping blank lines and # comments', () => {
    const text = [
      '# exported from CloudWatch',
      'timestamp,value',
      '',
      `${iso(0)},2.5`,
      `${iso(20)},4`,
    ].join('\n');
    expect(load(text)).toEqual({
      points: [
        { timestampMs: T0, value: 2.5 },
        { timestampMs: T0 + 20 * 60_000, value: 4 },
      ],
    });
  });

  it.each([
    ['unix seconds', `${T0 / 1000}`, T0],
    ['unix milliseconds', `${T0}`, T0],
    ['an offset instead of Z', '2026-06-01T02:00:00+02:00', T0],
    ['a space instead of T', '2026-06-01 00:00:00Z', T0],
  ])('accepts %s as a timestamp', (_, raw, expected) => {
    const result = load(`timestamp,value\n${raw},1\n${iso(30)},1`);
    expect(result.points?.[0]?.timestampMs).toBe(expected);
  });

  it('turns percent of a stated capacity into demand, and keeps the named group only', () => {
    const text = [
      'timestamp,percent,capacity,group',
      `${iso(0)},50,12,workers`,
      `${iso(0)},90,8,other`,
      `${iso(30)},25,16,workers`,
    ].join('\r\n');
    expect(load(text)).toEqual({
      points: [
        { timestampMs: T0, value: 6 },
        { timestampMs: T0 + 30 * 60_000, value: 4 },
      ],
    });
  });

  it.each([
    [
      'no header at all',
      '',
      'trace.csv line 1: no header: the first line names the columns, e.g. timestamp,value',
    ],
    [
      'an unknown column',
      'timestamp,cpu\n',
      'trace.csv line 1: unknown column "cpu": the header names timestamp, then value (or percent and capacity), and optionally group',
    ],
    [
      'value and percent together',
      'timestamp,value,percent,capacity\n',
      'trace.csv line 1: name either a value column or percent and capacity columns',
    ],
    [
      'percent without capacity',
      'timestamp,percent\n',
      'trace.csv line 1: percent needs a capacity column (and back)',
    ],
    [
      'a value that is not a number',
      `timestamp,value\n${iso(0)},1\n${iso(5)},abc\n`,
      'trace.csv line 3: value "abc" is not a number ≥ 0',
    ],
    [
      'a negative value',
      `timestamp,value\n${iso(0)},-1\n`,
      'trace.csv line 2: value "-1" is not a number ≥ 0',
    ],
    [
      'a percent above 100',
      `timestamp,percent,capacity\n${iso(0)},120,4\n`,
      'trace.csv line 2: percent "120" is not a number ≥ 0 and ≤ 100',
    ],
    [
      'a timestamp without a zone',
      'timestamp,value\n2026-06-01T00:00:00,1\n',
      'trace.csv line 2: timestamp "2026-06-01T00:00:00" is neither ISO 8601 with a zone (2026-06-01T00:00:00Z) nor unix seconds',
    ],
    [
      'a row with a missing field',
      `timestamp,value\n${iso(0)}\n`,
      'trace.csv line 2: expected 2 fields (timestamp,value), got 1',
    ],
    [
      'timestamps going backwards',
      `timestamp,value\n${iso(10)},1\n${iso(20)},1\n${iso(15)},1\n`,
      `trace.csv line 4: timestamp ${iso(15)} is not after the previous row's (line 3, ${iso(20)})`,
    ],
    [
      'too short a trace',
      `timestamp,value\n${iso(0)},1\n${iso(10)},1\n`,
      'trace.csv: the trace of workers spans 10 minutes; at least 15 are needed',
    ],
    [
      'no rows for the group',
      `timestamp,value,group\n${iso(0)},1,other\n${iso(30)},1,other\n`,
      'trace.csv has no rows for group workers (it has: other)',
    ],
  ])('refuses %s, naming the line', (_, text, error) => {
    expect(load(text)).toEqual({ error });
  });
});

describe('parseTrace: JSON', () => {
  it('reads an array of points', () => {
    const text = JSON.stringify([
      { timestamp: iso(0), value: 3 },
      { timestamp: T0 / 1000 + 1800, percent: 50, capacity: 8 },
    ]);
    expect(load(text, 'workers', 'trace.json')).toEqual({
      points: [
        { timestampMs: T0, value: 3 },
        { timestampMs: T0 + 30 * 60_000, value: 4 },
      ],
    });
  });

  it('reads an object of group id → points', () => {
    const text = JSON.stringify({
      other: [{ timestamp: iso(0), value: 9 }],
      workers: [
        { timestamp: iso(0), value: 1 },
        { timestamp: iso(60), value: 2 },
      ],
    });
    expect(load(text, 'workers', 'trace.json').points?.map((p) => p.value)).toEqual([1, 2]);
  });

  it.each([
    [
      'broken JSON',
      '[\n  {"timestamp": 1780272000, "value": 1},\n  {"timestamp": }\n]',
      /^trace\.json line 3 column 17: not valid JSON \(Unexpected token/,
    ],
    [
      'a value that is not a number',
      '[{"timestamp": 1780272000, "value": "x"}]',
      /^trace\.json: \[0\] value "x" is not a number ≥ 0$/,
    ],
    [
      'a null value',
      '[{"timestamp": 1780272000, "value": null}]',
      /^trace\.json: \[0\]\.value must be a number$/,
    ],
    [
      'an unknown field',
      '[{"timestamp": 1780272000, "value": 1, "cpu": 2}]',
      /^trace\.json: \[0\]\.cpu is not a trace field$/,
    ],
    [
      'a point without demand',
      '[{"timestamp": 1780272000}]',
      /^trace\.json: \[0\] needs either value or percent and capacity$/,
    ],
    ['an empty object', '{}', /^trace\.json: \(document\) must be an array of points/],
    [
      'a bad point in a group',
      '{"workers": [{"timestamp": "yesterday", "value": 1}]}',
      /^trace\.json: \["workers"\]\[0\]\.timestamp timestamp "yesterday" is neither/,
    ],
  ])('refuses %s, naming where', (_, text, error) => {
    expect(load(text, 'workers', 'trace.json').error).toMatch(error);
  });
});

describe('minuteDemand', () => {
  it('holds a five-minute sample for five minutes and takes the highest sample within a minute', () => {
    const demand = minuteDemand([
      { timestampMs: T0, value: 1 },
      { timestampMs: T0 + 5 * 60_000, value: 3 },
      { timestampMs: T0 + 5 * 60_000 + 20_000, value: 7 },
      { timestampMs: T0 + 10 * 60_000, value: 2 },
    ]);
    expect([...demand]).toEqual([1, 1, 1, 1, 1, 7, 7, 7, 7, 7, 2]);
  });
});
