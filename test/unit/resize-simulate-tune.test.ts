import { describe, expect, it } from 'vitest';

import { simulateResize } from '../../lambdas/core/resize/simulate/simulate-resize';
import { tuningGrid } from '../../lambdas/core/resize/simulate/tune-policy';
import type { ResizePolicy } from '../../lambdas/core/resize/plan-resize';
import { exampleConfig } from '../support/example-config';

const group = exampleConfig().nodeGroups[0];

describe('tuning suggestions', () => {
  it('try only thresholds the config accepts, the current ones first', () => {
    const grid = tuningGrid(group as ResizePolicy);
    expect(grid[0]).toEqual(group);
    for (const policy of grid) {
      expect(policy.scaleDownAt).toBeLessThan(policy.scaleUpAt);
      expect(policy.scaleDownAt * policy.maxStepRatio).toBeLessThan(policy.scaleUpAt);
      expect(policy.headroom).toBeGreaterThanOrEqual(1);
    }
    expect(new Set(grid.map((p) => JSON.stringify(p))).size).toBe(grid.length);
  });

  it('suggest only settings that cost less without more over-capacity minutes beyond the reaction', () => {
    const result = simulateResize(
      {
        group,
        region: 'us-east-1',
        trace: { kind: 'synthetic', seed: 3, days: 2 },
        nodes: 3,
        startType: null,
        timing: { moveMinutes: 5, launchMinutes: 4, drainMinutes: 2 },
        prices: null,
      },
      { tune: true },
    );
    if (!result.ok) throw new Error(result.error);
    const [current, ...suggestions] = result.report.tuning!;
    const ladder = result.report.policies.find((p) => p.policy === 'ladder')!;
    expect(current).toMatchObject({
      current: true,
      headroom: group.headroom,
      scaleUpAt: group.scaleUpAt,
      costUsd: ladder.costUsd,
      minutesOverBeyondReaction: ladder.minutesOverBeyondReaction,
    });
    expect(suggestions.length).toBeGreaterThan(0);
    for (const suggestion of suggestions) {
      expect(suggestion.current).toBe(false);
      expect(suggestion.costUsd).toBeLessThan(current!.costUsd);
      expect(suggestion.minutesOverBeyondReaction).toBeLessThanOrEqual(
        current!.minutesOverBeyondReaction,
      );
    }
  });
});
