/**
 * One step along a node group's ladder of instance types (smallest → largest). Pure.
 *
 * From a type on the ladder, the next step in a direction is the nearest ladder entry that way
 * which (1) is compatible with the current type (`compatible`: same architecture and
 * virtualization, ENA/NVMe kept, offered in the group's zones) and (2) really changes the
 * alarmed dimension (more vCPU/MiB on the way up, fewer on the way down). Entries failing
 * either are skipped, and the skips are reported. The step found must stay within
 * `maxStepRatio` on the alarmed dimension; a larger gap is `blocked`, never jumped over.
 */
import { capacityOf, capacityUnit, compatible } from './instance-types';
import type { InstanceTypeInfo, ResizeMetric } from './instance-types';

export type Direction = 'up' | 'down';

export type LadderStep =
  | { kind: 'step'; to: string; ratio: number; skipped: string[] }
  /** No compatible type further along the ladder: the top (up) or the bottom (down). */
  | { kind: 'end'; skipped: string[] }
  /** The step cannot be taken safely; `reason` says why. */
  | { kind: 'blocked'; reason: string };

export interface LadderContext {
  ladder: readonly string[];
  typeInfo: Readonly<Record<string, InstanceTypeInfo>>;
  metric: ResizeMetric;
  maxStepRatio: number;
  /** The zones the group's nodes are in. */
  zones: readonly string[];
}

/** The ratio of the larger to the smaller capacity (≥ 1): the size of a step, either way. */
export function stepRatio(from: number, to: number): number {
  return from >= to ? from / to : to / from;
}

export function nextOnLadder(
  context: LadderContext,
  from: string,
  direction: Direction,
): LadderStep {
  const { ladder, typeInfo, metric, maxStepRatio, zones } = context;
  const start = ladder.indexOf(from);
  const fromInfo = typeInfo[from];
  if (start < 0) return { kind: 'blocked', reason: `${from} is not on the ladder` };
  if (!fromInfo) return { kind: 'blocked', reason: `no description of ${from}` };
  const unit = capacityUnit(metric);
  const fromCapacity = capacityOf(fromInfo, metric);
  const delta = direction === 'up' ? 1 : -1;
  const skipped: string[] = [];
  for (let index = start + delta; index >= 0 && index < ladder.length; index += delta) {
    const name = ladder[index] as string;
    const info = typeInfo[name];
    if (!info) return { kind: 'blocked', reason: `no description of ladder type ${name}` };
    const fit = compatible(fromInfo, info, zones);
    if (!fit.ok) {
      skipped.push(`${name} skipped: ${fit.reasons.join('; ')}`);
      continue;
    }
    const capacity = capacityOf(info, metric);
    if (!(capacity > 0)) {
      skipped.push(`${name} skipped: no ${metric} capacity in its description`);
      continue;
    }
    if (direction === 'up' ? capacity <= fromCapacity : capacity >= fromCapacity) {
      skipped.push(
        `${name} skipped: ${capacity} ${unit} is not ${direction === 'up' ? 'more' : 'less'} than ${from}'s ${fromCapacity} ${unit}`,
      );
      continue;
    }
    const ratio = stepRatio(fromCapacity, capacity);
    if (ratio > maxStepRatio) {
      return {
        kind: 'blocked',
        reason:
          `${from} → ${name} is a ${round(ratio)}× step on ${metric} (${fromCapacity} → ${capacity} ${unit}), ` +
          `above maxStepRatio ${maxStepRatio}: add the sizes in between to the ladder or raise maxStepRatio`,
      };
    }
    return { kind: 'step', to: name, ratio, skipped };
  }
  return { kind: 'end', skipped };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
