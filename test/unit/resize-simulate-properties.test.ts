import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { NodeGroupConfig } from '../../lambdas/core/config/schema';
import { verticalOracle } from '../../lambdas/core/resize/simulate/oracle-vertical';
import { runLadder } from '../../lambdas/core/resize/simulate/policy-runs';
import { simulateResize } from '../../lambdas/core/resize/simulate/simulate-resize';
import type { SimulationReport } from '../../lambdas/core/resize/simulate/simulate-resize';
import { prepareSimulation } from '../../lambdas/core/resize/simulate/simulation-setup';
import type { SimulationInput } from '../../lambdas/core/resize/simulate/simulation-setup';
import { STATIC_PEAK_FACTOR } from '../../lambdas/core/resize/simulate/static-fleet';
import { exampleConfig } from '../support/example-config';

const RUNS = { numRuns: 40 };
const T0 = Date.UTC(2026, 5, 1);
const SIZES = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge'];
/** vCPUs of SIZES, for sizing demand against the ladder's top. */
const VCPUS = [2, 4, 8, 16, 32];
const MIB_PER_VCPU: Record<string, number> = { m6i: 4096, r6i: 8192, c7g: 2048, m7i: 4096 };

const BASE_GROUP = exampleConfig().nodeGroups[0] as NodeGroupConfig;

/** A group on 2–4 consecutive sizes of a catalogue family, with thresholds the config accepts. */
const groupArbitrary = fc
  .record({
    family: fc.constantFrom('m6i', 'r6i', 'c7g', 'm7i'),
    first: fc.integer({ min: 0, max: 3 }),
    length: fc.integer({ min: 2, max: 4 }),
    metric: fc.constantFrom('cpu' as const, 'memory' as const),
    kind: fc.constantFrom('ec2' as const, 'asg' as const),
    scaleUpAt: fc.integer({ min: 60, max: 95 }),
    downShare: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
    headroom: fc.constantFrom(1, 1.1, 1.2, 1.5),
    cooldownSeconds: fc.constantFrom(0, 300, 1800),
  })
  .map((g) => {
    const sizes = SIZES.slice(g.first, Math.min(SIZES.length, g.first + g.length));
    const scaleDownAt = Math.max(1, Math.floor((g.scaleUpAt / 2) * g.downShare));
    const group = {
      ...BASE_GROUP,
      kind: g.kind,
      metric: g.metric,
      ladder: sizes.map((size) => `${g.family}.${size}`),
      maxStepRatio: 2,
      headroom: g.headroom,
      scaleUpAt: g.scaleUpAt,
      scaleDownAt,
      cooldownSeconds: g.cooldownSeconds,
    } as NodeGroupConfig;
    const topVcpus = VCPUS[SIZES.indexOf(sizes[sizes.length - 1] as string)] as number;
    const top = g.metric === 'cpu' ? topVcpus : topVcpus * (MIB_PER_VCPU[g.family] as number);
    return { group, top };
  });

const timingArbitrary = fc.record({
  moveMinutes: fc.integer({ min: 1, max: 8 }),
  launchMinutes: fc.integer({ min: 1, max: 6 }),
  drainMinutes: fc.integer({ min: 0, max: 3 }),
});

/** 2–8 hours at five-minute resolution, as shares of the ladder's largest capacity (up to 110 %). */
const sharesArbitrary = fc
  .tuple(
    fc.double({ min: 0.2, max: 1.1, noNaN: true }),
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 24, maxLength: 96 }),
  )
  .map(([ceiling, shares]) => shares.map((share) => ceiling * share));

const scenario = fc
  .record({
    sized: groupArbitrary,
    nodes: fc.integer({ min: 1, max: 4 }),
    timing: timingArbitrary,
    shares: sharesArbitrary,
  })
  .map(({ sized, nodes, timing, shares }): SimulationInput => ({
    group: sized.group,
    region: 'us-east-1',
    trace: {
      kind: 'file',
      file: 'generated',
      points: shares.map((share, i) => ({
        timestampMs: T0 + i * 5 * 60_000,
        value: share * nodes * sized.top,
      })),
    },
    nodes,
    startType: null,
    timing,
    prices: null,
  }));

function report(input: SimulationInput): SimulationReport {
  const result = simulateResize(input);
  if (!result.ok) throw new Error(result.error);
  return result.report;
}

