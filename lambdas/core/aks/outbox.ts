/**
 * The outbox's rules: what an answer of the AKS side means, when a pending event is tried again,
 * and what a scheduled run sends. Pure; `lambdas/aks/outbox-sender.ts` carries them out.
 */

export type Verdict = 'delivered' | 'retry' | 'unauthorized' | 'rejected';

/** One answer of the webhook; `status` is null when none came (refused, reset, timed out). */
export interface WebhookAnswer {
  status: number | null;
  at: string;
  latencyMs: number;
  /** The answer's body or the error, cut short. */
  detail: string;
}

/**
 * 202 (and any 2xx) is delivered, and so is 409: the receiver already holds that id. 401 means
 * the secrets differ, which no retry fixes. 400 and 413 refuse the body itself, which a retry
 * sends unchanged. Anything else (no answer, 408, 429, 5xx) may pass later.
 */
export function judgeAnswer(status: number | null): Verdict {
  if (status === null) return 'retry';
  if ((status >= 200 && status < 300) || status === 409) return 'delivered';
  if (status === 401) return 'unauthorized';
  if (status === 400 || status === 413) return 'rejected';
  return 'retry';
}

export const RETRY_BASE_SECONDS = 60;
export const RETRY_MAX_SECONDS = 15 * 60;

/** Seconds before a pending event is tried again after its `attempts`-th failure: 1, 2, 4, 8 minutes, then every 15. */
export function retryDelaySeconds(attempts: number): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 10);
  return Math.min(RETRY_BASE_SECONDS * 2 ** exponent, RETRY_MAX_SECONDS);
}

export const AUTH_PROBE_BASE_SECONDS = 5 * 60;
export const AUTH_PROBE_MAX_SECONDS = 60 * 60;

/**
 * After a 401 the outbox holds: one request probes whether the secrets match again after 5, 10,
 * 20, 40 minutes, then every hour, instead of every pending event every minute. A successful
 * `drpilot notify --test` ends the hold at once.
 */
export function authProbeDelaySeconds(failures: number): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 10);
  return Math.min(AUTH_PROBE_BASE_SECONDS * 2 ** exponent, AUTH_PROBE_MAX_SECONDS);
}

export interface AuthHold {
  since: string;
  failures: number;
  nextProbeAtMs: number;
  detail: string;
}

export function nextAuthHold(previous: AuthHold | null, answer: WebhookAnswer): AuthHold {
  const failures = (previous?.failures ?? 0) + 1;
  return {
    since: previous?.since ?? answer.at,
    failures,
    nextProbeAtMs: Date.parse(answer.at) + authProbeDelaySeconds(failures) * 1000,
    detail: answer.detail,
  };
}

export interface PendingEvent {
  type: string;
  seq: number;
  id: string;
  /** The raw body as first stored: retries send the same bytes. */
  body: string;
  createdAt: string;
  attempts: number;
  nextAttemptAtMs: number;
  lastAnswer: WebhookAnswer | null;
}

export interface PendingAfterFailure {
  attempts: number;
  nextAttemptAtMs: number;
}

export function afterFailedAttempt(
  event: PendingEvent,
  answer: WebhookAnswer,
): PendingAfterFailure {
  const attempts = event.attempts + 1;
  return { attempts, nextAttemptAtMs: Date.parse(answer.at) + retryDelaySeconds(attempts) * 1000 };
}

/** The pending events of each type, oldest first: the order in which they must be sent. */
export function chains(pending: readonly PendingEvent[]): PendingEvent[][] {
  const byType = new Map<string, PendingEvent[]>();
  for (const event of pending) {
    const chain = byType.get(event.type) ?? [];
    chain.push(event);
    byType.set(event.type, chain);
  }
  return [...byType.keys()]
    .sort()
    .map((type) => (byType.get(type) ?? []).sort((a, b) => a.seq - b.seq));
}

export type FlushPlan =
  | { kind: 'send'; chains: PendingEvent[][] }
  | { kind: 'probe'; event: PendingEvent }
  | { kind: 'wait'; reason: string };

/**
 * What a scheduled run sends. Each type's pending events go oldest first, and a chain is sent
 * only when its oldest event is due (a chain stops at the first event that is not delivered, so
 * a later event never overtakes an earlier one of its type). Under a 401 hold only one probe goes
 * out, when it is due.
 */
export function planFlush(
  pending: readonly PendingEvent[],
  hold: AuthHold | null,
  nowMs: number,
): FlushPlan {
  if (pending.length === 0) return { kind: 'wait', reason: 'nothing pending' };
  const ordered = chains(pending);
  if (hold) {
    if (nowMs < hold.nextProbeAtMs) {
      return {
        kind: 'wait',
        reason: `the AKS side answered 401 (${hold.failures}×): next probe at ${new Date(hold.nextProbeAtMs).toISOString()}`,
      };
    }
    const oldest = ordered.map((chain) => chain[0]).filter((e): e is PendingEvent => !!e);
    oldest.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
    const probe = oldest[0];
    return probe ? { kind: 'probe', event: probe } : { kind: 'wait', reason: 'nothing pending' };
  }
  const due = ordered.filter((chain) => (chain[0]?.nextAttemptAtMs ?? Infinity) <= nowMs);
  if (due.length === 0) return { kind: 'wait', reason: 'no pending event is due yet' };
  return { kind: 'send', chains: due };
}

/**
 * What a sender sends with a new event: the older pending events of its type that already failed
 * (oldest first), so the new one never overtakes them, then the new one. An older event never
 * tried yet belongs to a sender still in flight (or one that died: the next scheduled run sends it).
 */
export function chainWithNew(
  pending: readonly PendingEvent[],
  fresh: Pick<PendingEvent, 'type' | 'seq'>,
): PendingEvent[] {
  return pending
    .filter(
      (p) =>
        p.type === fresh.type && (p.seq === fresh.seq || (p.seq < fresh.seq && p.attempts > 0)),
    )
    .sort((a, b) => a.seq - b.seq);
}
