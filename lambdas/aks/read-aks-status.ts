import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { secretsManagerClient } from '../adapters/aws/sdk-clients/secrets-manager';
import { forgetWebhookSecret, readWebhookSecret } from '../adapters/aws/webhook-secret';
import { getFunctionAppState } from '../adapters/http/function-app-state';
import { stateUrlOf, type FunctionAppObservation } from '../core/aks/function-app-state';
import { OutboxStore } from '../adapters/aws/outbox-store';
import { StateStore } from '../adapters/aws/state-store';
import type { OutboxObservations } from '../core/aks/aks-status';
import { aksKeys } from '../core/aks/names';
import type { TunnelRecord } from '../core/aks/tunnels';
import type { DrpilotConfig } from '../core/config/schema';

/** The outbox and the resolver refusal, as `status` shows them; null without an AKS side. */
export async function readOutbox(config: DrpilotConfig): Promise<OutboxObservations | null> {
  if (!config.azure) return null;
  const db = dynamoDbDocumentClient(config.controlRegion);
  const outbox = new OutboxStore(db, config.stateTable);
  const store = new StateStore(db, config.stateTable);
  const [lastDelivered, pending, lastError, hold, resolverRefusal] = await Promise.all([
    outbox.lastDelivered(),
    outbox.listPending(),
    outbox.lastError(),
    outbox.readHold(),
    store.readValue<{ at: string; reason: string }>(aksKeys.resolverRefusal),
  ]);
  return { lastDelivered, pending, lastError, hold, resolverRefusal };
}

/** Each configured connection's tunnels as the tunnel function last recorded them. */
export async function readTunnelRecords(
  config: DrpilotConfig,
): Promise<Map<string, TunnelRecord | null>> {
  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  const connections = config.tunnels?.vpnConnections ?? [];
  const records = await Promise.all(
    connections.map(
      async (c) => [c.id, await store.readValue<TunnelRecord>(aksKeys.tunnels(c.id))] as const,
    ),
  );
  return new Map(records);
}

/**
 * The Function app's own state, for `status`: a signed `GET …/api/state` beside azure.webhookUrl.
 * Never throws: no URL, no secret, no answer, a 401 — each is an observation with its reason.
 */
export async function readFunctionAppState(
  config: DrpilotConfig,
  options: { timeoutMs?: number } = {},
): Promise<FunctionAppObservation | null> {
  const azure = config.azure;
  if (!azure) return null;
  const target = stateUrlOf(azure.webhookUrl);
  if (!target.ok) return { kind: 'not-asked', url: null, reason: target.reason };
  let secret: string;
  try {
    secret = await readWebhookSecret(secretsManagerClient(config.controlRegion), azure.secretName);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: 'not-asked', url: target.url, reason: `secret ${azure.secretName}: ${message}` };
  }
  const answer = await getFunctionAppState({
    url: target.url,
    secret,
    ...(azure.caBundle ? { caPem: azure.caBundle } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  // A rotated secret is read again next time.
  if (answer.status === 401) forgetWebhookSecret(azure.secretName);
  return { kind: 'answered', url: target.url, ...answer };
}