describe('resize simulator properties', () => {
  it('no policy beats the oracle: fewer minutes over capacity, or as few and cheaper', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { policies } = report(input);
        const oracle = policies.find((p) => p.policy === 'oracle');
        for (const policy of policies) {
          expect(oracle!.minutesOverCapacity).toBeLessThanOrEqual(policy.minutesOverCapacity);
          if (policy.minutesOverCapacity === oracle!.minutesOverCapacity) {
            expect(oracle!.costUsd).toBeLessThanOrEqual(policy.costUsd);
          }
        }
      }),
      RUNS,
    );
  });

  it('in the ladder’s own world (its nodes, its moves) the oracle alone never loses to the ladder policy', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const prepared = prepareSimulation(input);
        if (!prepared.ok) throw new Error(prepared.error);
        const { setup } = prepared;
        const ladder = runLadder(setup, setup.policy);
        const oracle = verticalOracle({
          demand: setup.demand,
          capacities: setup.rungs.capacities,
          microUsdPerHour: setup.rungPrices,
          nodes: input.nodes,
          timing: input.timing,
        });
        expect(oracle.minutesOverCapacity).toBeLessThanOrEqual(ladder.minutesOverCapacity);
        if (oracle.minutesOverCapacity === ladder.minutesOverCapacity) {
          expect(oracle.costMicroUsdMinutes).toBeLessThanOrEqual(ladder.costMicroUsdMinutes);
        }
      }),
      RUNS,
    );
  });

  it('no policy leaves its ladder, and only the horizontal policy changes the node count', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { policies, setup } = report(input);
        for (const policy of policies) {
          for (const type of policy.typesUsed) expect(setup.rungs).toContain(type);
          expect(policy.maxNodes).toBeLessThanOrEqual(
            policy.policy === 'horizontal' || policy.policy === 'oracle'
              ? setup.horizontalMaxNodes
              : input.nodes,
          );
        }
        expect(policies.find((p) => p.policy === 'horizontal')!.typesUsed).toEqual([
          setup.startType,
        ]);
      }),
      RUNS,
    );
  });

  it('static sizing for 120 % of the peak is never over capacity when the ladder can carry it', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { policies, trace, setup } = report(input);
        fc.pre(STATIC_PEAK_FACTOR * trace.peak <= input.nodes * capacityOfTop(setup, input));
        const fixed = policies.find((p) => p.policy === 'static')!;
        expect(fixed.minutesOverCapacity).toBe(0);
        expect(fixed.resizes).toBe(0);
      }),
      RUNS,
    );
  });

  it('the same trace and settings give the same figures', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        expect(report(input)).toEqual(report(input));
      }),
      { numRuns: 15 },
    );
  });

  it('a flat trace makes the ladder policy resize nothing', () => {
    fc.assert(
      fc.property(
        groupArbitrary,
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        ({ group, top }, nodes, share) => {
          // Flat at a level the ladder's top carries below scaleUpAt.
          const level = share * (group.scaleUpAt / 100) * nodes * top;
          const { policies, setup } = report({
            group,
            region: 'us-east-1',
            trace: {
              kind: 'file',
              file: 'flat',
              points: [0, 6 * 60].map((minute) => ({
                timestampMs: T0 + minute * 60_000,
                value: level,
              })),
            },
            nodes,
            startType: null,
            timing: { moveMinutes: 5, launchMinutes: 4, drainMinutes: 2 },
            prices: null,
          });
          const ladder = policies.find((p) => p.policy === 'ladder')!;
          expect(ladder.resizes).toBe(0);
          expect(ladder.minutesOverCapacity).toBe(0);
          expect(setup.rungs).toContain(setup.startType);
        },
      ),
      RUNS,
    );
  });
});

/** The per-node capacity of the ladder's top rung for this scenario's metric. */
function capacityOfTop(setup: SimulationReport['setup'], input: SimulationInput): number {
  const top = setup.rungs[setup.rungs.length - 1] as string;
  const [family, size] = top.split('.') as [string, string];
  const vcpus = VCPUS[SIZES.indexOf(size)] as number;
  return input.group.metric === 'cpu' ? vcpus : vcpus * (MIB_PER_VCPU[family] as number);
}
