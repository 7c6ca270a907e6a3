import { describe, expect, it } from 'vitest';

import {
  SYNTHETIC_START_MS,
  syntheticTrace,
} from '../../lambdas/core/resize/simulate/synthetic-trace';

const month = syntheticTrace({ seed: 1, days: 30, scale: 48 });
const dayMean = (day: number, fromHour = 0, toHour = 24) => {
  const slice = month.slice(day * 1440 + fromHour * 60, day * 1440 + toHour * 60);
  return slice.reduce((sum, point) => sum + point.value, 0) / slice.length;
};

describe('the synthetic trace', () => {
  it('is one point a minute for 30 days, from Monday 2026-06-01 00:00 UTC', () => {
    expect(month).toHaveLength(43_200);
    expect(month[0]?.timestampMs).toBe(SYNTHETIC_START_MS);
    expect(new Date(SYNTHETIC_START_MS).getUTCDay()).toBe(1);
    expect(month.every((point, i) => point.timestampMs === SYNTHETIC_START_MS + i * 60_000)).toBe(
      true,
    );
  });

  it('stays within (0, 0.95 × scale]', () => {
    expect(month.every((point) => point.value > 0 && point.value <= 0.95 * 48)).toBe(true);
  });

  it('is the same for the same seed and differs for another', () => {
    expect(syntheticTrace({ seed: 1, days: 30, scale: 48 })).toEqual(month);
    expect(syntheticTrace({ seed: 2, days: 30, scale: 48 })).not.toEqual(month);
  });

  it('has a daily cycle, a weekly cycle and growth', () => {
    // Afternoons above nights, on a Tuesday.
    expect(dayMean(1, 12, 15)).toBeGreaterThan(2 * dayMean(1, 0, 5));
    // A weekday above the Saturday after it.
    expect(dayMean(1)).toBeGreaterThan(1.2 * dayMean(5));
    // The last full week above the first.
    const week = (first: number) =>
      [0, 1, 2, 3, 4, 5, 6].reduce((sum, d) => sum + dayMean(first + d), 0) / 7;
    expect(week(21)).toBeGreaterThan(1.15 * week(0));
  });

  it('has spikes: minutes well above the same minute a week earlier', () => {
    const spikes = month.filter(
      (point, i) => i >= 7 * 1440 && point.value > (month[i - 7 * 1440]?.value ?? 0) + 0.1 * 48,
    );
    expect(spikes.length).toBeGreaterThan(100);
  });
});
