import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  deriveLadder,
  effectiveLadder,
  instanceFamily,
  ladderSeed,
} from '../../lambdas/core/resize/derived-ladder';
import { capacityOf, compatible } from '../../lambdas/core/resize/instance-types';
import type { InstanceTypeInfo, ResizeMetric } from '../../lambdas/core/resize/instance-types';
import { planResize } from '../../lambdas/core/resize/plan-resize';
import type { PlanResizeInput, ResizePolicy } from '../../lambdas/core/resize/plan-resize';
import { instanceType as type, ZONES } from '../support/instance-type-fixtures';

function catalogue(...types: InstanceTypeInfo[]): Record<string, InstanceTypeInfo> {
  return Object.fromEntries(types.map((info) => [info.name, info]));
}

/** m6i as EC2 describes it (in a shuffled order), with c6i.xlarge from another family. */
const M6I = catalogue(
  type('m6i.4xlarge', 16, 65536),
  type('m6i.metal', 128, 524288),
  type('m6i.large', 2, 8192),
  type('m6i.2xlarge', 8, 32768),
  type('m6i.xlarge', 4, 16384),
  type('m6i.8xlarge', 32, 131072, { offeredInZones: ['eu-west-1a', 'eu-west-1b'] }),
  type('c6i.xlarge', 4, 8192),
);

describe('instanceFamily and ladderSeed', () => {
  it.each([
    ['m6i.large', 'm6i'],
    ['m7i-flex.xlarge', 'm7i-flex'],
    ['u-6tb1.metal', 'u-6tb1'],
    ['m7i.metal-24xl', 'm7i'],
  ])('%s is of family %s', (name, family) => {
    expect(instanceFamily(name)).toBe(family);
  });

  it('only a single-type ladder is derived', () => {
    expect(ladderSeed(['m6i.large'])).toBe('m6i.large');
    expect(ladderSeed(['m6i.large', 'm6i.xlarge'])).toBeUndefined();
  });
});

describe('deriveLadder', () => {
  it("takes the seed's family sizes, smallest first, without metal or a size missing in a zone", () => {
    expect(deriveLadder('m6i.large', M6I, 'cpu', ['eu-west-1a', 'eu-west-1c'])).toEqual({
      ladder: ['m6i.large', 'm6i.xlarge', 'm6i.2xlarge', 'm6i.4xlarge'],
      dropped: [
        { type: 'm6i.8xlarge', reason: 'm6i.8xlarge is not offered in eu-west-1c' },
        {
          type: 'm6i.metal',
          reason: 'a bare-metal size: never derived, name it in an explicit ladder',
        },
      ],
    });
  });

  it('a size missing only in zones the group is not in stays', () => {
    const { ladder } = deriveLadder('m6i.xlarge', M6I, 'memory', ['eu-west-1b']);
    expect(ladder).toEqual([
      'm6i.large',
      'm6i.xlarge',
      'm6i.2xlarge',
      'm6i.4xlarge',
      'm6i.8xlarge',
    ]);
  });

  it('orders by the alarmed dimension, ties by the other one, then by name', () => {
    const t3 = catalogue(
      type('t3.large', 2, 8192),
      type('t3.medium', 2, 4096),
      type('t3.small', 2, 2048),
      type('t3.xlarge', 4, 16384),
      type('t3.twin-b', 4, 4096),
      type('t3.twin-a', 4, 4096),
    );
    expect(deriveLadder('t3.large', t3, 'cpu', ZONES).ladder).toEqual([
      't3.small',
      't3.medium',
      't3.large',
      't3.twin-a',
      't3.twin-b',
      't3.xlarge',
    ]);
    expect(deriveLadder('t3.large', t3, 'memory', ZONES).ladder).toEqual([
      't3.small',
      't3.medium',
      't3.twin-a',
      't3.twin-b',
      't3.large',
      't3.xlarge',
    ]);
  });

  it('drops what the seed could not move to: another architecture or virtualization, lost ENA or NVMe', () => {
    const odd = catalogue(
      type('x9.large', 2, 8192),
      type('x9.xlarge', 4, 16384, { architecture: 'arm64' }),
      type('x9.2xlarge', 8, 32768, { virtualization: 'paravirtual' }),
      type('x9.4xlarge', 16, 65536, { enaSupported: false }),
      type('x9.8xlarge', 32, 131072, { nvmeSupported: false }),
      type('x9.12xlarge', 48, 196608, { vcpus: 0 }),
    );
    const { ladder, dropped } = deriveLadder('x9.large', odd, 'cpu', ZONES);
    expect(ladder).toEqual(['x9.large']);
    expect(dropped).toEqual([
      { type: 'x9.12xlarge', reason: 'no cpu capacity in its description' },
      { type: 'x9.2xlarge', reason: expect.stringMatching(/virtualization never changes/) },
      { type: 'x9.4xlarge', reason: 'x9.4xlarge lacks ENA support, which x9.large has' },
      { type: 'x9.8xlarge', reason: 'x9.8xlarge lacks NVMe support, which x9.large has' },
      { type: 'x9.xlarge', reason: expect.stringMatching(/architecture never changes/) },
    ]);
  });

  it('a seed without ENA or NVMe may move to sizes that have them', () => {
    const old = catalogue(
      type('m4.large', 2, 8192, { enaSupported: false, nvmeSupported: false }),
      type('m4.xlarge', 4, 16384),
    );
    expect(deriveLadder('m4.large', old, 'cpu', ZONES).ladder).toEqual(['m4.large', 'm4.xlarge']);
  });

  it('keeps the seed even where it is not offered, and a metal seed', () => {
    const scarce = { ...M6I, 'm6i.large': type('m6i.large', 2, 8192, { offeredInZones: [] }) };
    expect(deriveLadder('m6i.large', scarce, 'cpu', ZONES).ladder[0]).toBe('m6i.large');
    expect(deriveLadder('m6i.metal', M6I, 'cpu', ['eu-west-1a']).ladder).toEqual([
      'm6i.large',
      'm6i.xlarge',
      'm6i.2xlarge',
      'm6i.4xlarge',
      'm6i.8xlarge',
      'm6i.metal',
    ]);
  });

  it('an undescribed seed stays alone (the planner refuses it for want of a description)', () => {
    expect(deriveLadder('m9z.large', M6I, 'cpu', ZONES)).toEqual({
      ladder: ['m9z.large'],
      dropped: [],
    });
  });
});

