import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { capacityOf, compatible } from '../../lambdas/core/resize/instance-types';
import type { InstanceTypeInfo } from '../../lambdas/core/resize/instance-types';
import { stepRatio } from '../../lambdas/core/resize/ladder';
import { planResize } from '../../lambdas/core/resize/plan-resize';
import type {
  PlanResizeInput,
  ResizeNode,
  ResizePolicy,
  ResizeRequest,
} from '../../lambdas/core/resize/plan-resize';

const NOW = '2026-11-21T12:00:00.000Z';
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const RUNS = { numRuns: 400 };

/** Any description at all: ladders full of incompatible and unsorted types. */
const anyType = fc.record({
  vcpus: fc.integer({ min: 1, max: 64 }),
  memoryMiB: fc.integer({ min: 512, max: 262_144 }),
  architecture: fc.constantFrom('x86_64' as const, 'arm64' as const),
  virtualization: fc.constantFrom('hvm' as const, 'hvm' as const, 'paravirtual' as const),
  enaSupported: fc.boolean(),
  nvmeSupported: fc.boolean(),
  offeredInZones: fc.subarray(ZONES, { minLength: 1 }),
});

/** A realistic family: growing sizes, all compatible, now and then one odd type in between. */
const familyType = (vcpus: number, odd: boolean) =>
  fc.record({
    vcpus: fc.constant(vcpus),
    memoryMiB: fc.constantFrom(vcpus * 4096, vcpus * 8192),
    architecture: fc.constant(odd ? ('arm64' as const) : ('x86_64' as const)),
    virtualization: fc.constant('hvm' as const),
    enaSupported: fc.constant(true),
    nvmeSupported: fc.constant(true),
    offeredInZones: fc.constant(ZONES),
  });

const family = fc
  .tuple(
    fc.integer({ min: 1, max: 4 }),
    fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.boolean(), fc.nat(9)), {
      minLength: 0,
      maxLength: 6,
    }),
  )
  .chain(([first, steps]) => {
    let vcpus = first;
    const sizes: [number, boolean][] = [[vcpus, false]];
    for (const [increment, , dice] of steps) {
      vcpus += increment;
      sizes.push([vcpus, dice === 0]);
    }
    return fc.tuple(...sizes.map(([size, odd]) => familyType(size, odd)));
  });

const catalogue: fc.Arbitrary<Omit<InstanceTypeInfo, 'name'>[]> = fc.oneof(
  { weight: 3, arbitrary: family },
  { weight: 1, arbitrary: fc.array(anyType, { minLength: 1, maxLength: 6 }) },
);

const policyArb = (ladder: string[]): fc.Arbitrary<ResizePolicy> =>
  fc.record({
    id: fc.constant('workers'),
    kind: fc.constantFrom('ec2' as const, 'ec2' as const, 'asg' as const, 'eks-managed' as const),
    metric: fc.constantFrom('cpu' as const, 'memory' as const),
    ladder: fc.constant(ladder),
    maxStepRatio: fc.double({ min: 1.1, max: 4, noNaN: true }),
    headroom: fc.double({ min: 1, max: 2, noNaN: true }),
    scaleUpAt: fc.integer({ min: 50, max: 95 }),
    scaleDownAt: fc.integer({ min: 5, max: 45 }),
    cooldownSeconds: fc.constant(1800),
  });

interface World {
  input: PlanResizeInput;
}

