import { describe, expect, it } from 'vitest';

import type { InstanceTypeInfo } from '../../lambdas/core/resize/instance-types';
import { planResize, resumeOnlyPlan } from '../../lambdas/core/resize/plan-resize';
import type {
  PlanResizeInput,
  ResizePlan,
  ResizePolicy,
  ResizeStep,
} from '../../lambdas/core/resize/plan-resize';
import { instanceType as type, ZONES } from '../support/instance-type-fixtures';

const TYPES: Record<string, InstanceTypeInfo> = Object.fromEntries(
  [
    type('m6i.large', 2, 8192),
    type('m6i.xlarge', 4, 16384),
    type('m6i.2xlarge', 8, 32768),
    type('m6i.4xlarge', 16, 65536),
    type('c6i.xlarge', 4, 8192),
    type('m6g.xlarge', 4, 16384, { architecture: 'arm64' }),
    type('m4.xlarge', 4, 16384, { nvmeSupported: false }),
    type('m3.xlarge', 4, 15360, { enaSupported: false, nvmeSupported: false }),
    type('t1.xlarge', 4, 16384, { virtualization: 'paravirtual' }),
    type('m6a.xlarge', 4, 16384, { offeredInZones: ['eu-west-1a', 'eu-west-1b'] }),
  ].map((info) => [info.name, info]),
);

const LADDER = ['m6i.large', 'm6i.xlarge', 'm6i.2xlarge', 'm6i.4xlarge'];

function policy(overrides: Partial<ResizePolicy> = {}): ResizePolicy {
  return {
    id: 'workers',
    kind: 'ec2',
    metric: 'cpu',
    ladder: LADDER,
    maxStepRatio: 2,
    headroom: 1.2,
    scaleUpAt: 75,
    scaleDownAt: 30,
    cooldownSeconds: 1800,
    ...overrides,
  };
}

/** `nodes('m6i.large', 'm6i.large')` → i-1 … i-n spread over the three zones. */
function nodes(...types: string[]): PlanResizeInput['nodes'] {
  return types.map((type, index) => ({
    id: `i-${index + 1}`,
    type,
    zone: ZONES[index % ZONES.length] as string,
  }));
}

const NOW = '2026-11-21T12:00:00.000Z';

function input(overrides: Partial<PlanResizeInput> = {}): PlanResizeInput {
  return {
    group: policy(),
    nodes: nodes('m6i.large', 'm6i.large', 'm6i.large', 'm6i.large'),
    typeInfo: TYPES,
    load: { p95Percent: 50 },
    request: { kind: 'auto' },
    cooldown: null,
    now: NOW,
    ...overrides,
  };
}

function resized(plan: ResizePlan): ResizeStep {
  if (plan.kind !== 'resize')
    throw new Error(`expected a resize, got ${plan.kind}: ${plan.reason}`);
  return plan;
}

function moved(plan: ResizePlan): string[] {
  return resized(plan).nodes.map((node) => `${node.id}:${node.from}>${node.to}`);
}

describe('planResize: alarm thresholds', () => {
  it.each([
    [74.9, 'noop'],
    [31, 'noop'],
    [75, 'resize'],
    [30, 'resize'],
  ])('p95 %s%% on m6i.xlarge nodes → %s', (p95, kind) => {
    const plan = planResize(
      input({
        nodes: nodes('m6i.xlarge', 'm6i.xlarge'),
        load: { p95Percent: p95 },
      }),
    );
    expect(plan.kind).toBe(kind);
  });

  it('between the thresholds says so', () => {
    const plan = planResize(input({ load: { p95Percent: 50 } }));
    expect(plan).toEqual({ kind: 'noop', reason: expect.stringMatching(/between scaleDownAt/) });
  });
});

