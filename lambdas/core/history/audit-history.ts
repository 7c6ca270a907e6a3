/**
 * The audit trail read back for people: `drpilot history` and the last actions in `status`.
 * Pure: the entries come from the state table (StateStore.recentAudit, one scope per job).
 */

/** Each job's audit scope (`audit#<scope>` in the state table). */
export const HISTORY_SCOPES = {
  dns: 'dns',
  resync: 'resync',
  resize: 'resize',
  restore: 'restore-drill',
  tunnels: 'tunnels',
  drill: 'drill',
  'backup-direction': 'backup-direction',
} as const;
export type HistoryJob = keyof typeof HISTORY_SCOPES;
export const HISTORY_JOBS = Object.keys(HISTORY_SCOPES) as HistoryJob[];

export const DEFAULT_HISTORY_LIMIT = 20;
export const MAX_HISTORY_LIMIT = 1000;

/** One entry as the audit trail holds it (StateStore's AuditEntry). */
export interface RawAuditEntry {
  id: string;
  at: string;
  [field: string]: unknown;
}

export interface HistoryEntry {
  at: string;
  job: HistoryJob;
  /** One line: what happened. */
  what: string;
  outcome: string;
  id: string;
  /** The entry as audited, every field. */
  entry: RawAuditEntry;
}

export function historyJobNamed(name: string): HistoryJob | null {
  return Object.hasOwn(HISTORY_SCOPES, name) ? (name as HistoryJob) : null;
}

const text = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;
const count = (value: unknown): number => (Array.isArray(value) ? value.length : 0);

/** What an entry says happened, in one line. */
export function describeEntry(job: HistoryJob, entry: RawAuditEntry): string {
  const action = text(entry['action']);
  const reason = text(entry['reason']);
  if (action === 'pause' || action === 'resume') {
    return action === 'pause'
      ? `paused by ${text(entry['by'])} until ${text(entry['until'])}: ${text(entry['reasonGiven'])}`
      : `resumed by ${text(entry['by'])}${reason ? `: ${reason}` : ''}`;
  }
  const head = (() => {
    switch (job) {
      case 'dns':
        return [action, text(entry['recordName'])].filter(Boolean).join(' ');
      case 'resync': {
        const direction =
          text(entry['from']) && text(entry['to']) ? `${entry['from']} → ${entry['to']}` : null;
        const copied = count(entry['copied']);
        const deleted = count(entry['deleted']);
        const moved = copied || deleted ? `copied ${copied}, deleted ${deleted}` : null;
        return ['re-sync', direction, moved].filter(Boolean).join(' ');
      }
      case 'resize': {
        const from = Array.isArray(entry['from']) ? entry['from'].join(', ') : text(entry['from']);
        const types = text(entry['to']) !== null ? `${from ?? '?'} → ${entry['to']}` : null;
        return ['resize', text(entry['group']), types].filter(Boolean).join(' ');
      }
      case 'restore':
        return ['restore drill', text(entry['backup'])].filter(Boolean).join(' of ');
      case 'tunnels':
        return ['tunnels', text(entry['vpnConnectionId'])].filter(Boolean).join(' ');
      case 'backup-direction':
        return text(entry['change']) ?? `backups follow ${text(entry['active']) ?? '?'}`;
      default:
        return action ?? text(entry['decision']) ?? job;
    }
  })();
  return reason ? `${head}: ${reason}` : head;
}

export function toHistoryEntry(job: HistoryJob, entry: RawAuditEntry): HistoryEntry {
  const outcome =
    text(entry['outcome']) ??
    (typeof entry['ok'] === 'boolean' ? (entry['ok'] ? 'ok' : 'failed') : null) ??
    text(entry['action']) ??
    '-';
  return { at: entry.at, job, what: describeEntry(job, entry), outcome, id: entry.id, entry };
}

/** Every job's entries as one list, newest first, from `since` on, at most `limit`. */
export function mergeHistory(
  byJob: readonly { job: HistoryJob; entries: readonly RawAuditEntry[] }[],
  options: { since?: string; limit: number },
): HistoryEntry[] {
  return byJob
    .flatMap(({ job, entries }) => entries.map((e) => toHistoryEntry(job, e)))
    .filter((e) => options.since === undefined || e.at >= options.since)
    .sort((a, b) => (a.at === b.at ? b.id.localeCompare(a.id) : b.at.localeCompare(a.at)))
    .slice(0, options.limit);
}

/** The newest entry of each job that has one, in HISTORY_JOBS order. */
export function lastActions(history: readonly HistoryEntry[]): HistoryEntry[] {
  return HISTORY_JOBS.flatMap((job) => {
    const newest = history
      .filter((e) => e.job === job)
      .reduce<HistoryEntry | null>((best, e) => (best === null || e.at > best.at ? e : best), null);
    return newest ? [newest] : [];
  });
}

export type SinceParse = { ok: true; since: string } | { ok: false; message: string };

/** `--since`: an ISO time, or a duration back from now (`2h`, `1d`). */
export function parseSince(
  value: string,
  nowMs: number,
  durationMs: (t: string) => number | null,
): SinceParse {
  const back = durationMs(value);
  if (back !== null) return { ok: true, since: new Date(nowMs - back).toISOString() };
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) {
    return {
      ok: false,
      message: `--since "${value}" is neither a time (2026-12-02T08:00Z) nor a duration back from now (30m, 2h, 1d)`,
    };
  }
  return { ok: true, since: new Date(at).toISOString() };
}

export function parseLimit(value: string): number | null {
  if (!/^\d+$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 && n <= MAX_HISTORY_LIMIT ? n : null;
}
