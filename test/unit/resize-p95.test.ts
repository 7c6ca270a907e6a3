import { describe, expect, it } from 'vitest';

import {
  groupUtilisationSeries,
  p95,
  percentile,
  utilisationFromDatapoints,
} from '../../lambdas/core/resize/p95';

describe('p95 (nearest rank)', () => {
  it.each([
    [[], null],
    [[42], 42],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10],
    [Array.from({ length: 20 }, (_, i) => i + 1), 19],
    [Array.from({ length: 100 }, (_, i) => 100 - i), 95],
    [[Number.NaN, Number.POSITIVE_INFINITY, 7], 7],
  ])('p95(%j) = %s', (values, expected) => {
    expect(p95(values)).toBe(expected);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    p95(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('percentile rejects p outside (0, 100]', () => {
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });
});

describe('group utilisation', () => {
  it('weights nodes by capacity and sorts by time', () => {
    const series = groupUtilisationSeries([
      {
        nodeId: 'i-1',
        capacity: 2,
        points: [
          { timestampMs: 2000, percent: 100 },
          { timestampMs: 1000, percent: 40 },
        ],
      },
      {
        nodeId: 'i-2',
        capacity: 6,
        points: [
          { timestampMs: 1000, percent: 20 },
          { timestampMs: 2000, percent: 0 },
        ],
      },
    ]);
    expect(series).toEqual([
      { timestampMs: 1000, percent: 25 },
      { timestampMs: 2000, percent: 25 },
    ]);
  });

  it('drops timestamps reported by too little of the capacity', () => {
    const series = [
      { nodeId: 'i-1', capacity: 1, points: [{ timestampMs: 1, percent: 90 }] },
      { nodeId: 'i-2', capacity: 3, points: [{ timestampMs: 2, percent: 10 }] },
    ];
    expect(groupUtilisationSeries(series)).toEqual([{ timestampMs: 2, percent: 10 }]);
    expect(groupUtilisationSeries(series, { minCoverage: 0 })).toHaveLength(2);
  });

  it('utilisationFromDatapoints gives the p95 and the count, or null', () => {
    const points = Array.from({ length: 20 }, (_, i) => ({ timestampMs: i, percent: i * 5 }));
    expect(utilisationFromDatapoints([{ nodeId: 'i-1', capacity: 4, points }])).toEqual({
      p95Percent: 90,
      datapoints: 20,
    });
    expect(utilisationFromDatapoints([])).toBeNull();
    expect(utilisationFromDatapoints([{ nodeId: 'i-1', capacity: 4, points: [] }])).toBeNull();
  });
});
