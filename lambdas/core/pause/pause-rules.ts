/**
 * Pauses: a person holds one of drpilot's jobs for a while (planned maintenance, an incident
 * handled by hand). Pure: the state table keeps the records (adapters/aws/pause-store.ts), and
 * every handler asks `pauseInForce` before it decides anything.
 */

export const PAUSABLE_JOBS = ['dns', 'resync', 'resize'] as const;
export type PausableJob = (typeof PAUSABLE_JOBS)[number];

/** A pause as kept in the state table. */
export interface Pause {
  job: PausableJob;
  /** Who paused it (the CLI's user). */
  by: string;
  reason: string;
  since: string;
  until: string;
}

/** A forgotten pause would hold failover indefinitely: longer holds are a redeploy decision. */
export const MAX_PAUSE_MS = 7 * 24 * 3600 * 1000;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;

/** `30m`, `2h`, `1d`, `1h30m` → milliseconds; null for anything else (or zero). */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '') return null;
  const [, d = '0', h = '0', m = '0'] = match;
  const ms = Number(d) * UNIT_MS.d + Number(h) * UNIT_MS.h + Number(m) * UNIT_MS.m;
  return ms > 0 ? ms : null;
}

/** `dns`, `resync`, `resize` or `all` → the jobs it names; null for an unknown name. */
export function jobsNamed(name: string): PausableJob[] | null {
  if (name === 'all') return [...PAUSABLE_JOBS];
  return (PAUSABLE_JOBS as readonly string[]).includes(name) ? [name as PausableJob] : null;
}

export function unknownJobMessage(name: string): string {
  return `unknown job "${name}": expected one of ${[...PAUSABLE_JOBS, 'all'].join(', ')}`;
}

export type PauseWindow = { ok: true; untilMs: number } | { ok: false; message: string };

/** When a pause asked for with `--until TIME` or `--for DURATION` (exactly one) ends. */
export function pauseWindow(input: { until?: string; for?: string; nowMs: number }): PauseWindow {
  if ((input.until === undefined) === (input.for === undefined)) {
    return { ok: false, message: 'give exactly one of --until TIME or --for DURATION' };
  }
  let untilMs: number;
  if (input.for !== undefined) {
    const ms = parseDuration(input.for);
    if (ms === null) {
      return {
        ok: false,
        message: `--for "${input.for}" is not a duration: expected minutes, hours or days such as 30m, 2h, 1d or 1h30m`,
      };
    }
    untilMs = input.nowMs + ms;
  } else {
    const text = input.until ?? '';
    untilMs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(untilMs)) {
      return {
        ok: false,
        message: `--until "${text}" is not a time: expected ISO 8601 such as 2026-12-02T18:00Z`,
      };
    }
    if (untilMs <= input.nowMs) {
      return {
        ok: false,
        message: `--until ${new Date(untilMs).toISOString()} is in the past (now ${new Date(input.nowMs).toISOString()})`,
      };
    }
  }
  if (untilMs - input.nowMs > MAX_PAUSE_MS) {
    return {
      ok: false,
      message: `a pause lasts at most 7 days (asked until ${new Date(untilMs).toISOString()}); pause again when it ends`,
    };
  }
  return { ok: true, untilMs };
}

/** The pause holding a job at `nowMs`: a record whose `until` has passed holds nothing. */
export function pauseInForce(pause: Pause | null, nowMs: number): Pause | null {
  return pause !== null && Date.parse(pause.until) > nowMs ? pause : null;
}

/** The refusal a paused job answers with: who, why, until when, and what it would have done. */
export function pausedRefusal(pause: Pause, wouldHave: string): string {
  return `paused by ${pause.by} until ${pause.until}: ${pause.reason} (would have: ${wouldHave}; drpilot resume ${pause.job} lifts it)`;
}

/** What a paused job records in the audit trail beside its refusal. */
export function pausedAuditFields(pause: Pause, wouldHave: string) {
  return {
    outcome: 'refused' as const,
    paused: { by: pause.by, reason: pause.reason, since: pause.since, until: pause.until },
    wouldHave,
    reason: pausedRefusal(pause, wouldHave),
  };
}
