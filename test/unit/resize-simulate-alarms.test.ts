import { describe, expect, it } from 'vitest';

import { MemberAlarmModel } from '../../lambdas/core/resize/simulate/member-alarm-model';

/** Feeds one member's datapoints period by period and returns the states after the last. */
function after(datapoints: (number | null)[], others: (number | null)[][] = []) {
  const model = new MemberAlarmModel({ scaleUpAt: 75, scaleDownAt: 30 });
  datapoints.forEach((datapoint, period) =>
    model.period(
      new Map([
        ['node-01', datapoint],
        ...others.map((series, i): [string, number | null] => [
          `node-1${i}`,
          series[period] ?? null,
        ]),
      ]),
    ),
  );
  return model.states();
}

describe('member alarms as CloudWatch evaluates them (up 2 of 3, down 6 of 6, missing not breaching)', () => {
  it.each([
    ['one period at scaleUpAt', [75], { up: false, down: false }],
    ['two of the last three at or above', [80, 50, 76], { up: true, down: false }],
    ['two, but not within the last three', [80, 80, 50, 50], { up: false, down: false }],
    ['a missing datapoint between two breaches', [80, null, 90], { up: true, down: false }],
    ['missing data is not breaching', [null, null, null], { up: false, down: false }],
    ['five quiet periods', [10, 10, 10, 10, 10], { up: false, down: false }],
    ['six quiet periods', [10, 10, 10, 10, 10, 30], { up: false, down: true }],
    ['six quiet periods with one missing', [10, 10, null, 10, 10, 10], { up: false, down: false }],
    ['quiet, then one busy period', [10, 10, 10, 10, 10, 10, 31], { up: false, down: false }],
  ])('%s', (_, datapoints, states) => {
    expect(after(datapoints)).toEqual(states);
  });

  it('is in ALARM when any member is', () => {
    expect(after([50, 50, 50], [[80, 80, 50]])).toEqual({ up: true, down: false });
  });

  it('forgets a member that is gone', () => {
    const model = new MemberAlarmModel({ scaleUpAt: 75, scaleDownAt: 30 });
    model.period(new Map([['node-01', 90]]));
    model.period(new Map([['node-01', 90]]));
    expect(model.states().up).toBe(true);
    model.period(new Map([['node-02', 50]]));
    expect(model.states().up).toBe(false);
  });
});
