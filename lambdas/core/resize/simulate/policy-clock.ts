/**
 * The simulation clock one policy runs on, minute by minute: the demand lands on the serving
 * nodes (utilisation = demand ÷ serving capacity, at most 100 % — the scheduler spreads pods by
 * capacity), each member publishes its utilisation, every five minutes the member alarms are
 * evaluated, and while one is in ALARM the fleet is asked to decide — the alarm's own invocation
 * and the five-minute re-plan both land on that boundary. The load a decision sees is what the
 * resize function reads: each node's datapoints over the last 15 minutes (five-minute ones for
 * `cpu` under EC2 basic monitoring, one-minute ones from the CloudWatch agent for `memory`),
 * capacity-weighted and taken at p95 by the Lambda's own `utilisationFromDatapoints`.
 */
import type { ResizeMetric } from '../instance-types';
import { utilisationFromDatapoints } from '../p95';
import type { UtilisationPoint } from '../p95';
import type { Fleet, FleetCounts, ServingNode } from './fleet';
import { MemberAlarmModel, PERIOD_MINUTES } from './member-alarm-model';
import type { AlarmThresholds } from './member-alarm-model';

/** The resize function's load window (`beginResize`'s windowMinutes). */
export const LOAD_WINDOW_MINUTES = 15;

export interface ClockInput {
  /** Demand per minute in the group's unit. */
  demand: Float64Array;
  startMs: number;
  metric: ResizeMetric;
  thresholds: AlarmThresholds;
}

export interface PolicyRun extends FleetCounts {
  /** Serving capacity per minute. */
  capacity: Float64Array;
  /** Σ over minutes of the micro-dollars per hour billed (÷ 60 ÷ 10⁶ = USD). */
  costMicroUsdMinutes: number;
  minutesOverCapacity: number;
  typesUsed: string[];
  maxNodes: number;
}

/** A member's utilisation in each minute of the load window (NaN: it did not serve). */
type Recent = Float64Array;

export function runPolicyClock(input: ClockInput, fleet: Fleet): PolicyRun {
  const { demand } = input;
  const minutes = demand.length;
  const resolution = input.metric === 'cpu' ? PERIOD_MINUTES : 1;
  const alarms = new MemberAlarmModel(input.thresholds);
  const recent = new Map<string, Recent>();
  const capacity = new Float64Array(minutes);
  const typesUsed = new Set<string>();
  let cost = 0;
  let over = 0;
  let maxNodes = 0;
  let members: readonly string[] = [];
  let serving: readonly ServingNode[] = [];
  let servingIds = new Set<string>();
  let servingCapacity = 0;

  for (let t = 0; t < minutes; t++) {
    const now = fleet.minute(t);
    if (now.members !== members) {
      members = now.members;
      for (const id of [...recent.keys()]) if (!members.includes(id)) recent.delete(id);
      for (const id of members) {
        if (!recent.has(id)) recent.set(id, new Float64Array(LOAD_WINDOW_MINUTES).fill(Number.NaN));
      }
    }
    if (now.serving !== serving) {
      serving = now.serving;
      servingIds = new Set(serving.map((node) => node.id));
      servingCapacity = serving.reduce((sum, node) => sum + node.capacity, 0);
    }
    const load = demand[t] as number;
    const utilisation = servingCapacity > 0 ? Math.min(100, (100 * load) / servingCapacity) : 100;
    capacity[t] = servingCapacity;
    cost += now.billedMicroUsdPerHour;
    if (load > servingCapacity) over++;
    for (const type of now.billedTypes) typesUsed.add(type);
    maxNodes = Math.max(maxNodes, now.billedNodes);
    const slot = t % LOAD_WINDOW_MINUTES;
    for (const [id, history] of recent)
      history[slot] = servingIds.has(id) ? utilisation : Number.NaN;

    const boundary = t + 1;
    if (boundary % PERIOD_MINUTES !== 0) continue;
    alarms.period(
      new Map(
        [...recent].map(([id, history]) => [id, mean(window(history, boundary, PERIOD_MINUTES))]),
      ),
    );
    const states = alarms.states();
    if (!(states.up || states.down) || fleet.busy()) continue;
    const reading = utilisationFromDatapoints(
      serving.map((node) => ({
        nodeId: node.id,
        capacity: node.capacity,
        points: datapoints(recent.get(node.id), boundary, resolution, input.startMs),
      })),
    );
    if (reading) fleet.decide(boundary, { p95Percent: reading.p95Percent, nodes: serving });
  }
  return {
    ...fleet.counts(),
    capacity,
    costMicroUsdMinutes: cost,
    minutesOverCapacity: over,
    typesUsed: [...typesUsed].sort(),
    maxNodes,
  };
}

/** The last `count` minutes before `boundary`, oldest first. */
function window(history: Recent, boundary: number, count: number): number[] {
  const values: number[] = [];
  for (let t = boundary - count; t < boundary; t++) {
    if (t >= 0) values.push(history[t % LOAD_WINDOW_MINUTES] as number);
  }
  return values;
}

/** The mean of the serving minutes, or null when the node served in none (no datapoint). */
function mean(values: readonly number[]): number | null {
  let sum = 0;
  let count = 0;
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    sum += value;
    count++;
  }
  return count === 0 ? null : sum / count;
}

/** A node's datapoints over the load window ending at `boundary`, one per `resolution` minutes. */
function datapoints(
  history: Recent | undefined,
  boundary: number,
  resolution: number,
  startMs: number,
): UtilisationPoint[] {
  if (!history) return [];
  const values = window(history, boundary, LOAD_WINDOW_MINUTES);
  const first = boundary - values.length;
  const points: UtilisationPoint[] = [];
  for (let offset = 0; offset < values.length; offset += resolution) {
    const value = mean(values.slice(offset, offset + resolution));
    if (value !== null) {
      points.push({ timestampMs: startMs + (first + offset) * 60_000, percent: value });
    }
  }
  return points;
}