describe('planResize: up, ec2 k-of-N', () => {
  it('moves the smallest k that meets the need (4 × 2 vCPU at 90%: need 8.64 → 1 node)', () => {
    const plan = resized(planResize(input({ load: { p95Percent: 90 } })));
    expect(plan.direction).toBe('up');
    expect(plan.need).toBeCloseTo(8.64);
    expect(moved(plan)).toEqual(['i-1:m6i.large>m6i.xlarge']);
    expect(plan.unchanged).toEqual(['i-2', 'i-3', 'i-4']);
    expect(plan.from).toEqual({ types: ['m6i.large'], capacity: 8 });
    expect(plan.to).toEqual({ type: 'm6i.xlarge', capacity: 10 });
    expect(plan.newCapacity).toBe(10);
    expect(plan.projectedUtilisation).toBeCloseTo(72);
    expect(plan.unit).toBe('vCPU');
  });

  it('moves one node even when the need is already met (alarm exactly at scaleUpAt)', () => {
    const plan = resized(planResize(input({ load: { p95Percent: 75 } })));
    expect(plan.need).toBeCloseTo(7.2);
    expect(plan.nodes).toHaveLength(1);
  });

  it('moves as many as the need asks (headroom 2 at 100%: need 16 → all 4)', () => {
    const plan = resized(
      planResize(input({ group: policy({ headroom: 2 }), load: { p95Percent: 100 } })),
    );
    expect(plan.nodes.map((node) => node.id)).toEqual(['i-1', 'i-2', 'i-3', 'i-4']);
    expect(plan.newCapacity).toBe(16);
  });

  it('never more than one step per node: a need beyond it moves every node one step only', () => {
    const plan = resized(
      planResize(input({ group: policy({ headroom: 4 }), load: { p95Percent: 100 } })),
    );
    expect(plan.need).toBe(32);
    expect(plan.newCapacity).toBe(16);
    expect(new Set(plan.nodes.map((node) => node.to))).toEqual(new Set(['m6i.xlarge']));
  });

  it('picks nodes lowest id first whatever order they come in', () => {
    const group = nodes('m6i.large', 'm6i.large', 'm6i.large');
    const plan = resized(
      planResize(input({ nodes: [...group].reverse(), load: { p95Percent: 95 } })),
    );
    expect(plan.nodes.map((node) => node.id)).toEqual(['i-1']);
    expect(plan.unchanged).toEqual(['i-2', 'i-3']);
  });

  it('a manual --step up on a quiet group moves one node', () => {
    const plan = resized(
      planResize(input({ load: { p95Percent: 10 }, request: { kind: 'step', direction: 'up' } })),
    );
    expect(plan.nodes).toHaveLength(1);
    expect(plan.reason).toMatch(/--step up/);
  });
});

describe('planResize: mixed ec2 groups (after a k-of-N step)', () => {
  const mixed = nodes('m6i.xlarge', 'm6i.large', 'm6i.xlarge', 'm6i.large');

  it('a step up moves the not-yet-moved (smallest-type) nodes first', () => {
    const plan = resized(
      planResize(input({ nodes: mixed, request: { kind: 'step', direction: 'up' } })),
    );
    expect(plan.from.types).toEqual(['m6i.large']);
    expect(moved(plan)).toEqual(['i-2:m6i.large>m6i.xlarge']);
  });

  it('moves only the smallest type even when that falls short of the need', () => {
    const plan = resized(
      planResize(
        input({ nodes: mixed, group: policy({ headroom: 3 }), load: { p95Percent: 100 } }),
      ),
    );
    expect(moved(plan)).toEqual(['i-2:m6i.large>m6i.xlarge', 'i-4:m6i.large>m6i.xlarge']);
    expect(plan.unchanged).toEqual(['i-1', 'i-3']);
  });

  it('a step down moves the moved (largest-type) nodes first', () => {
    const plan = resized(
      planResize(
        input({
          nodes: mixed,
          load: { p95Percent: 20 },
          request: { kind: 'step', direction: 'down' },
        }),
      ),
    );
    expect(moved(plan)).toEqual(['i-1:m6i.xlarge>m6i.large', 'i-3:m6i.xlarge>m6i.large']);
  });
});

