import { HttpRequest, InvocationContext, type Timer } from '@azure/functions';
import { KubernetesClusterDns } from '../adapters/kubernetes/coredns-cluster';
import { kubeConfigFor, type KubeAccess } from '../adapters/kubernetes/kube-config';
import { appStorage } from '../adapters/storage-clients';
import type { AppliedState } from '../core/applied-state';
import type { ClusterDns, ClusterNodePools } from '../core/cluster-dns';
import type { DesiredState } from '../core/desired-state';
import { dnsReconcileHandler } from '../functions/dnsReconcile';
import { dnsReconcileTimer } from '../functions/dnsReconcileTimer';
import { events } from '../functions/events';
import { state } from '../functions/state';
import { tunnelHealthHandler } from '../functions/tunnelHealth';
import { dnsTtlSeconds } from '../settings';
import { runDnsReconcile } from './run-dns-reconcile';

/**
 * The AKS side run in this process, for the embedded drill and tests: the requests the AWS side
 * signed go to the real `events` handler (and `GET /api/state` to the `state` handler) with an
 * HttpRequest/InvocationContext, the desired state lands in Table Storage, and the reconcile runs
 * into a cluster through the same ports the queue-triggered function uses.
 *
 * Needs, as the Function app does: `AzureWebJobsStorage` (Azurite locally),
 * `DRPILOT_WEBHOOK_SECRET` (the sender's HMAC key) and `DRPILOT_MAIN_RECORD`. Outside the
 * Functions host, @azure/functions prints that it skips registering the functions when these
 * modules load; that is expected.
 */

/** A request as the sender put it on the wire (signed headers and the raw body). */
export interface SignedDelivery {
  /** `POST` for events (default), `GET` for the state. */
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  body: string;
}

export interface DeliveryAnswer {
  status: number;
  body: unknown;
  /** What the handler logged. */
  logs: string[];
}

/** Hands each request to the `events` handler, in order; the answers say what each did. */
export async function deliverToEventsHandler(
  deliveries: readonly SignedDelivery[],
): Promise<DeliveryAnswer[]> {
  const answers: DeliveryAnswer[] = [];
  for (const delivery of deliveries) {
    const { context, logs } = invocation('events');
    const response = await events(httpRequest('events', { method: 'POST', ...delivery }), context);
    answers.push({ status: response.status ?? 200, body: response.jsonBody, logs });
  }
  return answers;
}

/** `GET /api/state` through the `state` handler (a signed empty body). */
export async function readStateThroughHandler(
  delivery: SignedDelivery,
): Promise<{ status: number; body: { desired: DesiredState; applied: AppliedState | null } }> {
  const { context } = invocation('state');
  const response = await state(
    httpRequest('state', { ...delivery, method: 'GET', body: '' }),
    context,
  );
  return {
    status: response.status ?? 200,
    body: response.jsonBody as { desired: DesiredState; applied: AppliedState | null },
  };
}

/**
 * One reconcile of the stored desired state into `cluster`, exactly as `dnsReconcile` runs it.
 * A refusal or a rollback throws `ReconcileFailed` after recording it, as in the function.
 */
export function reconcileInto(
  cluster: { clusterDns: ClusterDns; nodePools?: ClusterNodePools },
  options: { cacheSeconds?: number } = {},
): Promise<AppliedState> {
  return runDnsReconcile({
    table: appStorage().table,
    clusterDns: cluster.clusterDns,
    nodePools: cluster.nodePools,
    cacheSeconds: options.cacheSeconds ?? dnsTtlSeconds(),
    now: () => new Date(),
  });
}

export interface QueuedReconcile {
  /** The queue message's `reason`: `event <id>` or `timer`. */
  message: string;
  outcome: AppliedState['outcome'] | 'failed';
  reason: string | null;
}

