/**
 * The node-resize planner (decide-then-act): from a node group's config, its current members,
 * the instance types' descriptions, the p95 load and the request, decide which nodes move to
 * which type — or why nothing moves. Pure and deterministic; the executors act only on a
 * `resize`, one node at a time in the order of `nodes`.
 *
 * Rules (DESIGN.md "Node resize"; capacities are on the alarmed dimension only: vCPU for `cpu`,
 * MiB for `memory`):
 * - C = the group's current capacity (Σ over its nodes); load L = p95 % × C;
 *   need = headroom × L.
 * - `auto` (an alarm): up when p95 ≥ scaleUpAt, down when p95 ≤ scaleDownAt, else noop.
 *   `step`: the direction asked. `to`: the type asked, which must be on the ladder.
 * - A node moves one ladder step: the nearest compatible ladder type that changes the alarmed
 *   dimension (`nextOnLadder`), never more than maxStepRatio× on it. A larger gap is refused,
 *   never jumped: the next alarm continues from where this step ends.
 * - Never another architecture or virtualization, never losing ENA/NVMe, only types offered in
 *   every zone the group's nodes are in (`compatible`). Incompatible ladder types are skipped.
 * - Up, `ec2`: move the smallest k of the movable nodes whose move brings the capacity to ≥ need
 *   — the group grows by a fraction. At least one node moves (an alarm at scaleUpAt with
 *   headroom 1.2 asks 0.9·C, which C already meets: the alarm still earns the smallest step);
 *   when even all of them fall short, they all move and the next alarm continues. So the new
 *   capacity exceeds max(need, C) by at most one node's step.
 * - Down, `ec2`: move the largest k whose result keeps the projected utilisation
 *   (p95 × C / new capacity) below scaleUpAt / headroom (hysteresis: the load that made the
 *   group shrink can never make it grow again); when even one node breaks that, nothing moves.
 *   Every move down, whatever the request, obeys this.
 * - `asg` / `eks-managed`: one launch-template change moves every node (k = N); such a group
 *   must be on a single type (mixed types mean a rollout is under way: refused).
 * - Mixed `ec2` groups (left by an earlier k-of-N step): a step up moves only nodes of the
 *   group's smallest type (the not-yet-moved ones), a step down only nodes of its largest type
 *   (the moved ones). So one plan has one source type and one target type, and the group stays
 *   within two neighbouring ladder types. Among equals, lowest id first.
 * - `to`: every node not on the type moves to it (any kind), each move compatible and within
 *   maxStepRatio; a group that would grow on some nodes and shrink on others is refused. The
 *   direction is judged on the alarmed dimension (a type equal on it counts by ladder place);
 *   up moves the smallest nodes first, down the largest, then by id. Thresholds and the need do
 *   not apply (a person chose), the hysteresis does (see above).
 * - Refused: an empty group, duplicate node ids, an unusable load figure, a node whose type is
 *   off the ladder or undescribed, a cooldown in force, a step blocked by maxStepRatio or a
 *   missing description, a manual step at the ladder's end or against the hysteresis.
 *   An alarm that cannot be acted on at the ladder's end or because of the hysteresis is a
 *   noop (nothing is wrong; at the top, horizontal scaling has to take over).
 */
import type { NodeGroupConfig } from '../config/schema';
import { capacityOf, capacityUnit, compatible } from './instance-types';
import type { InstanceTypeInfo, ResizeMetric } from './instance-types';
import { nextOnLadder, stepRatio } from './ladder';
import type { Direction } from './ladder';

export type { Direction } from './ladder';

/** The parts of a node group's config the planner reads. */
export type ResizePolicy = Pick<
  NodeGroupConfig,
  | 'id'
  | 'kind'
  | 'metric'
  | 'ladder'
  | 'maxStepRatio'
  | 'headroom'
  | 'scaleUpAt'
  | 'scaleDownAt'
  | 'cooldownSeconds'
>;

export interface ResizeNode {
  /** Instance id (kind ec2) or any stable member id. */
  id: string;
  type: string;
  zone: string;
}

export type ResizeRequest =
  { kind: 'auto' } | { kind: 'step'; direction: Direction } | { kind: 'to'; type: string };

