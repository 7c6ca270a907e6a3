import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { requiredSetting, SETTINGS } from '../settings';
import { ReconcileQueue } from './reconcile-queue';
import { StateTable } from './state-table';

export const STATE_TABLE = 'drpilotState';
export const RECONCILE_QUEUE = 'drpilot-dns-reconcile';

function connection(): string {
  return requiredSetting(SETTINGS.storage);
}

function stateTableClient(): TableClient {
  const connectionString = connection();
  // Azurite (and any storage emulator) speaks plain http; the SDK refuses that unless told.
  const allowInsecureConnection = /DefaultEndpointsProtocol=http;/i.test(connectionString);
  return TableClient.fromConnectionString(connectionString, STATE_TABLE, {
    allowInsecureConnection,
  });
}

function reconcileQueueClient(): QueueClient {
  return new QueueClient(connection(), RECONCILE_QUEUE);
}

export interface AppStorage {
  table: StateTable;
  queue: ReconcileQueue;
}

let cached: { connectionString: string; storage: AppStorage } | undefined;

/** The state table and reconcile queue of the `AzureWebJobsStorage` account, made once per account. */
export function appStorage(): AppStorage {
  const connectionString = connection();
  if (cached?.connectionString !== connectionString) {
    cached = {
      connectionString,
      storage: {
        table: new StateTable(stateTableClient()),
        queue: new ReconcileQueue(reconcileQueueClient()),
      },
    };
  }
  return cached.storage;
}