const worldArb = (requestKinds: 'any' | 'auto'): fc.Arbitrary<World> =>
  catalogue.chain((types) => {
    const infos = types.map((info, index) => ({ ...info, name: `t${index}.size${index}` }));
    const typeInfo = Object.fromEntries(infos.map((info) => [info.name, info]));
    const ladder = infos.map((info) => info.name);
    const uniform = fc.constantFrom(...ladder);
    return fc
      .record({
        group: policyArb(ladder),
        nodeTypes: fc.oneof(
          uniform.chain((type) => fc.array(fc.constant(type), { minLength: 1, maxLength: 6 })),
          fc.array(uniform, { minLength: 1, maxLength: 6 }),
        ),
        zones: fc.array(fc.constantFrom(...ZONES), { minLength: 6, maxLength: 6 }),
        p95: fc.oneof(
          fc.double({ min: 0, max: 100, noNaN: true }),
          fc.constantFrom(0, 30, 45, 50, 75, 95, 100),
        ),
        request:
          requestKinds === 'auto'
            ? fc.constant<ResizeRequest>({ kind: 'auto' })
            : fc.oneof<fc.Arbitrary<ResizeRequest>[]>(
                fc.constant({ kind: 'auto' }),
                fc.constantFrom('up' as const, 'down' as const).map((direction) => ({
                  kind: 'step' as const,
                  direction,
                })),
                fc.constantFrom(...ladder, 'zz.off-ladder').map((type) => ({
                  kind: 'to' as const,
                  type,
                })),
              ),
      })
      .map(({ group, nodeTypes, zones, p95, request }) => {
        // Threshold values are relative to this group's config when they are its thresholds.
        const nodes: ResizeNode[] = nodeTypes.map((type, index) => ({
          id: `i-${String(index).padStart(2, '0')}`,
          type,
          zone: zones[index] as string,
        }));
        return {
          input: {
            group,
            nodes,
            typeInfo,
            load: { p95Percent: p95 },
            request,
            cooldown: null,
            now: NOW,
          },
        };
      });
  });

function capacity(input: PlanResizeInput, nodes: readonly ResizeNode[]): number {
  return nodes.reduce(
    (sum, node) =>
      sum + capacityOf(input.typeInfo[node.type] as InstanceTypeInfo, input.group.metric),
    0,
  );
}

function zonesOf(nodes: readonly ResizeNode[]): string[] {
  return [...new Set(nodes.map((node) => node.zone))];
}