describe('effectiveLadder', () => {
  it('keeps a ladder of two or more types as configured, even unsorted', () => {
    const group = { ladder: ['m6i.xlarge', 'm6i.large'], metric: 'cpu' as const };
    expect(effectiveLadder(group, M6I, ZONES)).toEqual({
      ladder: ['m6i.xlarge', 'm6i.large'],
      dropped: [],
    });
  });

  it('derives a single-type ladder', () => {
    const group = { ladder: ['m6i.xlarge'], metric: 'cpu' as const };
    expect(effectiveLadder(group, M6I, ZONES)).toEqual(
      deriveLadder('m6i.xlarge', M6I, 'cpu', ZONES),
    );
  });
});

describe('deriveLadder properties', () => {
  const SIZES = [
    'nano',
    'micro',
    'small',
    'medium',
    'large',
    'xlarge',
    '2xlarge',
    '4xlarge',
    '8xlarge',
    'metal',
    'metal-24xl',
  ];
  /** `usual` most of the time, so that derived ladders are often long; `odd` now and then. */
  const mostly = <T>(usual: T, odd: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 6, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: odd });
  const info = fc.record({
    vcpus: fc.integer({ min: 0, max: 8 }).map((n) => (n === 0 ? 0 : 2 ** (n - 1))),
    memoryMiB: fc.constantFrom(512, 1024, 4096, 8192, 16384),
    architecture: mostly<InstanceTypeInfo['architecture']>('x86_64', fc.constant('arm64')),
    virtualization: mostly<InstanceTypeInfo['virtualization']>('hvm', fc.constant('paravirtual')),
    enaSupported: mostly(true, fc.boolean()),
    nvmeSupported: mostly(true, fc.boolean()),
    offeredInZones: mostly(ZONES, fc.subarray(ZONES)),
  });
  const world = fc
    .record({
      family: fc.uniqueArray(fc.constantFrom(...SIZES), { minLength: 1 }),
      others: fc.uniqueArray(fc.constantFrom('large', 'xlarge', 'metal'), { minLength: 0 }),
      zones: fc.subarray(ZONES, { minLength: 1 }),
      metric: fc.constantFrom<ResizeMetric>('cpu', 'memory'),
    })
    .chain(({ family, others, zones, metric }) => {
      const names = [...family.map((size) => `fam.${size}`), ...others.map((s) => `famx.${s}`)];
      return fc.record({
        catalogue: fc
          .tuple(...names.map(() => info))
          .map((infos) =>
            Object.fromEntries(
              infos.map((i, index) => [names[index]!, { ...i, name: names[index]! }]),
            ),
          ),
        seed: fc.constantFrom(...family.map((size) => `fam.${size}`)),
        zones: fc.constant(zones),
        metric: fc.constant(metric),
      });
    });

  it('every derived type is a compatible non-metal size of the family, sorted, the seed included, once', () => {
    fc.assert(
      fc.property(world, ({ catalogue, seed, zones, metric }) => {
        const { ladder, dropped } = deriveLadder(seed, catalogue, metric, zones);
        const seedInfo = catalogue[seed]!;
        expect(ladder).toContain(seed);
        expect(new Set(ladder).size).toBe(ladder.length);
        for (const name of ladder.filter((name) => name !== seed)) {
          expect(instanceFamily(name)).toBe('fam');
          expect(name).not.toMatch(/\.metal/);
          expect(compatible(seedInfo, catalogue[name]!, zones)).toEqual({ ok: true });
          expect(capacityOf(catalogue[name]!, metric)).toBeGreaterThan(0);
        }
        const other: ResizeMetric = metric === 'cpu' ? 'memory' : 'cpu';
        const key = (name: string) => {
          const i = catalogue[name]!;
          return [capacityOf(i, metric), capacityOf(i, other)] as const;
        };
        for (let index = 1; index < ladder.length; index++) {
          const [a, b] = [ladder[index - 1]!, ladder[index]!];
          const [ka, kb] = [key(a), key(b)];
          const inOrder =
            ka[0] < kb[0] || (ka[0] === kb[0] && (ka[1] < kb[1] || (ka[1] === kb[1] && a < b)));
          expect(inOrder).toBe(true);
        }
        // Every size of the family is either on the ladder or dropped with a reason.
        const family = Object.keys(catalogue).filter((name) => instanceFamily(name) === 'fam');
        expect([...ladder, ...dropped.map((d) => d.type)].sort()).toEqual(family.sort());
        for (const { reason } of dropped) expect(reason).not.toBe('');
      }),
      { numRuns: 400 },
    );
  });
});