describe('planResize: down and its hysteresis', () => {
  it('moves the most nodes that keep projected utilisation under scaleUpAt / headroom', () => {
    // 4 × 4 vCPU at 30%, headroom 1.5: bound 50% → capacity must stay above 9.6 → 3 nodes (10).
    const plan = resized(
      planResize(
        input({
          group: policy({ headroom: 1.5 }),
          nodes: nodes('m6i.xlarge', 'm6i.xlarge', 'm6i.xlarge', 'm6i.xlarge'),
          load: { p95Percent: 30 },
        }),
      ),
    );
    expect(plan.direction).toBe('down');
    expect(plan.nodes.map((node) => node.id)).toEqual(['i-1', 'i-2', 'i-3']);
    expect(plan.newCapacity).toBe(10);
    expect(plan.projectedUtilisation).toBeCloseTo(48);
  });

  it('moves every node when the whole step stays under the bound', () => {
    const plan = resized(
      planResize(input({ nodes: nodes('m6i.xlarge', 'm6i.xlarge'), load: { p95Percent: 20 } })),
    );
    expect(plan.nodes).toHaveLength(2);
    expect(plan.projectedUtilisation).toBeCloseTo(40);
  });

  it('an alarm whose step down would trip scaleUpAt again is a noop', () => {
    // One node of 4 → 2 vCPU at 30%, headroom 1.5: 60% ≥ 50%.
    const plan = planResize(
      input({
        group: policy({ headroom: 1.5 }),
        nodes: nodes('m6i.xlarge'),
        load: { p95Percent: 30 },
      }),
    );
    expect(plan).toEqual({ kind: 'noop', reason: expect.stringMatching(/step back up/) });
  });

  it('a manual step down against the hysteresis is refused', () => {
    const plan = planResize(
      input({
        nodes: nodes('m6i.xlarge', 'm6i.xlarge'),
        load: { p95Percent: 50 },
        request: { kind: 'step', direction: 'down' },
      }),
    );
    expect(plan).toEqual({ kind: 'refuse', reason: expect.stringMatching(/step back up/) });
  });

  it('reports memory in MiB', () => {
    const plan = resized(
      planResize(
        input({
          group: policy({ metric: 'memory' }),
          nodes: nodes('m6i.xlarge', 'm6i.xlarge'),
          load: { p95Percent: 10 },
        }),
      ),
    );
    expect(plan.unit).toBe('MiB');
    expect(plan.from.capacity).toBe(32768);
    expect(plan.newCapacity).toBe(16384);
  });
});

describe('planResize: asg and eks-managed move every node', () => {
  it.each(['asg', 'eks-managed'] as const)('%s: a step up moves all nodes', (kind) => {
    const plan = resized(planResize(input({ group: policy({ kind }), load: { p95Percent: 80 } })));
    expect(plan.nodes).toHaveLength(4);
    expect(plan.unchanged).toEqual([]);
  });

  it('asg: a step down moves all nodes or none', () => {
    const group = policy({ kind: 'asg', headroom: 1.5 });
    const fourXl = nodes('m6i.xlarge', 'm6i.xlarge', 'm6i.xlarge', 'm6i.xlarge');
    expect(planResize(input({ group, nodes: fourXl, load: { p95Percent: 30 } })).kind).toBe('noop');
    expect(
      resized(planResize(input({ group, nodes: fourXl, load: { p95Percent: 20 } }))).nodes,
    ).toHaveLength(4);
  });

  it('asg with several types is refused (a rollout is under way)', () => {
    const plan = planResize(
      input({ group: policy({ kind: 'asg' }), nodes: nodes('m6i.large', 'm6i.xlarge') }),
    );
    expect(plan).toEqual({ kind: 'refuse', reason: expect.stringMatching(/several types/) });
  });
});