export interface PlanResizeInput {
  group: ResizePolicy;
  /** The group's current members. */
  nodes: readonly ResizeNode[];
  /** Descriptions of the nodes' types and of the ladder's types. */
  typeInfo: Readonly<Record<string, InstanceTypeInfo>>;
  /** p95 of the alarmed metric over the window, in percent of the group's current capacity. */
  load: { p95Percent: number };
  request: ResizeRequest;
  cooldown: { untilMs: number } | null;
  /** ISO timestamp. */
  now: string;
}

export interface NodeMove {
  id: string;
  from: string;
  to: string;
}

export interface ResizeStep {
  kind: 'resize';
  group: string;
  direction: Direction;
  metric: ResizeMetric;
  unit: 'vCPU' | 'MiB';
  /** The types the moved nodes leave (ladder order) and the group's capacity now. */
  from: { types: string[]; capacity: number };
  /** The type they move to and the group's capacity afterwards (= newCapacity). */
  to: { type: string; capacity: number };
  /** The nodes to move, in rollout order. */
  nodes: NodeMove[];
  /** The ids of the nodes that keep their type, sorted. */
  unchanged: string[];
  /** headroom × p95 × current capacity. */
  need: number;
  newCapacity: number;
  /** p95 × current capacity / new capacity, in percent: the same load on the new group. */
  projectedUtilisation: number;
  reason: string;
}

export type ResizePlan =
  ResizeStep | { kind: 'noop'; reason: string } | { kind: 'refuse'; reason: string };

/**
 * Projected utilisation must stay below scaleUpAt / headroom by this relative margin, so that a
 * rounding error can never turn "just below" into an alarm that steps back up.
 */
const HYSTERESIS_MARGIN = 1e-9;

interface Context {
  input: PlanResizeInput;
  group: ResizePolicy;
  manual: boolean;
  unit: 'vCPU' | 'MiB';
  zones: string[];
  capacity: number;
  need: number;
  p95: number;
}

export function planResize(input: PlanResizeInput): ResizePlan {
  const nowMs = Date.parse(input.now);
  if (Number.isNaN(nowMs)) throw new RangeError(`planResize: now is not a timestamp: ${input.now}`);
  const { group, nodes, typeInfo, request } = input;
  const p95 = input.load.p95Percent;

  if (request.kind === 'to' && !group.ladder.includes(request.type)) {
    return refuse(
      `${request.type} is not on the ladder of ${group.id} (${group.ladder.join(', ')}): --to must name a ladder type`,
    );
  }
  if (nodes.length === 0) return refuse(`${group.id} has no nodes`);
  const ids = new Set<string>();
  for (const node of nodes) {
    if (ids.has(node.id)) return refuse(`node ${node.id} is listed twice`);
    ids.add(node.id);
  }
  if (!Number.isFinite(p95) || p95 < 0) {
    return refuse(`the load figure is unusable (p95 ${p95}%): no decision without a measurement`);
  }
  for (const node of sortById(nodes)) {
    if (!group.ladder.includes(node.type)) {
      return refuse(
        `node ${node.id} runs ${node.type}, which is not on the ladder of ${group.id} (${group.ladder.join(', ')})`,
      );
    }
    const info = typeInfo[node.type];
    if (!info) return refuse(`no description of ${node.type} (node ${node.id})`);
    if (!(capacityOf(info, group.metric) > 0)) {
      return refuse(`${node.type} has no ${group.metric} capacity in its description`);
    }
  }
  if (input.cooldown && input.cooldown.untilMs > nowMs) {
    const left = Math.ceil((input.cooldown.untilMs - nowMs) / 1000);
    return refuse(
      `${group.id} is cooling down after a rollout until ${new Date(input.cooldown.untilMs).toISOString()} (${left}s left)`,
    );
  }
  const types = distinctTypes(group, nodes);
  if (group.kind !== 'ec2' && types.length > 1) {
    return refuse(
      `${group.id} (${group.kind}) runs several types (${types.join(', ')}): a rollout is probably under way`,
    );
  }

  const capacity = nodes.reduce(
    (sum, node) => sum + capacityOf(typeInfo[node.type] as InstanceTypeInfo, group.metric),
    0,
  );
  const context: Context = {
    input,
    group,
    manual: request.kind !== 'auto',
    unit: capacityUnit(group.metric),
    zones: [...new Set(nodes.map((node) => node.zone))].sort(),
    capacity,
    need: group.headroom * (p95 / 100) * capacity,
    p95,
  };

  if (request.kind === 'to') return planTo(context, request.type);
  if (request.kind === 'step')
    return planStep(context, request.direction, `--step ${request.direction}`);
  if (p95 >= group.scaleUpAt) {
    return planStep(context, 'up', `p95 ${pct(p95)} ≥ scaleUpAt ${pct(group.scaleUpAt)}`);
  }
  if (p95 <= group.scaleDownAt) {
    return planStep(context, 'down', `p95 ${pct(p95)} ≤ scaleDownAt ${pct(group.scaleDownAt)}`);
  }
  return noop(
    `p95 ${pct(p95)} is between scaleDownAt ${pct(group.scaleDownAt)} and scaleUpAt ${pct(group.scaleUpAt)}: nothing to do`,
  );
}

