import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { RECONCILE_QUEUE, STATE_TABLE } from '../../src/adapters/storage-clients';

/** Everything the Function app has written to Azurite, read back with the plain SDK clients. */
export async function storageContents(connectionString: string): Promise<{
  entities: { rowKey: string; json?: string }[];
  queued: unknown[];
}> {
  const table = TableClient.fromConnectionString(connectionString, STATE_TABLE, {
    allowInsecureConnection: true,
  });
  const entities: { rowKey: string; json?: string }[] = [];
  try {
    for await (const entity of table.listEntities<{ json?: string }>()) {
      entities.push({ rowKey: entity.rowKey as string, json: entity.json });
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  const queue = new QueueClient(connectionString, RECONCILE_QUEUE);
  const queued: unknown[] = [];
  if (await queue.exists()) {
    const peeked = await queue.peekMessages({ numberOfMessages: 32 });
    for (const message of peeked.peekedMessageItems) {
      queued.push(JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')));
    }
  }
  return { entities, queued };
}