describe('planResize: the ladder', () => {
  it('at the top: an alarm is a noop, a manual step is refused', () => {
    const top = nodes('m6i.4xlarge');
    expect(planResize(input({ nodes: top, load: { p95Percent: 99 } }))).toEqual({
      kind: 'noop',
      reason: expect.stringMatching(/top of the ladder.*horizontal scaling/),
    });
    expect(planResize(input({ nodes: top, request: { kind: 'step', direction: 'up' } })).kind).toBe(
      'refuse',
    );
  });

  it('at the bottom: an alarm is a noop, a manual step is refused', () => {
    expect(planResize(input({ load: { p95Percent: 1 } }))).toEqual({
      kind: 'noop',
      reason: expect.stringMatching(/bottom of the ladder/),
    });
    expect(planResize(input({ request: { kind: 'step', direction: 'down' } })).kind).toBe('refuse');
  });

  it('a ladder of one type has nowhere to go', () => {
    const group = policy({ ladder: ['m6i.large'] });
    expect(planResize(input({ group, load: { p95Percent: 99 } })).kind).toBe('noop');
  });

  it('refuses a gap wider than maxStepRatio instead of jumping it', () => {
    const group = policy({ ladder: ['m6i.large', 'm6i.2xlarge'] });
    expect(planResize(input({ group, load: { p95Percent: 99 } }))).toEqual({
      kind: 'refuse',
      reason: expect.stringMatching(/4× step on cpu.*above maxStepRatio 2/),
    });
    const wider = policy({ ladder: ['m6i.large', 'm6i.2xlarge'], maxStepRatio: 4 });
    expect(moved(planResize(input({ group: wider, load: { p95Percent: 99 } })))).toEqual([
      'i-1:m6i.large>m6i.2xlarge',
    ]);
  });

  it.each([
    ['m6g.xlarge', /arm64.*architecture never changes/],
    ['t1.xlarge', /paravirtual.*virtualization never changes/],
    ['m4.xlarge', /lacks NVMe/],
    ['m3.xlarge', /lacks ENA support.*; m3.xlarge lacks NVMe/],
    ['m6a.xlarge', /not offered in eu-west-1c/],
  ])('skips incompatible %s and says why', (bad, why) => {
    const group = policy({ ladder: ['m6i.large', bad, 'm6i.xlarge'] });
    const plan = resized(planResize(input({ group, load: { p95Percent: 99 } })));
    expect(plan.nodes.every((node) => node.to === 'm6i.xlarge')).toBe(true);
    expect(plan.reason).toMatch(why);
    const only = policy({ ladder: ['m6i.large', bad] });
    expect(planResize(input({ group: only, load: { p95Percent: 99 } }))).toEqual({
      kind: 'noop',
      reason: expect.stringMatching(why),
    });
  });

  it('a zone only matters when a node is in it', () => {
    const group = policy({ ladder: ['m6i.large', 'm6a.xlarge'] });
    const twoZones = nodes('m6i.large', 'm6i.large');
    expect(moved(planResize(input({ group, nodes: twoZones, load: { p95Percent: 99 } })))).toEqual([
      'i-1:m6i.large>m6a.xlarge',
    ]);
  });

  it('skips types that do not grow the alarmed dimension', () => {
    const group = (metric: 'cpu' | 'memory') =>
      policy({ metric, ladder: ['m6i.large', 'c6i.xlarge', 'm6i.xlarge'] });
    expect(moved(planResize(input({ group: group('cpu'), load: { p95Percent: 99 } })))[0]).toBe(
      'i-1:m6i.large>c6i.xlarge',
    );
    const memory = resized(planResize(input({ group: group('memory'), load: { p95Percent: 99 } })));
    expect(memory.nodes[0]?.to).toBe('m6i.xlarge');
    expect(memory.reason).toMatch(/c6i.xlarge skipped: 8192 MiB is not more/);
  });
});

