import { randomUUID } from 'node:crypto';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  EXECUTION_LEASE_SECONDS,
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
  'id' | 'status' | 'requestedAt' | 'expiresAt' | 'decidedBy' | 'decidedAt' | 'result' | 'execution'
>;

/**
 * Approval requests in the state table: `approval#<id>` holds a request, and
 * `approval-open#<subject>` names the one pending request of a subject. Both are written in one
 * transaction, so a repeated decision finds the pending request instead of adding another, and a
 * decision (approve or reject) is a conditional write on the request's status: of concurrent
 * deciders exactly one wins. Approving also records the first attempt at carrying it out (attempt,
 * lease) and puts `approval-executing#<subject>` / `<id>`, removed with the result: what stays is
 * an approval whose process stopped before its result, for `approve` to resume or expire and for
 * `status` to show. Taking over an attempt and recording a result are conditional on the attempt,
 * so one caller does each. A failed condition cancels the whole transaction
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
      execution: null,
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
   * decider won, or it expired meanwhile (re-read it to say which). An approval starts attempt 1
   * with a lease of EXECUTION_LEASE_SECONDS.
   */
  async decide(request: ApprovalRequest, status: Exclude<ApprovalStatus, 'pending'>, by: string) {
    const nowMs = this.now();
    const approving = status === 'approved';
    const leaseUntilMs = nowMs + EXECUTION_LEASE_SECONDS * 1000;
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: { pk: requestKey(request.id), sk: SK },
                UpdateExpression: `SET #status = :status, decidedBy = :by, decidedAt = :at${approving ? ', execution = :execution' : ''}`,
                ConditionExpression: '#status = :pending AND expiresAtMs > :now',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':status': status,
                  ':by': by,
                  ':at': new Date(nowMs).toISOString(),
                  ':pending': 'pending',
                  ':now': nowMs,
                  ...(approving
                    ? {
                        ':execution': {
                          attempt: 1,
                          leaseUntil: new Date(leaseUntilMs).toISOString(),
                        },
                      }
                    : {}),
                },
              },
            },
            ...(approving
              ? [
                  {
                    Put: {
                      TableName: this.table,
                      Item: {
                        pk: executingKey(request.subject),
                        sk: requestKey(request.id),
                        id: request.id,
                        expiresAt: Math.floor(nowMs / 1000) + RETENTION_SECONDS,
                      },
                    },
                  },
                ]
              : []),
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

  /**
   * Takes over an approved request whose `attempt` stopped without a result and whose lease ran
   * out, as `next.attempt` with a new lease; false when another caller took it over or recorded a
   * result first.
   */
  async takeOver(
    request: ApprovalRequest,
    attempt: number,
    next: { attempt: number; leaseUntilMs: number },
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: requestKey(request.id), sk: SK },
          UpdateExpression: 'SET execution = :execution',
          ConditionExpression: `#status = :approved AND ${NO_RESULT} AND ${atAttempt(attempt)}`,
          ExpressionAttributeNames: { '#status': 'status', '#result': 'result' },
          ExpressionAttributeValues: {
            ':approved': 'approved',
            ':null': 'NULL',
            ':attempt': attempt,
            ':execution': {
              attempt: next.attempt,
              leaseUntil: new Date(next.leaseUntilMs).toISOString(),
            },
          },
        }),
      );
      return true;
    } catch (error) {
      if (isCancelled(error)) return false;
      throw error;
    }
  }

  /**
   * What the approved request's re-plan did (or why it was expired), recorded once by the attempt
   * that holds it; false when another attempt holds it or a result is already there.
   */
  async recordResult(
    request: ApprovalRequest,
    attempt: number,
    result: { outcome: string; reason: string },
  ): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: { pk: requestKey(request.id), sk: SK },
                UpdateExpression: 'SET #result = :result',
                ConditionExpression: `${NO_RESULT} AND ${atAttempt(attempt)}`,
                ExpressionAttributeNames: { '#result': 'result' },
                ExpressionAttributeValues: {
                  ':result': result,
                  ':null': 'NULL',
                  ':attempt': attempt,
                },
              },
            },
            {
              Delete: {
                TableName: this.table,
                Key: { pk: executingKey(request.subject), sk: requestKey(request.id) },
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

  /** Approved requests of these subjects without a result yet (running, or interrupted). */
  async unfinished(subjects: readonly string[]): Promise<ApprovalRequest[]> {
    const found = await Promise.all(
      subjects.map(async (subject) => {
        const { Items = [] } = await this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': executingKey(subject) },
            ConsistentRead: true,
          }),
        );
        return Promise.all(Items.map((item) => this.get(String(item['id']))));
      }),
    );
    return found
      .flat()
      .filter((r): r is ApprovalRequest => r?.status === 'approved' && r.result === null);
  }

  /** Every subject's pending, unexpired request. */
  async allPending(subjects: readonly string[]): Promise<ApprovalRequest[]> {
    const found = await Promise.all(subjects.map((s) => this.pending(s)));
    return found.filter((r): r is ApprovalRequest => r !== null);
  }
}

const requestKey = (id: string) => `approval#${id}`;
const openKey = (subject: string) => `approval-open#${subject}`;
const executingKey = (subject: string) => `approval-executing#${subject}`;
/** No result yet: the attribute is absent or stored as null (a new request's `result: null`). */
const NO_RESULT = '(attribute_not_exists(#result) OR attribute_type(#result, :null))';
/** Still held by `:attempt` (a request approved before attempts were kept counts as attempt 1). */
const atAttempt = (attempt: number) =>
  attempt === 1
    ? '(execution.attempt = :attempt OR attribute_not_exists(execution))'
    : 'execution.attempt = :attempt';

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
    execution: (item['execution'] as ApprovalRequest['execution']) ?? null,
  };
}
