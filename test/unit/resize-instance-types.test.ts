import { describe, expect, it } from 'vitest';

import { capacityOf, capacityUnit, compatible } from '../../lambdas/core/resize/instance-types';
import type { InstanceTypeInfo } from '../../lambdas/core/resize/instance-types';
import { nextOnLadder, stepRatio } from '../../lambdas/core/resize/ladder';

const base: InstanceTypeInfo = {
  name: 'm6i.large',
  vcpus: 2,
  memoryMiB: 8192,
  architecture: 'x86_64',
  virtualization: 'hvm',
  enaSupported: true,
  nvmeSupported: true,
  offeredInZones: ['eu-west-1a', 'eu-west-1b'],
};
const bigger = { ...base, name: 'm6i.xlarge', vcpus: 4, memoryMiB: 16384 };

describe('capacityOf', () => {
  it('counts vCPUs for cpu and MiB for memory', () => {
    expect(capacityOf(base, 'cpu')).toBe(2);
    expect(capacityOf(base, 'memory')).toBe(8192);
    expect(capacityUnit('cpu')).toBe('vCPU');
    expect(capacityUnit('memory')).toBe('MiB');
  });
});

describe('compatible', () => {
  it('accepts the same family in the same zones', () => {
    expect(compatible(base, bigger, ['eu-west-1a'])).toEqual({ ok: true });
  });

  it('lists every failure', () => {
    const other: InstanceTypeInfo = {
      ...bigger,
      name: 'x.odd',
      architecture: 'arm64',
      virtualization: 'paravirtual',
      enaSupported: false,
      nvmeSupported: false,
      offeredInZones: ['eu-west-1a'],
    };
    const result = compatible(base, other, ['eu-west-1b', 'eu-west-1c', 'eu-west-1a']);
    expect(result).toEqual({
      ok: false,
      reasons: [
        'x.odd is arm64, m6i.large is x86_64: the architecture never changes',
        'x.odd uses paravirtual virtualization, m6i.large hvm: the virtualization never changes',
        'x.odd lacks ENA support, which m6i.large has',
        'x.odd lacks NVMe support, which m6i.large has',
        'x.odd is not offered in eu-west-1b, eu-west-1c',
      ],
    });
  });

  it('gaining ENA or NVMe is fine, losing it is not', () => {
    const without = { ...base, enaSupported: false, nvmeSupported: false };
    expect(compatible(without, bigger, [])).toEqual({ ok: true });
    expect(compatible(bigger, without, []).ok).toBe(false);
  });
});

describe('nextOnLadder', () => {
  const typeInfo = { [base.name]: base, [bigger.name]: bigger };
  const context = {
    ladder: [base.name, bigger.name],
    typeInfo,
    metric: 'cpu' as const,
    maxStepRatio: 2,
    zones: ['eu-west-1a'],
  };

  it('steps up and down one entry', () => {
    expect(nextOnLadder(context, base.name, 'up')).toEqual({
      kind: 'step',
      to: bigger.name,
      ratio: 2,
      skipped: [],
    });
    expect(nextOnLadder(context, bigger.name, 'down')).toMatchObject({
      kind: 'step',
      to: base.name,
    });
  });

  it('reports the ends', () => {
    expect(nextOnLadder(context, bigger.name, 'up')).toEqual({ kind: 'end', skipped: [] });
    expect(nextOnLadder(context, base.name, 'down')).toEqual({ kind: 'end', skipped: [] });
  });

  it('blocks a step above maxStepRatio and a type off the ladder', () => {
    expect(nextOnLadder({ ...context, maxStepRatio: 1.5 }, base.name, 'up').kind).toBe('blocked');
    expect(nextOnLadder(context, 'm5.large', 'up')).toEqual({
      kind: 'blocked',
      reason: 'm5.large is not on the ladder',
    });
  });

  it('stepRatio is symmetric and ≥ 1', () => {
    expect(stepRatio(2, 8)).toBe(4);
    expect(stepRatio(8, 2)).toBe(4);
    expect(stepRatio(3, 3)).toBe(1);
  });
});
