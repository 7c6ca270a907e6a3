import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

import * as planner from '../../lambdas/core/resize/plan-resize';
import { simulateResize } from '../../lambdas/core/resize/simulate/simulate-resize';
import { exampleConfig } from '../support/example-config';

vi.mock('../../lambdas/core/resize/plan-resize', async (importOriginal) => {
  const original = await importOriginal<typeof planner>();
  return { ...original, planResize: vi.fn(original.planResize) };
});

const SIMULATE_DIR = fileURLToPath(new URL('../../lambdas/core/resize/simulate/', import.meta.url));

describe('the ladder policy is the Lambda’s planner', () => {
  it('is imported once, from lambdas/core/resize/plan-resize, and copied nowhere', () => {
    const sources = readdirSync(SIMULATE_DIR)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => ({ name, text: readFileSync(`${SIMULATE_DIR}${name}`, 'utf8') }));
    const importers = sources.filter(({ text }) =>
      /import \{[^}]*\bplanResize\b[^}]*\} from '\.\.\/plan-resize'/.test(text),
    );
    expect(importers.map(({ name }) => name)).toEqual(['ladder-fleet.ts']);
    for (const { name, text } of sources) {
      expect({
        name,
        defines: /function planResize|smallestKMeetingNeed|largestKUnderHysteresis/.test(text),
      }).toEqual({
        name,
        defines: false,
      });
    }
  });

  it('decides every rollout the simulation makes', () => {
    const planResize = vi.mocked(planner.planResize);
    planResize.mockClear();
    const config = exampleConfig();
    const result = simulateResize({
      group: config.nodeGroups[0],
      region: 'us-east-1',
      trace: { kind: 'synthetic', seed: 7, days: 3 },
      nodes: 3,
      startType: null,
      timing: { moveMinutes: 5, launchMinutes: 4, drainMinutes: 2 },
      prices: null,
    });
    if (!result.ok) throw new Error(result.error);
    const ladder = result.report.policies.find((p) => p.policy === 'ladder')!;
    const resizes = planResize.mock.results.filter(
      (call) => call.type === 'return' && call.value.kind === 'resize',
    );
    expect(planResize.mock.calls.length).toBeGreaterThan(ladder.resizes);
    expect(ladder.resizes).toBeGreaterThan(0);
    expect(resizes).toHaveLength(ladder.resizes);
    expect(
      resizes.reduce((sum, call) => sum + (call.value as planner.ResizeStep).nodes.length, 0),
    ).toBe(ladder.nodesTouched);
  });
});