/**
 * What the `dnsReconcile` queue trigger does with the messages the `events` handler queued: each
 * one, oldest first, runs one reconcile into `cluster` ({@link reconcileInto}) and is deleted once
 * it succeeded. A failed reconcile (a refusal, a rollback) leaves its message on the queue for a
 * retry, as the runtime does, and ends the run.
 */
export async function runQueuedReconciles(
  cluster: { clusterDns: ClusterDns; nodePools?: ClusterNodePools },
  options: { cacheSeconds?: number } = {},
): Promise<QueuedReconcile[]> {
  const runs: QueuedReconcile[] = [];
  try {
    await appStorage().queue.takeEach(async (request) => {
      try {
        const applied = await reconcileInto(cluster, options);
        runs.push({ message: request.reason, outcome: applied.outcome, reason: applied.reason });
      } catch (error) {
        runs.push({ message: request.reason, outcome: 'failed', reason: (error as Error).message });
        throw error;
      }
    });
  } catch (error) {
    if (runs.at(-1)?.outcome !== 'failed') throw error;
  }
  return runs;
}

/**
 * The `dnsReconcile` queue trigger run through the registered function's own handler
 * (`dnsReconcileHandler(options)`, so the mode and the ruleset come from the app settings as in
 * Azure): each queued message, oldest first, and the outcome the handler recorded in the applied
 * state. A throw leaves its message for a retry, as the runtime does, and ends the run.
 */
export async function runQueuedThroughDnsReconcile(
  options: Parameters<typeof dnsReconcileHandler>[0],
): Promise<QueuedReconcile[]> {
  const handler = dnsReconcileHandler(options);
  const runs: QueuedReconcile[] = [];
  try {
    await appStorage().queue.takeEach(async (request) => {
      try {
        await handler(request, invocation('dnsReconcile').context);
        const applied = await appStorage().table.readApplied();
        runs.push({
          message: request.reason,
          outcome: applied?.outcome ?? 'failed',
          reason: applied?.reason ?? null,
        });
      } catch (error) {
        runs.push({ message: request.reason, outcome: 'failed', reason: (error as Error).message });
        throw error;
      }
    });
  } catch (error) {
    if (runs.at(-1)?.outcome !== 'failed') throw error;
  }
  return runs;
}

/** One run of the 5-minute `dnsReconcileTimer` through its handler: it queues a reconcile. */
export async function runDnsReconcileTimer(): Promise<string[]> {
  const { context, logs } = invocation('dnsReconcileTimer');
  await dnsReconcileTimer(TIMER, context);
  return logs;
}

/** A timer trigger's payload on time (not past due); the handlers read none of it. */
const TIMER: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

/** One run of the `tunnelHealth` timer through its handler; what it logged. */
export async function runTunnelHealthTimer(
  options: Parameters<typeof tunnelHealthHandler>[0],
): Promise<string[]> {
  const { context, logs } = invocation('tunnelHealth');
  await tunnelHealthHandler(options)(TIMER, context);
  return logs;
}

/**
 * The Kubernetes adapter for a cluster reached with a bearer token (a ServiceAccount bound by
 * deploy/rbac.yaml in the test world; the Function itself gets an Entra token, see
 * adapters/azure/aks-connect.ts). `namespace` is kube-system on AKS.
 */
export function kubernetesClusterDns(
  access: KubeAccess,
  options: { namespace?: string; availableTimeoutMs: number; pollIntervalMs?: number },
): KubernetesClusterDns {
  return new KubernetesClusterDns(kubeConfigFor(access), options);
}

function httpRequest(route: string, delivery: SignedDelivery): HttpRequest {
  return new HttpRequest({
    method: delivery.method ?? 'POST',
    url: `http://localhost:7071/api/${route}`,
    headers: delivery.headers,
    ...(delivery.body === '' ? {} : { body: { string: delivery.body } }),
  });
}

function invocation(functionName: string): { context: InvocationContext; logs: string[] } {
  const logs: string[] = [];
  const context = new InvocationContext({
    functionName,
    invocationId: `in-process-${functionName}`,
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
  });
  return { context, logs };
}