function planStep(context: Context, direction: Direction, why: string): ResizePlan {
  const { input, group } = context;
  const types = distinctTypes(group, input.nodes);
  // Up: the smallest type's nodes (not yet moved); down: the largest type's (moved first).
  const source = (direction === 'up' ? types[0] : types[types.length - 1]) as string;
  const step = nextOnLadder(
    { ...group, typeInfo: input.typeInfo, zones: context.zones },
    source,
    direction,
  );
  if (step.kind === 'blocked') return refuse(`${why}, but ${step.reason}`);
  if (step.kind === 'end') {
    const end = direction === 'up' ? 'top' : 'bottom';
    const skipped = step.skipped.length > 0 ? ` (${step.skipped.join('; ')})` : '';
    const after = direction === 'up' ? ': horizontal scaling has to take over' : '';
    const text = `${why}, but ${source} is at the ${end} of the ladder${skipped}${after}`;
    return context.manual ? refuse(text) : noop(text);
  }

  const candidates = sortById(input.nodes.filter((node) => node.type === source));
  const perNode = Math.abs(
    capacityOf(input.typeInfo[step.to] as InstanceTypeInfo, group.metric) -
      capacityOf(input.typeInfo[source] as InstanceTypeInfo, group.metric),
  );
  const all = group.kind !== 'ec2';
  let k: number;
  if (direction === 'up') {
    k = all ? candidates.length : smallestKMeetingNeed(context, candidates.length, perNode);
  } else {
    k = all
      ? underHysteresis(context, context.capacity - candidates.length * perNode)
        ? candidates.length
        : 0
      : largestKUnderHysteresis(context, candidates.length, perNode);
    if (k === 0) {
      const tried = all ? candidates.length : 1;
      const text =
        `${why}, but ${all ? `moving all ${tried} nodes` : 'moving even one node'} ${source} → ${step.to} ` +
        `would leave utilisation at ${pct(projectedAt(context, context.capacity - tried * perNode))}, ` +
        `not below scaleUpAt / headroom = ${pct(bound(group))}: the next alarm would step back up`;
      return context.manual ? refuse(text) : noop(text);
    }
  }
  const moving = candidates.slice(0, k);
  const sign = direction === 'up' ? 1 : -1;
  const newCapacity = context.capacity + sign * k * perNode;
  const skipped = step.skipped.length > 0 ? ` (${step.skipped.join('; ')})` : '';
  const how =
    direction === 'up'
      ? `need ${group.headroom} × ${pct(context.p95)} × ${context.capacity} ${context.unit} = ${num(context.need)} ${context.unit}`
      : `projected utilisation stays below scaleUpAt / headroom = ${pct(bound(group))}`;
  const reason =
    `${why}; ${how}; moving ${k} of ${input.nodes.length} nodes ${source} → ${step.to}${skipped} ` +
    `takes ${group.id} from ${context.capacity} to ${newCapacity} ${context.unit} ` +
    `(projected utilisation ${pct(projectedAt(context, newCapacity))})`;
  return resize(context, direction, moving, step.to, newCapacity, reason);
}

