/**
 * The alternative seed 003 argues against: keep the type and double or halve the node count, on
 * the same alarms, load reading, cooldown and hysteresis as the ladder (down only when the same
 * load on half the nodes stays below scaleUpAt / headroom). New nodes launch together, are billed
 * from launch and serve once Ready (`launchMinutes`); removed nodes stop serving at once and are
 * billed while they drain. Between 1 node and `maxNodes`.
 */
import type { ResizePolicy } from '../plan-resize';
import type { Fleet, FleetCounts, FleetMinute, LoadReading } from './fleet';
import type { RolloutTiming } from './rollout-timing';

export interface HorizontalFleetInput {
  group: Pick<ResizePolicy, 'scaleUpAt' | 'scaleDownAt' | 'headroom' | 'cooldownSeconds'>;
  type: string;
  capacity: number;
  microUsdPerHour: number;
  nodes: number;
  maxNodes: number;
  startMs: number;
  timing: RolloutTiming;
}

interface HorizontalNode {
  id: string;
  /** Serving from this minute on. */
  readyAt: number;
}

export class HorizontalFleet implements Fleet {
  private nodes: HorizontalNode[] = [];
  /** Removed nodes still billed while they drain: until this minute (exclusive). */
  private draining: { id: string; until: number }[] = [];
  private nextId = 1;
  private changeEndsAt = 0;
  private now = 0;
  private cooldownUntilMs: number | null = null;
  private readonly tally: FleetCounts = { resizes: 0, nodesTouched: 0 };
  /** The last minute's report, reused while nothing changes (the clock compares identities). */
  private last: { key: string; minute: FleetMinute } | null = null;

  constructor(private readonly input: HorizontalFleetInput) {
    this.add(input.nodes, 0);
  }

  minute(t: number): FleetMinute {
    this.now = t;
    this.draining = this.draining.filter((node) => node.until > t);
    const billedNodes = this.nodes.length + this.draining.length;
    const ready = this.nodes.filter((node) => node.readyAt <= t).length;
    const key = `${this.nodes.length}|${ready}|${this.draining.length}`;
    if (this.last?.key === key) return this.last.minute;
    const minute: FleetMinute = {
      members: this.nodes.map((node) => node.id),
      serving: this.nodes
        .filter((node) => node.readyAt <= t)
        .map((node) => ({ id: node.id, type: this.input.type, capacity: this.input.capacity })),
      billedMicroUsdPerHour: billedNodes * this.input.microUsdPerHour,
      billedTypes: billedNodes > 0 ? [this.input.type] : [],
      billedNodes,
    };
    this.last = { key, minute };
    return minute;
  }

  busy(): boolean {
    return this.now + 1 < this.changeEndsAt;
  }

  decide(at: number, load: LoadReading): void {
    const { group, maxNodes, startMs } = this.input;
    const nowMs = startMs + at * 60_000;
    if (this.cooldownUntilMs !== null && nowMs < this.cooldownUntilMs) return;
    const count = this.nodes.length;
    let endsAt: number;
    if (load.p95Percent >= group.scaleUpAt && count < maxNodes) {
      const added = Math.min(count, maxNodes - count);
      this.add(added, at + this.input.timing.launchMinutes);
      this.tally.nodesTouched += added;
      endsAt = at + this.input.timing.launchMinutes;
    } else if (load.p95Percent <= group.scaleDownAt && count > 1) {
      const kept = Math.ceil(count / 2);
      const projected = (load.p95Percent * count) / kept;
      if (projected >= group.scaleUpAt / group.headroom) return;
      const removed = this.nodes.splice(kept);
      const until = at + this.input.timing.drainMinutes;
      this.draining.push(...removed.map((node) => ({ id: node.id, until })));
      this.tally.nodesTouched += removed.length;
      endsAt = until;
    } else {
      return;
    }
    this.tally.resizes++;
    this.changeEndsAt = endsAt;
    this.cooldownUntilMs = startMs + endsAt * 60_000 + group.cooldownSeconds * 1000;
  }

  counts(): FleetCounts {
    return { ...this.tally };
  }

  private add(count: number, readyAt: number): void {
    for (let i = 0; i < count; i++) {
      this.nodes.push({ id: `node-${String(this.nextId++).padStart(2, '0')}`, readyAt });
    }
  }
}