describe('planResize with a single-type ladder', () => {
  const SINGLE: ResizePolicy = {
    id: 'workers',
    kind: 'ec2',
    metric: 'cpu',
    ladder: ['m6i.large'],
    maxStepRatio: 2,
    headroom: 1.2,
    scaleUpAt: 75,
    scaleDownAt: 30,
    cooldownSeconds: 1800,
  };
  const NODES = ZONES.map((zone, index) => ({ id: `i-${index + 1}`, type: 'm6i.large', zone }));

  function input(
    group: ResizePolicy,
    request: PlanResizeInput['request'],
    nodes = NODES,
  ): PlanResizeInput {
    return {
      group,
      nodes,
      typeInfo: M6I,
      load: { p95Percent: 90 },
      request,
      cooldown: null,
      now: '2026-11-21T12:00:00.000Z',
    };
  }

  describe('without derivation, as before: the seed is the top and the bottom', () => {
    it('an alarm is a noop at the top', () => {
      expect(planResize(input(SINGLE, { kind: 'auto' }))).toEqual({
        kind: 'noop',
        reason: expect.stringMatching(/m6i\.large is at the top of the ladder/),
      });
    });

    it('--step up and --to another size are refused', () => {
      expect(planResize(input(SINGLE, { kind: 'step', direction: 'up' })).kind).toBe('refuse');
      expect(planResize(input(SINGLE, { kind: 'to', type: 'm6i.xlarge' }))).toEqual({
        kind: 'refuse',
        reason: expect.stringMatching(/m6i\.xlarge is not on the ladder of workers \(m6i\.large\)/),
      });
    });
  });

  describe('with the derived ladder', () => {
    const zones = NODES.map((node) => node.zone);
    const derived: ResizePolicy = { ...SINGLE, ...effectiveLadder(SINGLE, M6I, zones) };

    it('is the family minus what is not offered everywhere and metal', () => {
      expect(derived.ladder).toEqual(['m6i.large', 'm6i.xlarge', 'm6i.2xlarge', 'm6i.4xlarge']);
    });

    it('an alarm steps up one size', () => {
      const plan = planResize(input(derived, { kind: 'auto' }));
      expect(plan).toMatchObject({ kind: 'resize', to: { type: 'm6i.xlarge' } });
    });

    it('--to a derived size moves', () => {
      const plan = planResize(input(derived, { kind: 'to', type: 'm6i.xlarge' }));
      expect(plan).toMatchObject({ kind: 'resize', direction: 'up', to: { type: 'm6i.xlarge' } });
    });

    it.each(['m6i.8xlarge', 'm6i.metal', 'c6i.xlarge'])(
      '--to %s (described, but not on the derived ladder) is refused',
      (target) => {
        expect(planResize(input(derived, { kind: 'to', type: target }))).toEqual({
          kind: 'refuse',
          reason: expect.stringContaining(`${target} is not on the ladder of workers`),
        });
      },
    );

    it('nodes already moved to a bigger size of the family are on the derived ladder', () => {
      const nodes = NODES.map((node) => ({ ...node, type: 'm6i.2xlarge' }));
      const plan = planResize(input(derived, { kind: 'step', direction: 'down' }, nodes));
      expect(plan).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/step back up/) });
      const quiet = { ...input(derived, { kind: 'auto' }, nodes), load: { p95Percent: 10 } };
      expect(planResize(quiet)).toMatchObject({ kind: 'resize', to: { type: 'm6i.xlarge' } });
    });
  });
});
