import { dynamoDbDocumentClient } from '../adapters/aws/clients';
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