describe('planResize: --to', () => {
  it('refuses a type off the ladder', () => {
    expect(planResize(input({ request: { kind: 'to', type: 'm5.large' } }))).toEqual({
      kind: 'refuse',
      reason: expect.stringMatching(/m5.large is not on the ladder of workers.*--to must name/),
    });
  });

  it('moves every node not on the type, whatever the load and the kind', () => {
    const plan = resized(
      planResize(
        input({
          nodes: nodes('m6i.large', 'm6i.xlarge', 'm6i.large'),
          load: { p95Percent: 5 },
          request: { kind: 'to', type: 'm6i.xlarge' },
        }),
      ),
    );
    expect(moved(plan)).toEqual(['i-1:m6i.large>m6i.xlarge', 'i-3:m6i.large>m6i.xlarge']);
    expect(plan.unchanged).toEqual(['i-2']);
    expect(plan.direction).toBe('up');
  });

  it('is a noop when every node already runs the type', () => {
    expect(planResize(input({ request: { kind: 'to', type: 'm6i.large' } })).kind).toBe('noop');
  });

  it('refuses a move above maxStepRatio', () => {
    expect(planResize(input({ request: { kind: 'to', type: 'm6i.2xlarge' } }))).toEqual({
      kind: 'refuse',
      reason: expect.stringMatching(/4× step.*--step up/),
    });
  });

  it('refuses another architecture even on the ladder', () => {
    const group = policy({ ladder: ['m6i.large', 'm6g.xlarge'] });
    expect(planResize(input({ group, request: { kind: 'to', type: 'm6g.xlarge' } }))).toEqual({
      kind: 'refuse',
      reason: expect.stringMatching(/architecture never changes/),
    });
  });

  it('refuses a group that would both grow and shrink', () => {
    const plan = planResize(
      input({
        nodes: nodes('m6i.large', 'm6i.2xlarge'),
        request: { kind: 'to', type: 'm6i.xlarge' },
      }),
    );
    expect(plan).toEqual({ kind: 'refuse', reason: expect.stringMatching(/grow.*shrink/) });
  });

  it('obeys the hysteresis on the way down', () => {
    const plan = planResize(
      input({
        nodes: nodes('m6i.xlarge', 'm6i.xlarge'),
        load: { p95Percent: 40 },
        request: { kind: 'to', type: 'm6i.large' },
      }),
    );
    expect(plan).toEqual({ kind: 'refuse', reason: expect.stringMatching(/step back up/) });
  });

  it('orders a step down largest first, then by id', () => {
    const plan = resized(
      planResize(
        input({
          nodes: nodes('m6i.xlarge', 'm6i.2xlarge', 'm6i.xlarge', 'm6i.2xlarge'),
          group: policy({ ladder: LADDER, maxStepRatio: 4 }),
          load: { p95Percent: 5 },
          request: { kind: 'to', type: 'm6i.large' },
        }),
      ),
    );
    expect(plan.nodes.map((node) => node.id)).toEqual(['i-2', 'i-4', 'i-1', 'i-3']);
    expect(plan.direction).toBe('down');
  });
});

