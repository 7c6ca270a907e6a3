import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { DeliveredRecord, OutboxError } from '../../core/aks/aks-status';
import type { AuthHold, PendingEvent, WebhookAnswer } from '../../core/aks/outbox';

/**
 * The outbox of the AWS → Azure events, in the state table (pk/sk):
 * - `aks-seq#<type>` / `value`: the per-type counter (an atomic ADD, so 20 concurrent senders
 *   get 20 different, increasing numbers);
 * - `aks-outbox` / `pending#<type>#<seq>`: an event stored before it is sent, until acknowledged;
 * - `aks-outbox` / `last#<type>`: the newest delivered event of a type and its answer;
 * - `aks-outbox` / `last-error`, `auth-hold`: what `status` shows, and the 401 hold;
 * - `aks-delivered#<type>` / `<seq>`: delivered events, kept 30 days (TTL) for the audit.
 */
const OUTBOX_PK = 'aks-outbox';
const PENDING = 'pending#';
const LAST = 'last#';
const SEQ_DIGITS = 16;
const RETENTION_SECONDS = 30 * 24 * 3600;

const pendingSk = (type: string, seq: number) =>
  `${PENDING}${type}#${String(seq).padStart(SEQ_DIGITS, '0')}`;

export class OutboxStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The next number of a type: strictly greater than every number handed out before. */
  async nextSeq(type: string): Promise<number> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `aks-seq#${type}`, sk: 'value' },
        UpdateExpression: 'ADD seq :one',
        ConditionExpression: 'attribute_not_exists(seq) OR seq < :max',
        ExpressionAttributeValues: { ':one': 1, ':max': Number.MAX_SAFE_INTEGER },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.seq);
  }

  /** Stores an event before it is sent; a key already used is an error (never overwritten). */
  async putPending(event: PendingEvent): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: OUTBOX_PK, sk: pendingSk(event.type, event.seq), ...event },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async listPending(): Promise<PendingEvent[]> {
    const items: PendingEvent[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :pending)',
          ExpressionAttributeValues: { ':pk': OUTBOX_PK, ':pending': PENDING },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(toPending(item));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  async recordFailedAttempt(
    event: PendingEvent,
    answer: WebhookAnswer,
    attempts: number,
    nextAttemptAtMs: number,
  ): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: OUTBOX_PK, sk: pendingSk(event.type, event.seq) },
          UpdateExpression:
            'SET attempts = :attempts, nextAttemptAtMs = :next, lastAnswer = :answer',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':attempts': attempts,
            ':next': nextAttemptAtMs,
            ':answer': answer,
          },
        }),
      );
    } catch (error) {
      // Another run delivered it meanwhile: nothing left to record.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Acknowledged (or refused for good, `rejected`): the pending item goes, the delivered log gets
   * it, and `last#<type>` moves forward unless a newer event of the type got there first.
   */
  async markDone(
    event: PendingEvent,
    answer: WebhookAnswer,
    outcome: 'delivered' | 'rejected',
  ): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `aks-delivered#${event.type}`,
          sk: String(event.seq).padStart(SEQ_DIGITS, '0'),
          id: event.id,
          type: event.type,
          seq: event.seq,
          body: event.body,
          outcome,
          answer,
          attempts: event.attempts + 1,
          createdAt: event.createdAt,
          expiresAt: Math.floor(Date.parse(answer.at) / 1000) + RETENTION_SECONDS,
        },
      }),
    );
    await this.db.send(
      new DeleteCommand({
        TableName: this.table,
        Key: { pk: OUTBOX_PK, sk: pendingSk(event.type, event.seq) },
      }),
    );
    if (outcome !== 'delivered') return;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: OUTBOX_PK,
            sk: `${LAST}${event.type}`,
            type: event.type,
            seq: event.seq,
            id: event.id,
            answer,
          },
          ConditionExpression: 'attribute_not_exists(seq) OR seq < :seq',
          ExpressionAttributeValues: { ':seq': event.seq },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async lastDelivered(): Promise<DeliveredRecord[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :last)',
        ExpressionAttributeValues: { ':pk': OUTBOX_PK, ':last': LAST },
        ConsistentRead: true,
      }),
    );
    return Items.map((item) => ({
      type: String(item.type),
      seq: Number(item.seq),
      id: String(item.id),
      answer: item.answer as WebhookAnswer,
    }));
  }

  async writeLastError(error: OutboxError): Promise<void> {
    await this.putSingleton('last-error', { error });
  }

  async lastError(): Promise<OutboxError | null> {
    return ((await this.getSingleton('last-error'))?.error as OutboxError | undefined) ?? null;
  }

  async readHold(): Promise<AuthHold | null> {
    return ((await this.getSingleton('auth-hold'))?.hold as AuthHold | undefined) ?? null;
  }

  async writeHold(hold: AuthHold): Promise<void> {
    await this.putSingleton('auth-hold', { hold });
  }

  async clearHold(): Promise<void> {
    await this.db.send(
      new DeleteCommand({ TableName: this.table, Key: { pk: OUTBOX_PK, sk: 'auth-hold' } }),
    );
  }

  private async putSingleton(sk: string, fields: Record<string, unknown>): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { pk: OUTBOX_PK, sk, ...fields } }),
    );
  }

  private async getSingleton(sk: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: OUTBOX_PK, sk }, ConsistentRead: true }),
    );
    return Item;
  }
}

function toPending(item: Record<string, unknown>): PendingEvent {
  return {
    type: String(item.type),
    seq: Number(item.seq),
    id: String(item.id),
    body: String(item.body),
    createdAt: String(item.createdAt),
    attempts: Number(item.attempts ?? 0),
    nextAttemptAtMs: Number(item.nextAttemptAtMs ?? 0),
    lastAnswer: (item.lastAnswer as WebhookAnswer | undefined) ?? null,
  };
}
