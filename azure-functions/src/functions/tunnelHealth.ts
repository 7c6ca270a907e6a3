import { app, type InvocationContext, type Timer } from '@azure/functions';
import {
  armGatewayConnections,
  type GatewayConnectionGetter,
} from '../adapters/azure/gateway-connections';
import { appStorage } from '../adapters/storage-clients';
import { logTunnelMetric } from '../adapters/tunnel-metrics';
import { runTunnelHealth } from '../reconcile/run-tunnel-health';
import { vpnConnectionIds } from '../settings';

/**
 * Every minute: Azure's view of the VPN (each gateway connection in DRPILOT_VPN_CONNECTION_IDS,
 * through ARM with the app's managed identity) merged with AWS's `tunnel.state` events into the
 * desired state. A side whose state moved is logged as a `customMetric` line; a connection that
 * could not be read is reported here and counts as unknown (it never holds DNS rewrites).
 * `options` are for tests: another ARM (a fake's endpoint and credential), a shorter 429 budget.
 */
export function tunnelHealthHandler(
  options: {
    clientFor?: (subscriptionId: string) => GatewayConnectionGetter;
    waitBudgetMs?: number;
  } = {},
): (timer: Timer, context: InvocationContext) => Promise<void> {
  return async (_timer, context) => {
    const { table, queue } = appStorage();
    const run = await runTunnelHealth({
      table,
      queue,
      connectionIds: vpnConnectionIds(),
      clientFor: options.clientFor ?? armGatewayConnections(),
      emit: (metric) => logTunnelMetric(context, metric),
      now: () => new Date(),
      ...(options.waitBudgetMs !== undefined ? { waitBudgetMs: options.waitBudgetMs } : {}),
    });
    for (const problem of run.problems) context.warn(`tunnelHealth: ${problem}`);
    const { aws, azure, dnsGate } = run.health;
    context.info(
      `tunnelHealth: AWS ${aws.state}, Azure ${azure.state}; ${dnsGate ?? 'DNS rewrites not held'}${run.reconcileQueued ? ' (reconcile queued)' : ''}`,
    );
  };
}

export const tunnelHealth = tunnelHealthHandler();

// NCRONTAB with seconds: second 0 of every minute.
app.timer('tunnelHealth', { schedule: '0 * * * * *', handler: tunnelHealth });