describe('planResize properties', () => {
  it('never another architecture or virtualization, never losing ENA/NVMe, only offered zones', () => {
    fc.assert(
      fc.property(worldArb('any'), ({ input }) => {
        const plan = planResize(input);
        if (plan.kind !== 'resize') return;
        for (const move of plan.nodes) {
          const from = input.typeInfo[move.from] as InstanceTypeInfo;
          const to = input.typeInfo[move.to] as InstanceTypeInfo;
          expect(to.architecture).toBe(from.architecture);
          expect(to.virtualization).toBe(from.virtualization);
          expect(compatible(from, to, zonesOf(input.nodes))).toEqual({ ok: true });
        }
      }),
      RUNS,
    );
  });

  it('never a step above maxStepRatio on the alarmed dimension, per node', () => {
    fc.assert(
      fc.property(worldArb('any'), ({ input }) => {
        const plan = planResize(input);
        if (plan.kind !== 'resize') return;
        for (const move of plan.nodes) {
          const from = capacityOf(input.typeInfo[move.from] as InstanceTypeInfo, plan.metric);
          const to = capacityOf(input.typeInfo[move.to] as InstanceTypeInfo, plan.metric);
          expect(stepRatio(from, to)).toBeLessThanOrEqual(input.group.maxStepRatio);
          expect(Math.sign(to - from)).not.toBe(plan.direction === 'up' ? -1 : 1);
        }
      }),
      RUNS,
    );
  });

  it('k-of-N never exceeds the need by more than one node’s step', () => {
    fc.assert(
      fc.property(worldArb('any'), ({ input }) => {
        const plan = planResize(input);
        if (plan.kind !== 'resize' || plan.direction !== 'up' || input.request.kind === 'to') {
          return;
        }
        if (input.group.kind !== 'ec2') return;
        const steps = plan.nodes.map((move) =>
          Math.abs(
            capacityOf(input.typeInfo[move.to] as InstanceTypeInfo, plan.metric) -
              capacityOf(input.typeInfo[move.from] as InstanceTypeInfo, plan.metric),
          ),
        );
        const oneStep = Math.max(...steps);
        const floor = Math.max(plan.need, plan.from.capacity);
        expect(plan.newCapacity - floor).toBeLessThanOrEqual(oneStep + 1e-9);
        // and without its last node the plan would not have met the need
        if (plan.nodes.length > 1) {
          expect(plan.newCapacity - (steps[steps.length - 1] as number)).toBeLessThan(plan.need);
        }
      }),
      RUNS,
    );
  });

  it('moves and unchanged partition the group, and newCapacity is what the moves give', () => {
    fc.assert(
      fc.property(worldArb('any'), ({ input }) => {
        const plan = planResize(input);
        if (plan.kind !== 'resize') return;
        const ids = [...plan.nodes.map((move) => move.id), ...plan.unchanged].sort();
        expect(ids).toEqual(input.nodes.map((node) => node.id).sort());
        const after = input.nodes.map((node) => {
          const move = plan.nodes.find((m) => m.id === node.id);
          return move ? { ...node, type: move.to } : node;
        });
        expect(plan.newCapacity).toBe(capacity(input, after));
        expect(plan.from.capacity).toBe(capacity(input, input.nodes));
        if (input.group.kind !== 'ec2') expect(plan.unchanged).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a step down never leaves projected utilisation at or above scaleUpAt / headroom', () => {
    fc.assert(
      fc.property(worldArb('any'), ({ input }) => {
        const plan = planResize(input);
        if (plan.kind !== 'resize' || plan.direction !== 'down') return;
        expect(plan.projectedUtilisation).toBeLessThan(
          input.group.scaleUpAt / input.group.headroom,
        );
      }),
      RUNS,
    );
  });

  it('is deterministic, whatever order the nodes come in', () => {
    fc.assert(
      fc.property(worldArb('any'), fc.func(fc.integer()), ({ input }, key) => {
        const shuffled = [...input.nodes].sort((a, b) => key(a.id) - key(b.id));
        const once = planResize(input);
        expect(planResize(input)).toEqual(once);
        expect(planResize({ ...input, nodes: shuffled })).toEqual(once);
      }),
      RUNS,
    );
  });

  it('--to a type off the ladder is always refused', () => {
    fc.assert(
      fc.property(
        worldArb('any'),
        fc.string({ minLength: 1, maxLength: 20 }),
        ({ input }, type) => {
          fc.pre(!input.group.ladder.includes(type));
          const plan = planResize({ ...input, request: { kind: 'to', type } });
          expect(plan.kind).toBe('refuse');
          expect(plan.reason).toContain('not on the ladder');
        },
      ),
      RUNS,
    );
  });

  it('a cooldown in force always refuses', () => {
    fc.assert(
      fc.property(worldArb('any'), fc.integer({ min: 1, max: 86_400_000 }), ({ input }, ms) => {
        const plan = planResize({ ...input, cooldown: { untilMs: Date.parse(NOW) + ms } });
        expect(plan.kind).toBe('refuse');
      }),
      RUNS,
    );
  });

  it('no oscillation on a flat trace: once a step went down, none goes up again', () => {
    fc.assert(
      fc.property(
        worldArb('auto'),
        fc.constantFrom('up' as const, 'down' as const, 'random' as const),
        ({ input }, at) => {
          // A flat trace: the same absolute load throughout, often exactly at a threshold.
          const p95 =
            at === 'up'
              ? input.group.scaleUpAt
              : at === 'down'
                ? input.group.scaleDownAt
                : input.load.p95Percent;
          const load = (p95 / 100) * capacity(input, input.nodes);
          let nodes = input.nodes;
          let current = p95;
          const directions: string[] = [];
          for (let round = 0; round < 40; round++) {
            const plan = planResize({ ...input, nodes, load: { p95Percent: current } });
            if (plan.kind !== 'resize') break;
            directions.push(plan.direction);
            const moves = new Map(plan.nodes.map((move) => [move.id, move.to]));
            nodes = nodes.map((node) => ({ ...node, type: moves.get(node.id) ?? node.type }));
            current = (100 * load) / capacity(input, nodes);
          }
          const firstDown = directions.indexOf('down');
          if (firstDown >= 0) expect(directions.slice(firstDown)).not.toContain('up');
          const flips = directions.filter((d, i) => i > 0 && d !== directions[i - 1]).length;
          expect(flips).toBeLessThanOrEqual(1);
        },
      ),
      RUNS,
    );
  });
});
