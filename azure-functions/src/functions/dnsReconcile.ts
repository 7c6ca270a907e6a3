import { app, type InvocationContext } from '@azure/functions';
import { connectAks } from '../adapters/azure/aks-connect';
import { appStorage, RECONCILE_QUEUE } from '../adapters/storage-clients';
import { runDnsReconcile, type ReconcileDependencies } from '../reconcile/run-dns-reconcile';
import { aksSettings, corednsAvailableSeconds, dnsTtlSeconds, SETTINGS } from '../settings';

/**
 * Triggered by a message on the reconcile queue (from an accepted event or the 5-minute timer):
 * makes AKS's DNS match the desired state. A throw leaves the message to the runtime, which
 * retries it and, after host.json's `maxDequeueCount`, moves it to `drpilot-dns-reconcile-poison`.
 * Without the DRPILOT_AKS_* settings it plans and records `not-connected`.
 */
export async function dnsReconcile(message: unknown, context: InvocationContext): Promise<void> {
  const aks = aksSettings();
  const cluster: Pick<ReconcileDependencies, 'clusterDns' | 'nodePools' | 'notConnectedReason'> =
    aks.connected
      ? await connectAks(aks, { availableTimeoutMs: corednsAvailableSeconds() * 1000 })
      : { clusterDns: undefined, notConnectedReason: aks.reason };
  const applied = await runDnsReconcile({
    table: appStorage().table,
    ...cluster,
    cacheSeconds: dnsTtlSeconds(),
    now: () => new Date(),
  });
  context.info(
    `dnsReconcile (${describe(message)}): ${applied.outcome}${applied.reason ? `: ${applied.reason}` : ''}`,
  );
}

function describe(message: unknown): string {
  const reason = (message as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : 'message';
}

app.storageQueue('dnsReconcile', {
  queueName: RECONCILE_QUEUE,
  connection: SETTINGS.storage,
  handler: dnsReconcile,
});
