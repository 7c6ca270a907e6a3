import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import { QueueClient } from '@azure/storage-queue';
import { storageConnection, type StorageConnection } from '../settings';
import { ReconcileQueue } from './reconcile-queue';
import { StateTable } from './state-table';

export const STATE_TABLE = 'drpilotState';
export const RECONCILE_QUEUE = 'drpilot-dns-reconcile';

function stateTableClient(connection: StorageConnection): TableClient {
  if (connection.kind === 'identity') {
    return new TableClient(
      `https://${connection.accountName}.table.core.windows.net`,
      STATE_TABLE,
      new DefaultAzureCredential(),
    );
  }
  const { connectionString } = connection;
  // Azurite (and any storage emulator) speaks plain http; the SDK refuses that unless told.
  const allowInsecureConnection = /DefaultEndpointsProtocol=http;/i.test(connectionString);
  return TableClient.fromConnectionString(connectionString, STATE_TABLE, {
    allowInsecureConnection,
  });
}

function reconcileQueueClient(connection: StorageConnection): QueueClient {
  if (connection.kind === 'identity') {
    return new QueueClient(
      `https://${connection.accountName}.queue.core.windows.net/${RECONCILE_QUEUE}`,
      new DefaultAzureCredential(),
    );
  }
  return new QueueClient(connection.connectionString, RECONCILE_QUEUE);
}

export interface AppStorage {
  table: StateTable;
  queue: ReconcileQueue;
}

let cached: { key: string; storage: AppStorage } | undefined;

/**
 * The state table and reconcile queue of the `AzureWebJobsStorage` account, made once per account:
 * with its connection string (Azurite locally), or in Azure with the managed identity and the
 * account name alone (`AzureWebJobsStorage__accountName`; the identity needs Storage Table Data
 * Contributor and Storage Queue Data Contributor on the account, deploy/azuredeploy.json).
 */
export function appStorage(): AppStorage {
  const connection = storageConnection();
  const key =
    connection.kind === 'identity'
      ? `identity:${connection.accountName}`
      : connection.connectionString;
  if (cached?.key !== key) {
    cached = {
      key,
      storage: {
        table: new StateTable(stateTableClient(connection)),
        queue: new ReconcileQueue(reconcileQueueClient(connection)),
      },
    };
  }
  return cached.storage;
}
