import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { StateStore } from '../adapters/aws/state-store';
import type { DrpilotConfig } from '../core/config/schema';
import {
  HISTORY_SCOPES,
  mergeHistory,
  type HistoryEntry,
  type HistoryJob,
} from '../core/history/audit-history';

/** The audit trail of the given jobs, newest first, from `since` on, at most `limit` entries. */
export async function readHistory(
  config: DrpilotConfig,
  query: { jobs: readonly HistoryJob[]; since?: string; limit: number },
): Promise<HistoryEntry[]> {
  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  const byJob = await Promise.all(
    query.jobs.map(async (job) => ({
      job,
      entries: await store.recentAudit(HISTORY_SCOPES[job], query.limit, query.since),
    })),
  );
  return mergeHistory(byJob, {
    limit: query.limit,
    ...(query.since !== undefined ? { since: query.since } : {}),
  });
}
