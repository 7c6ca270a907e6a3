import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Side } from '../lambdas/core/config/schema';
import { validateConfig } from '../lambdas/core/config/validate';
import { DEFAULT_TIMING } from '../lambdas/core/resize/simulate/rollout-timing';
import { simulateResize } from '../lambdas/core/resize/simulate/simulate-resize';
import type { PolicyName } from '../lambdas/core/resize/simulate/simulate-resize';

const EXAMPLE_CONFIG = fileURLToPath(new URL('../drpilot.config.example.json', import.meta.url));
/** The target for the ladder policy. */
const TARGET_RATIO = 1.1;

export interface SimulateBenchGroup {
  group: string;
  /** Each policy's cost ÷ the oracle's, on the default synthetic month. */
  ratios: Record<PolicyName, number>;
  oracleWorld: string;
  ladderMinutesOverBeyondReaction: number;
  target: string;
  met: boolean;
}

export interface SimulateBenchResult {
  trace: string;
  groups: SimulateBenchGroup[];
}

/**
 * The resize simulator on the default trace (seed 1, 30 days, 3 nodes) for every node group of
 * the example config: each policy's cost as a ratio to the oracle's, in one run. Costs, not
 * speed: the figures are deterministic.
 */
export function benchResizeSimulation(): SimulateBenchResult {
  const validated = validateConfig(JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8')));
  if (!validated.ok)
    throw new Error(`the example config is invalid: ${JSON.stringify(validated.errors)}`);
  const config = validated.config;
  const groups = config.nodeGroups.map((group) => {
    const result = simulateResize({
      group,
      region: config.clusters[group.cluster as Side].region,
      trace: { kind: 'synthetic', seed: 1, days: 30 },
      nodes: 3,
      startType: null,
      timing: DEFAULT_TIMING,
      prices: null,
    });
    if (!result.ok) throw new Error(`${group.id}: ${result.error}`);
    const figures = Object.fromEntries(result.report.policies.map((p) => [p.policy, p])) as Record<
      PolicyName,
      (typeof result.report.policies)[number]
    >;
    const ladder = figures.ladder;
    return {
      group: group.id,
      ratios: Object.fromEntries(
        Object.entries(figures).map(([name, p]) => [name, p.ratioToOracle]),
      ) as Record<PolicyName, number>,
      oracleWorld: figures.oracle.label,
      ladderMinutesOverBeyondReaction: ladder.minutesOverBeyondReaction,
      target: `ladder ≤ ${TARGET_RATIO}× oracle, 0 min over capacity beyond the reaction time`,
      met: ladder.ratioToOracle <= TARGET_RATIO && ladder.minutesOverBeyondReaction === 0,
    };
  });
  return { trace: 'synthetic, seed 1, 30 days, 3 nodes', groups };
}

export function formatSimulateBench(result: SimulateBenchResult): string[] {
  return [
    `Resize simulator, cost as a ratio to the oracle (${result.trace}; README "Resize simulator" explains the gap)`,
    ...result.groups.map(
      (g) =>
        `  ${g.group.padEnd(18)} ladder ${g.ratios.ladder.toFixed(2)}×  horizontal ${g.ratios.horizontal.toFixed(2)}×  static ${g.ratios.static.toFixed(2)}×  vs ${g.oracleWorld}; ladder over capacity beyond reaction ${g.ladderMinutesOverBeyondReaction} min (target ${g.target}) ${g.met ? 'PASS' : 'MISS'}`,
    ),
  ];
}