describe('planResize: refusals', () => {
  const refusals: [string, Partial<PlanResizeInput>, RegExp][] = [
    ['an empty group', { nodes: [] }, /has no nodes/],
    [
      'duplicate node ids',
      {
        nodes: [
          { id: 'i-1', type: 'm6i.large', zone: 'eu-west-1a' },
          { id: 'i-1', type: 'm6i.large', zone: 'eu-west-1b' },
        ],
      },
      /listed twice/,
    ],
    ['a NaN load', { load: { p95Percent: Number.NaN } }, /load figure is unusable/],
    ['a negative load', { load: { p95Percent: -1 } }, /load figure is unusable/],
    ['a node off the ladder', { nodes: nodes('m6i.large', 'c6i.xlarge') }, /i-2 runs c6i.xlarge/],
    [
      'a node type without description',
      { typeInfo: { ...TYPES, 'm6i.large': undefined } as unknown as typeof TYPES },
      /no description of m6i.large/,
    ],
    [
      'a ladder type without description',
      {
        typeInfo: { ...TYPES, 'm6i.xlarge': undefined } as unknown as typeof TYPES,
        load: { p95Percent: 99 },
      },
      /no description of ladder type m6i.xlarge/,
    ],
    [
      'a cooldown in force',
      { cooldown: { untilMs: Date.parse(NOW) + 60_000 }, load: { p95Percent: 99 } },
      /cooling down .* \(60s left\)/,
    ],
  ];

  it.each(refusals)('refuses %s', (_name, overrides, reason) => {
    expect(planResize(input(overrides))).toEqual({
      kind: 'refuse',
      reason: expect.stringMatching(reason),
    });
  });

  it('an expired cooldown no longer refuses', () => {
    const plan = planResize(
      input({ cooldown: { untilMs: Date.parse(NOW) }, load: { p95Percent: 99 } }),
    );
    expect(plan.kind).toBe('resize');
  });

  it('throws on a `now` that is not a timestamp', () => {
    expect(() => planResize(input({ now: 'yesterday' }))).toThrow(RangeError);
  });

  it('accepts the NodeGroupConfig shape with extra fields', () => {
    const group = { ...policy(), cluster: 'primary', selector: {} } as ResizePolicy;
    expect(planResize(input({ group, load: { p95Percent: 99 } })).kind).toBe('resize');
  });
});

describe('resumeOnlyPlan: a re-plan that moves nothing while a dead rollout left members down', () => {
  it('moves only the members left down, each on the type it has, and says why with what the re-plan said', () => {
    const plan = resumeOnlyPlan({
      group: { id: 'workers', metric: 'cpu', headroom: 1.2 },
      running: [
        { id: 'i-c', type: 'm6i.large' },
        { id: 'i-b', type: 'm6i.large' },
      ],
      resumed: [{ id: 'i-a', type: 'm6i.xlarge' }],
      typeInfo: TYPES,
      p95Percent: 60,
      why: 'p95 60% is between scaleDownAt 30% and scaleUpAt 75%: nothing to do',
    });
    expect(plan).toEqual({
      kind: 'resize',
      group: 'workers',
      direction: 'up',
      metric: 'cpu',
      unit: 'vCPU',
      from: { types: ['m6i.xlarge'], capacity: 4 },
      to: { type: 'm6i.xlarge', capacity: 8 },
      nodes: [{ id: 'i-a', from: 'm6i.xlarge', to: 'm6i.xlarge' }],
      unchanged: ['i-b', 'i-c'],
      need: 1.2 * 0.6 * 4,
      newCapacity: 8,
      projectedUtilisation: 30,
      reason:
        'i-a left stopped by an interrupted rollout: started again on m6i.xlarge; otherwise p95 60% is between scaleDownAt 30% and scaleUpAt 75%: nothing to do',
    });
  });

  it('a member left cordoned is running: it is brought back but adds no capacity, and is not counted unchanged', () => {
    const plan = resumeOnlyPlan({
      group: { id: 'workers', metric: 'cpu', headroom: 1.2 },
      running: [
        { id: 'i-c', type: 'm6i.large' },
        { id: 'i-b', type: 'm6i.large' },
      ],
      resumed: [
        { id: 'i-a', type: 'm6i.xlarge' },
        { id: 'i-b', type: 'm6i.large' },
      ],
      typeInfo: TYPES,
      p95Percent: 60,
      why: 'nothing to do',
    });
    expect(plan).toMatchObject({
      from: { types: ['m6i.xlarge', 'm6i.large'], capacity: 4 },
      to: { capacity: 8 },
      nodes: [
        { id: 'i-a', from: 'm6i.xlarge', to: 'm6i.xlarge' },
        { id: 'i-b', from: 'm6i.large', to: 'm6i.large' },
      ],
      unchanged: ['i-c'],
      newCapacity: 8,
      reason:
        'i-a left stopped by an interrupted rollout: started again on m6i.xlarge; i-b left cordoned by an interrupted rollout: made schedulable again; otherwise nothing to do',
    });
  });
});
