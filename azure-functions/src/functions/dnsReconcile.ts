import { app, type InvocationContext } from '@azure/functions';
import { appStorage, RECONCILE_QUEUE } from '../adapters/storage-clients';
import { runDnsReconcile } from '../reconcile/run-dns-reconcile';
import { dnsTtlSeconds, SETTINGS } from '../settings';

/**
 * Triggered by a message on the reconcile queue (from an accepted event or the 5-minute timer):
 * makes AKS's DNS match the desired state. A throw leaves the message to the runtime, which
 * retries it and, after host.json's `maxDequeueCount`, moves it to `drpilot-dns-reconcile-poison`.
 */
export async function dnsReconcile(message: unknown, context: InvocationContext): Promise<void> {
  const applied = await runDnsReconcile({
    table: appStorage().table,
    // The Kubernetes adapter (coredns-custom, rollout restart, Available wait, put-back) is the
    // next part of issue 12; until then the reconcile plans and records, and says so.
    clusterDns: undefined,
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
