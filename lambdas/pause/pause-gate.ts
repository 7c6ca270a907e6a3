import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { PauseStore } from '../adapters/aws/pause-store';
import { StateStore } from '../adapters/aws/state-store';
import type { DrpilotConfig } from '../core/config/schema';
import {
  pausedAuditFields,
  pausedRefusal,
  type PausableJob,
  type Pause,
} from '../core/pause/pause-rules';

export interface PausedAnswer {
  pause: Pause;
  /** The refusal's reason: `paused by … until …: … (would have: …)`. */
  reason: string;
}

/** The pause holding a job now, or null: for a rollout under way, which decides what it means. */
export async function pauseOf(
  config: DrpilotConfig,
  job: PausableJob,
  now: () => Date = () => new Date(),
): Promise<Pause | null> {
  const db = dynamoDbDocumentClient(config.controlRegion);
  return new PauseStore(db, config.stateTable, () => now().getTime()).inForce(job);
}

/**
 * The first thing every handler path asks: is this job paused now? When it is, the refusal is
 * audited (with what the job would have done) and returned; the caller then returns without
 * another AWS call. A refusal identical to the newest audit entry (same pause, trigger and
 * intent — the every-minute re-plan during a long pause) is not written again.
 */
export async function refuseIfPaused(
  config: DrpilotConfig,
  job: PausableJob,
  attempt: {
    /** The audit scope the job writes (`dns`, `resync`, `resize`). */
    scope: string;
    trigger: string;
    /** Asked only when paused: what the job would have done (a re-plan may read to say so). */
    wouldHave: string | (() => Promise<string>);
    /** More fields for the audit entry (action, record, group, …). */
    fields?: Record<string, unknown>;
    /** A dry run is refused too, but not audited. */
    audit?: boolean;
    now?: () => Date;
  },
): Promise<PausedAnswer | null> {
  const clock = () => (attempt.now ?? (() => new Date()))().getTime();
  const pause = await pauseOf(config, job, () => new Date(clock()));
  if (!pause) return null;
  const db = dynamoDbDocumentClient(config.controlRegion);
  const wouldHave =
    typeof attempt.wouldHave === 'string' ? attempt.wouldHave : await attempt.wouldHave();
  const entry = {
    trigger: attempt.trigger,
    ...attempt.fields,
    ...pausedAuditFields(pause, wouldHave),
  };
  if (attempt.audit !== false) {
    const store = new StateStore(db, config.stateTable, clock);
    const [newest] = await store.recentAudit(attempt.scope, 1);
    if (!sameRefusal(newest, entry)) await store.appendAudit(attempt.scope, entry);
  }
  return { pause, reason: pausedRefusal(pause, wouldHave) };
}

function sameRefusal(
  newest: Record<string, unknown> | undefined,
  entry: { trigger: string; wouldHave: string; paused: { since: string } },
): boolean {
  const paused = newest?.['paused'] as { since?: string } | undefined;
  return (
    newest?.['trigger'] === entry.trigger &&
    newest['wouldHave'] === entry.wouldHave &&
    paused?.since === entry.paused.since
  );
}
