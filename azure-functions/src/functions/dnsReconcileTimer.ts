import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appStorage } from '../adapters/storage-clients';

/**
 * Every 5 minutes: queue a reconcile (so a cluster that drifted, or a reconcile that waited for a
 * tunnel, is looked at again without an event) and forget event ids past their day.
 */
export async function dnsReconcileTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const { table, queue } = appStorage();
  const now = new Date();
  await queue.enqueue({ reason: 'timer', at: now.toISOString() });
  await table.ensureTable();
  const purged = await table.purgeEventIds(now.getTime());
  context.info(`dnsReconcileTimer: reconcile queued, ${purged} expired event id(s) purged`);
}

// NCRONTAB with seconds: second 0 of every fifth minute.
app.timer('dnsReconcileTimer', { schedule: '0 */5 * * * *', handler: dnsReconcileTimer });
