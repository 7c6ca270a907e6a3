/**
 * The default trace: a seeded, deterministic month of demand shaped like a business service —
 * a daily cycle (quiet nights, a peak early in the afternoon), a weekly cycle (weekends at less
 * than half the weekday swing), growth over the month, minute-to-minute noise and short spikes
 * (about one and a half a day, 10–40 minutes, up to a fifth of the scale). One point a minute.
 */
import { seededRandom } from './seeded-random';
import type { TracePoint } from './trace-point';

export interface SyntheticTraceOptions {
  seed: number;
  days: number;
  /** What the shape is drawn against (the group's largest capacity): demand stays below 0.95×. */
  scale: number;
  startMs?: number;
}

/** Monday 2026-06-01 00:00 UTC: the synthetic month starts on a Monday. */
export const SYNTHETIC_START_MS = Date.UTC(2026, 5, 1);

const MINUTES_PER_DAY = 1440;
const BASE = 0.14;
const DAILY_SWING = 0.3;
const WEEKEND_SWING = 0.45;
const MONTHLY_GROWTH = 0.3;
const SPIKES_PER_DAY = 1.5;

export function syntheticTrace(options: SyntheticTraceOptions): TracePoint[] {
  const random = seededRandom(options.seed);
  const startMs = options.startMs ?? SYNTHETIC_START_MS;
  const minutes = Math.round(options.days * MINUTES_PER_DAY);
  const points: TracePoint[] = [];
  let noise = 0;
  let spike = { until: -1, height: 0 };
  for (let minute = 0; minute < minutes; minute++) {
    const day = Math.floor(minute / MINUTES_PER_DAY);
    const hour = (minute % MINUTES_PER_DAY) / 60;
    const weekend = day % 7 >= 5;
    const daylight = hour >= 7 && hour <= 20 ? Math.sin((Math.PI * (hour - 7)) / 13) : 0;
    const swing = DAILY_SWING * daylight * (weekend ? WEEKEND_SWING : 1);
    const growth = 1 + (MONTHLY_GROWTH * minute) / Math.max(1, minutes);
    noise = 0.9 * noise + 0.02 * (random() - 0.5);
    if (minute > spike.until && random() < SPIKES_PER_DAY / MINUTES_PER_DAY) {
      spike = { until: minute + 10 + Math.floor(random() * 31), height: 0.05 + random() * 0.15 };
    }
    const spiking = minute <= spike.until ? spike.height : 0;
    const share = Math.min(0.95, Math.max(0.02, (BASE + swing) * growth + noise + spiking));
    points.push({ timestampMs: startMs + minute * 60_000, value: share * options.scale });
  }
  return points;
}