/** The smallest k ≥ 1 whose move reaches the need, or all of them when none does. */
function smallestKMeetingNeed(context: Context, count: number, perNode: number): number {
  for (let k = 1; k <= count; k++) {
    if (context.capacity + k * perNode >= context.need) return k;
  }
  return count;
}

/** The largest k whose move keeps the projected utilisation under the bound (0: none). */
function largestKUnderHysteresis(context: Context, count: number, perNode: number): number {
  for (let k = count; k >= 1; k--) {
    if (underHysteresis(context, context.capacity - k * perNode)) return k;
  }
  return 0;
}

function underHysteresis(context: Context, newCapacity: number): boolean {
  if (!(newCapacity > 0)) return false;
  return projectedAt(context, newCapacity) < bound(context.group) * (1 - HYSTERESIS_MARGIN);
}

function planTo(context: Context, target: string): ResizePlan {
  const { input, group } = context;
  const targetInfo = input.typeInfo[target];
  if (!targetInfo) return refuse(`no description of ${target}`);
  const moving = input.nodes.filter((node) => node.type !== target);
  if (moving.length === 0) return noop(`every node of ${group.id} already runs ${target}`);
  // The direction is on the alarmed dimension (a ladder need not be sorted by it); a type
  // that does not change it counts by its place on the ladder.
  const targetIndex = group.ladder.indexOf(target);
  const targetCapacity = capacityOf(targetInfo, group.metric);
  const sources = distinctTypes(group, moving);
  const grows = (type: string): boolean => {
    const from = capacityOf(input.typeInfo[type] as InstanceTypeInfo, group.metric);
    return from === targetCapacity
      ? group.ladder.indexOf(type) < targetIndex
      : from < targetCapacity;
  };
  const up = sources.filter(grows);
  const down = sources.filter((type) => !grows(type));
  if (up.length > 0 && down.length > 0) {
    return refuse(
      `--to ${target} would grow nodes on ${up.join(', ')} and shrink nodes on ${down.join(', ')}: step them separately`,
    );
  }
  const direction: Direction = up.length > 0 ? 'up' : 'down';
  for (const source of sources) {
    const sourceInfo = input.typeInfo[source] as InstanceTypeInfo;
    const fit = compatible(sourceInfo, targetInfo, context.zones);
    if (!fit.ok) return refuse(`--to ${target}: ${fit.reasons.join('; ')}`);
    const from = capacityOf(sourceInfo, group.metric);
    const to = targetCapacity;
    if (!(to > 0)) return refuse(`${target} has no ${group.metric} capacity in its description`);
    const ratio = stepRatio(from, to);
    if (ratio > group.maxStepRatio) {
      return refuse(
        `--to ${target}: ${source} → ${target} is a ${num(ratio)}× step on ${group.metric} (${from} → ${to} ${context.unit}), ` +
          `above maxStepRatio ${group.maxStepRatio}: use --step ${direction} (one step per rollout) or raise maxStepRatio`,
      );
    }
  }
  const newCapacity = input.nodes.length * capacityOf(targetInfo, group.metric);
  if (direction === 'down' && !underHysteresis(context, newCapacity)) {
    return refuse(
      `--to ${target} would leave utilisation at ${pct(projectedAt(context, newCapacity))}, not below ` +
        `scaleUpAt / headroom = ${pct(bound(group))}: the next alarm would step back up`,
    );
  }
  // Up: the smallest nodes first; down: the largest first; then by id.
  const capacityOfNode = (node: ResizeNode): number =>
    capacityOf(input.typeInfo[node.type] as InstanceTypeInfo, group.metric);
  const order = sortById(moving).sort((a, b) => {
    const bySize = capacityOfNode(a) - capacityOfNode(b);
    return direction === 'up' ? bySize : -bySize;
  });
  const reason =
    `--to ${target}: moving ${moving.length} of ${input.nodes.length} nodes takes ${group.id} ` +
    `from ${context.capacity} to ${newCapacity} ${context.unit} ` +
    `(projected utilisation ${pct(projectedAt(context, newCapacity))})`;
  return resize(context, direction, order, target, newCapacity, reason);
}

