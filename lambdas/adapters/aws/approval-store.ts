import { randomUUID } from 'node:crypto';
import {
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  isOpen,
  type ApprovalKind,
  type ApprovalRequest,
  type ApprovalStatus,
} from '../../core/approval/approval-rules';

const SK = 'approval';
/** Keep a request this long after it expires before the table's TTL may remove it. */
const RETENTION_SECONDS = 30 * 24 * 3600;

export type NewRequest = Omit<
  ApprovalRequest,
  'id' | 'status' | 'requestedAt' | 'expiresAt' | 'decidedBy' | 'decidedAt' | 'result'
>;

/**
 * Approval requests in the state table: `approval#<id>` holds a request, and
 * `approval-open#<subject>` names the one pending request of a subject. Both are written in one
 * transaction, so a repeated decision finds the pending request instead of adding another, and a
 * decision (approve or reject) is a conditional write on the request's status: of concurrent
 * deciders exactly one wins. A failed condition cancels the whole transaction
 * (TransactionCanceledException; "DynamoDB cancels a TransactWriteItems request [when] a condition
 * in one of the condition expressions is not met", API reference, TransactWriteItems). The
 * functions' roles need no new action: a transaction's Put, Update and Delete are authorised as
 * PutItem, UpdateItem and DeleteItem (developer guide, "Using IAM with DynamoDB transactions").
 */
export class ApprovalStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores a new pending request, or returns the subject's pending one (created: false). */
  async request(
    fields: NewRequest,
    ttlSeconds: number,
    attempt = 1,
  ): Promise<{ created: boolean; request: ApprovalRequest }> {
    const nowMs = this.now();
    const expiresAtMs = nowMs + ttlSeconds * 1000;
    const request: ApprovalRequest = {
      ...fields,
      id: `${fields.kind}-${randomUUID().slice(0, 8)}`,
      status: 'pending',
      requestedAt: new Date(nowMs).toISOString(),
      expiresAt: new Date(expiresAtMs).toISOString(),
      decidedBy: null,
      decidedAt: null,
      result: null,
    };
    const expiresAt = Math.floor(expiresAtMs / 1000) + RETENTION_SECONDS;
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk: openKey(fields.subject),
                  sk: SK,
                  id: request.id,
                  expiresAtMs,
                  expiresAt,
                },
                // An expired request no longer holds its subject.
                ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs <= :now',
                ExpressionAttributeValues: { ':now': nowMs },
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: { pk: requestKey(request.id), sk: SK, ...request, expiresAtMs, expiresAt },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return { created: true, request };
    } catch (error) {
      if (!isCancelled(error)) throw error;
      const pending = await this.pending(fields.subject);
      if (pending) return { created: false, request: pending };
      // Cancelled by a conflicting concurrent transaction, not by a pending request: once more.
      if (attempt < 3) return this.request(fields, ttlSeconds, attempt + 1);
      throw error;
    }
  }

  async get(id: string): Promise<ApprovalRequest | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: requestKey(id), sk: SK },
        ConsistentRead: true,
      }),
    );
    return Item ? toRequest(Item) : null;
  }

  /** The subject's request that is pending and not expired now, or null. */
  async pending(subject: string): Promise<ApprovalRequest | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: openKey(subject), sk: SK },
        ConsistentRead: true,
      }),
    );
    const request = Item ? await this.get(String(Item['id'])) : null;
    return request && isOpen(request, this.now()) ? request : null;
  }

  /**
   * Approves or rejects a pending, unexpired request and frees its subject; false when another
   * decider won, or it expired meanwhile (re-read it to say which).
   */
  async decide(request: ApprovalRequest, status: Exclude<ApprovalStatus, 'pending'>, by: string) {
    const nowMs = this.now();
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: { pk: requestKey(request.id), sk: SK },
                UpdateExpression: 'SET #status = :status, decidedBy = :by, decidedAt = :at',
                ConditionExpression: '#status = :pending AND expiresAtMs > :now',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':status': status,
                  ':by': by,
                  ':at': new Date(nowMs).toISOString(),
                  ':pending': 'pending',
                  ':now': nowMs,
                },
              },
            },
            {
              Delete: {
                TableName: this.table,
                Key: { pk: openKey(request.subject), sk: SK },
                ConditionExpression: 'attribute_not_exists(pk) OR id = :id',
                ExpressionAttributeValues: { ':id': request.id },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isCancelled(error)) return false;
      throw error;
    }
  }

  /** What the approved request's re-plan did. */
  async recordResult(id: string, result: { outcome: string; reason: string }): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: requestKey(id), sk: SK },
        UpdateExpression: 'SET #result = :result',
        ExpressionAttributeNames: { '#result': 'result' },
        ExpressionAttributeValues: { ':result': result },
      }),
    );
  }

  /** Every subject's pending, unexpired request. */
  async allPending(subjects: readonly string[]): Promise<ApprovalRequest[]> {
    const found = await Promise.all(subjects.map((s) => this.pending(s)));
    return found.filter((r): r is ApprovalRequest => r !== null);
  }
}

const requestKey = (id: string) => `approval#${id}`;
const openKey = (subject: string) => `approval-open#${subject}`;

function isCancelled(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'TransactionCanceledException' || name === 'ConditionalCheckFailedException';
}

function toRequest(item: Record<string, unknown>): ApprovalRequest {
  return {
    id: String(item['id']),
    kind: item['kind'] as ApprovalKind,
    subject: String(item['subject']),
    action: String(item['action']),
    target: String(item['target']),
    status: item['status'] as ApprovalStatus,
    requestedAt: String(item['requestedAt']),
    // `expiresAt` is the table's TTL attribute (seconds, with retention); this is the expiry.
    expiresAt: new Date(Number(item['expiresAtMs'])).toISOString(),
    trigger: String(item['trigger']),
    reason: String(item['reason']),
    plan: (item['plan'] as Record<string, unknown>) ?? {},
    checks: (item['checks'] as ApprovalRequest['checks']) ?? [],
    decidedBy: (item['decidedBy'] as string | null) ?? null,
    decidedAt: (item['decidedAt'] as string | null) ?? null,
    result: (item['result'] as ApprovalRequest['result']) ?? null,
  };
}
