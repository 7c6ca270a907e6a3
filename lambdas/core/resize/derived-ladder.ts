/**
 * A ladder derived from the EC2 catalogue (DESIGN.md "Node resize": candidates "from the group's
 * ladder, or derived from DescribeInstanceTypes"). A node group whose `ladder` names a single
 * type — the seed — gets every size of the seed's family that is `compatible` with the seed
 * (same architecture and virtualization, ENA/NVMe kept, offered in every zone the group's nodes
 * are in), ordered by the alarmed dimension, ties by the other dimension, then by name.
 * Bare-metal sizes are never derived. The seed itself is always on the derived ladder. Pure.
 */
import type { NodeGroupConfig } from '../config/schema';
import { capacityOf, compatible } from './instance-types';
import type { InstanceTypeInfo, ResizeMetric } from './instance-types';

export interface DerivedLadder {
  /** Smallest → largest on the alarmed dimension. */
  ladder: string[];
  /** The family's sizes left off the ladder and why, by name. */
  dropped: Array<{ type: string; reason: string }>;
}

/** The family of an instance type: `m6i` for `m6i.large`, `m7i-flex` for `m7i-flex.xlarge`. */
export function instanceFamily(type: string): string {
  const dot = type.indexOf('.');
  return dot < 0 ? type : type.slice(0, dot);
}

/** The seed type when `ladder` is to be derived (it names a single type), else `undefined`. */
export function ladderSeed(ladder: readonly string[]): string | undefined {
  return ladder.length === 1 ? ladder[0] : undefined;
}

/**
 * The derived ladder of `seed` from `catalogue` (the family's descriptions; types of other
 * families are ignored). An undescribed seed yields `[seed]`: the planner then refuses with
 * "no description".
 */
export function deriveLadder(
  seed: string,
  catalogue: Readonly<Record<string, InstanceTypeInfo>>,
  metric: ResizeMetric,
  zones: readonly string[],
): DerivedLadder {
  const seedInfo = catalogue[seed];
  if (!seedInfo) return { ladder: [seed], dropped: [] };
  const family = instanceFamily(seed);
  const kept = new Map<string, InstanceTypeInfo>([[seed, seedInfo]]);
  const dropped: DerivedLadder['dropped'] = [];
  for (const name of Object.keys(catalogue).sort()) {
    if (name === seed || instanceFamily(name) !== family) continue;
    const info = catalogue[name] as InstanceTypeInfo;
    const reason = unfit(seedInfo, name, info, metric, zones);
    if (reason) dropped.push({ type: name, reason });
    else kept.set(name, info);
  }
  const other: ResizeMetric = metric === 'cpu' ? 'memory' : 'cpu';
  const ladder = [...kept]
    .sort(
      ([aName, a], [bName, b]) =>
        capacityOf(a, metric) - capacityOf(b, metric) ||
        capacityOf(a, other) - capacityOf(b, other) ||
        (aName < bName ? -1 : aName > bName ? 1 : 0),
    )
    .map(([name]) => name);
  return { ladder, dropped };
}

/**
 * The ladder the planner gets for a group: a ladder of two or more types as configured, a single
 * type derived from `catalogue` (`deriveLadder`).
 */
export function effectiveLadder(
  group: Pick<NodeGroupConfig, 'ladder' | 'metric'>,
  catalogue: Readonly<Record<string, InstanceTypeInfo>>,
  zones: readonly string[],
): DerivedLadder {
  const seed = ladderSeed(group.ladder);
  if (seed === undefined) return { ladder: [...group.ladder], dropped: [] };
  return deriveLadder(seed, catalogue, group.metric, zones);
}

function unfit(
  seed: InstanceTypeInfo,
  name: string,
  info: InstanceTypeInfo,
  metric: ResizeMetric,
  zones: readonly string[],
): string | undefined {
  const size = name.slice(name.indexOf('.') + 1);
  // A bare-metal size is a whole host: far slower to stop and start, and priced as one. Whoever
  // wants it names it in an explicit ladder.
  if (size === 'metal' || size.startsWith('metal-')) {
    return 'a bare-metal size: never derived, name it in an explicit ladder';
  }
  const fit = compatible(seed, info, zones);
  if (!fit.ok) return fit.reasons.join('; ');
  if (!(capacityOf(info, metric) > 0)) return `no ${metric} capacity in its description`;
  return undefined;
}