function resize(
  context: Context,
  direction: Direction,
  moving: readonly ResizeNode[],
  target: string,
  newCapacity: number,
  reason: string,
): ResizeStep {
  const { input, group } = context;
  const movingIds = new Set(moving.map((node) => node.id));
  return {
    kind: 'resize',
    group: group.id,
    direction,
    metric: group.metric,
    unit: context.unit,
    from: { types: distinctTypes(group, moving), capacity: context.capacity },
    to: { type: target, capacity: newCapacity },
    nodes: moving.map((node) => ({ id: node.id, from: node.type, to: target })),
    unchanged: sortById(input.nodes.filter((node) => !movingIds.has(node.id))).map(
      (node) => node.id,
    ),
    need: context.need,
    newCapacity,
    projectedUtilisation: projectedAt(context, newCapacity),
    reason,
  };
}

/** The same absolute load on the new capacity, in percent. */
function projectedAt(context: Context, newCapacity: number): number {
  return (context.p95 * context.capacity) / newCapacity;
}

function bound(group: ResizePolicy): number {
  return group.scaleUpAt / group.headroom;
}

/** The distinct types of `nodes`, in ladder order. */
function distinctTypes(group: ResizePolicy, nodes: readonly ResizeNode[]): string[] {
  return [...new Set(nodes.map((node) => node.type))].sort(
    (a, b) => group.ladder.indexOf(a) - group.ladder.indexOf(b),
  );
}

function sortById<T extends { id: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function refuse(reason: string): ResizePlan {
  return { kind: 'refuse', reason };
}

function noop(reason: string): ResizePlan {
  return { kind: 'noop', reason };
}

function pct(value: number): string {
  return `${Math.round(value * 10) / 10}%`;
}

function num(value: number): string {
  return `${Math.round(value * 100) / 100}`;
}

/**
 * The plan of a rollout that only brings back the members a dead rollout left down or cordoned
 * (`resumeStep` in node-steps.ts) when the re-plan itself moves nothing (`why`): they come back on
 * the types they have, nothing else moves, and the group regains the capacity of those that were
 * stopped (a cordoned member is running, so its capacity is counted already).
 */
export function resumeOnlyPlan(input: {
  group: Pick<NodeGroupConfig, 'id' | 'metric' | 'headroom'>;
  running: readonly { id: string; type: string }[];
  resumed: readonly { id: string; type: string }[];
  typeInfo: Record<string, InstanceTypeInfo>;
  p95Percent: number;
  why: string;
}): ResizeStep {
  const { group, running, resumed, typeInfo } = input;
  const sum = (nodes: readonly { type: string }[]) =>
    nodes.reduce((total, n) => {
      const info = typeInfo[n.type];
      return total + (info ? capacityOf(info, group.metric) : 0);
    }, 0);
  const up = new Set(running.map((n) => n.id));
  const stopped = resumed.filter((n) => !up.has(n.id));
  const cordoned = resumed.filter((n) => up.has(n.id));
  const capacity = sum(running);
  const newCapacity = capacity + sum(stopped);
  const typesOf = (nodes: readonly { type: string }[]) => [...new Set(nodes.map((n) => n.type))];
  const types = typesOf(resumed);
  const ids = (nodes: readonly { id: string }[]) => nodes.map((n) => n.id).join(', ');
  const brought = [
    ...(stopped.length > 0
      ? [
          `${ids(stopped)} left stopped by an interrupted rollout: started again on ${typesOf(stopped).join(', ')}`,
        ]
      : []),
    ...(cordoned.length > 0
      ? [`${ids(cordoned)} left cordoned by an interrupted rollout: made schedulable again`]
      : []),
  ];
  return {
    kind: 'resize',
    group: group.id,
    direction: 'up',
    metric: group.metric,
    unit: capacityUnit(group.metric),
    from: { types, capacity },
    to: { type: types[0] ?? '', capacity: newCapacity },
    nodes: resumed.map((n) => ({ id: n.id, from: n.type, to: n.type })),
    unchanged: running
      .map((n) => n.id)
      .filter((id) => !cordoned.some((n) => n.id === id))
      .sort(),
    need: group.headroom * (input.p95Percent / 100) * capacity,
    newCapacity,
    projectedUtilisation: newCapacity > 0 ? (input.p95Percent * capacity) / newCapacity : 0,
    reason: `${brought.join('; ')}; otherwise ${input.why}`,
  };
}
