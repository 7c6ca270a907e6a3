/**
 * The group's own policy: the resize Lambda's planner (`planResize`, imported, never copied)
 * decides from the load reading, the current members, the catalogue's descriptions and the
 * cooldown; the rollout then moves the planned nodes one at a time, each out of service for a
 * drain, a stop, a start and Ready (`RolloutTiming`), and the cooldown starts when the last one is back —
 * as the rollout state machine's Finish step starts it.
 */
import type { InstanceTypeInfo } from '../instance-types';
import { planResize } from '../plan-resize';
import type { NodeMove, ResizeNode, ResizePolicy } from '../plan-resize';
import { capacityOf } from '../instance-types';
import type { Fleet, FleetCounts, FleetMinute, LoadReading } from './fleet';
import type { RolloutTiming } from './rollout-timing';

export interface LadderFleetInput {
  group: ResizePolicy;
  typeInfo: Readonly<Record<string, InstanceTypeInfo>>;
  microUsdPerHour: Readonly<Record<string, number>>;
  zone: string;
  startType: string;
  nodes: number;
  startMs: number;
  timing: RolloutTiming;
}

interface Rollout {
  moves: NodeMove[];
  /** The move under way, and the minute it started. */
  index: number;
  since: number;
}

export class LadderFleet implements Fleet {
  private readonly nodes: ResizeNode[];
  private rollout: Rollout | null = null;
  private cooldownUntilMs: number | null = null;
  private readonly tally: FleetCounts = { resizes: 0, nodesTouched: 0 };
  private readonly members: readonly string[];
  /** The last minute's report, reused while nothing changes (the clock compares identities). */
  private last: { key: string; minute: FleetMinute } | null = null;

  constructor(private readonly input: LadderFleetInput) {
    this.nodes = Array.from({ length: input.nodes }, (_, i) => ({
      id: `node-${String(i + 1).padStart(2, '0')}`,
      type: input.startType,
      zone: input.zone,
    }));
    this.members = this.nodes.map((node) => node.id);
  }

  minute(t: number): FleetMinute {
    const { timing } = this.input;
    const span = timing.moveMinutes;
    while (this.rollout && t - this.rollout.since >= span) {
      const done = this.rollout.moves[this.rollout.index] as NodeMove;
      this.nodeById(done.id).type = done.to;
      this.rollout.index++;
      this.rollout.since += span;
      if (this.rollout.index === this.rollout.moves.length) {
        this.rollout = null;
        this.cooldownUntilMs =
          this.input.startMs + t * 60_000 + this.input.group.cooldownSeconds * 1000;
      }
    }
    const moving = this.rollout ? (this.rollout.moves[this.rollout.index] as NodeMove) : null;
    const key = `${this.nodes.map((node) => node.type).join()}|${moving?.id}`;
    if (this.last?.key === key) return this.last.minute;
    let billed = 0;
    const billedTypes: string[] = [];
    const price = (type: string) => this.input.microUsdPerHour[type] as number;
    for (const node of this.nodes) {
      if (moving && node.id === moving.id) {
        // The move is billed at the larger of the two types (see RolloutTiming).
        billed += Math.max(price(moving.from), price(moving.to));
        billedTypes.push(moving.from, moving.to);
      } else {
        billed += price(node.type);
        billedTypes.push(node.type);
      }
    }
    const minute: FleetMinute = {
      members: this.members,
      serving: this.nodes
        .filter((node) => node.id !== moving?.id)
        .map((node) => ({
          id: node.id,
          type: node.type,
          capacity: capacityOf(
            this.input.typeInfo[node.type] as InstanceTypeInfo,
            this.input.group.metric,
          ),
        })),
      billedMicroUsdPerHour: billed,
      billedTypes,
      billedNodes: this.nodes.length,
    };
    this.last = { key, minute };
    return minute;
  }

  busy(): boolean {
    return this.rollout !== null;
  }

  decide(at: number, load: LoadReading): void {
    const plan = planResize({
      group: this.input.group,
      nodes: this.nodes,
      typeInfo: this.input.typeInfo,
      load: { p95Percent: load.p95Percent },
      request: { kind: 'auto' },
      cooldown: this.cooldownUntilMs === null ? null : { untilMs: this.cooldownUntilMs },
      now: new Date(this.input.startMs + at * 60_000).toISOString(),
    });
    if (plan.kind !== 'resize') return;
    this.rollout = { moves: plan.nodes, index: 0, since: at };
    this.tally.resizes++;
    this.tally.nodesTouched += plan.nodes.length;
  }

  counts(): FleetCounts {
    return { ...this.tally };
  }

  private nodeById(id: string): ResizeNode {
    return this.nodes.find((node) => node.id === id) as ResizeNode;
  }
}
