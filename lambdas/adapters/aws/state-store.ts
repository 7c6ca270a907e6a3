import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';

/**
 * The state table (`stateTable`, in controlRegion): leases, cooldowns and the audit trail.
 * Items are keyed pk/sk; `expiresAt` (epoch seconds) is the table's TTL attribute, which only
 * cleans up: DynamoDB deletes expired items lazily (up to days later), so every rule here compares
 * its own millisecond timestamps instead of trusting an item to be gone.
 */
export interface Lease {
  name: string;
  holder: string;
  token: string;
  expiresAtMs: number;
}

export type LeaseAttempt =
  { acquired: true; lease: Lease } | { acquired: false; heldBy: string; expiresAtMs: number };

/** What `withLease` does on either side of the acquisition. */
export interface LeaseWork<T> {
  /** Someone else holds the lease until `expiresAtMs`; the work does not run. */
  onRefused(heldBy: string, expiresAtMs: number): T | Promise<T>;
  work(lease: Lease): Promise<T>;
}

export interface Cooldown {
  scope: string;
  untilMs: number;
  reason: string;
}

export interface AuditEntry {
  scope: string;
  id: string;
  at: string;
  [field: string]: unknown;
}

export class LeaseNotHeldError extends Error {
  constructor(lease: Lease) {
    super(`lease "${lease.name}" is not held by ${lease.holder} (expired or taken over)`);
    this.name = 'LeaseNotHeldError';
  }
}

const LEASE_SK = 'lease';
const COOLDOWN_SK = 'cooldown';
const VALUE_SK = 'value';
/** Keep finished records around this long before TTL may remove them. */
const RETENTION_SECONDS = 30 * 24 * 3600;

export class StateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the lease when nobody holds it or the holder's lease has expired; exactly one caller wins. */
  async acquireLease(name: string, holder: string, ttlSeconds: number): Promise<LeaseAttempt> {
    const now = this.now();
    const lease: Lease = {
      name,
      holder,
      token: randomUUID(),
      expiresAtMs: now + ttlSeconds * 1000,
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: `lease#${name}`,
            sk: LEASE_SK,
            holder,
            token: lease.token,
            leaseExpiresAtMs: lease.expiresAtMs,
            acquiredAt: new Date(now).toISOString(),
            expiresAt: this.ttlAfter(lease.expiresAtMs),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseExpiresAtMs < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return { acquired: true, lease };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = await this.readLease(name);
      return {
        acquired: false,
        heldBy: current?.holder ?? 'unknown',
        expiresAtMs: current?.expiresAtMs ?? 0,
      };
    }
  }

  /** Extends a lease its holder still holds; throws LeaseNotHeldError otherwise. */
  async renewLease(lease: Lease, ttlSeconds: number): Promise<Lease> {
    const now = this.now();
    const expiresAtMs = now + ttlSeconds * 1000;
    await this.conditionally(lease, () =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `lease#${lease.name}`, sk: LEASE_SK },
          UpdateExpression: 'SET leaseExpiresAtMs = :expires, expiresAt = :ttl',
          ConditionExpression: '#token = :token AND leaseExpiresAtMs >= :now',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: {
            ':expires': expiresAtMs,
            ':ttl': this.ttlAfter(expiresAtMs),
            ':token': lease.token,
            ':now': now,
          },
        }),
      ),
    );
    return { ...lease, expiresAtMs };
  }

  /** Releases a lease; only its holder (the same token) can, so a slow holder never frees a successor's. */
  async releaseLease(lease: Lease): Promise<void> {
    await this.conditionally(lease, () =>
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: `lease#${lease.name}`, sk: LEASE_SK },
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': lease.token },
        }),
      ),
    );
  }

  /**
   * Acquire → work → release, or refuse: runs `work` under the lease and releases it however the
   * work ends. A lease that expired meanwhile is someone else's now, which is not an error; when
   * the work throws, its error is the one rethrown.
   */
  async withLease<T>(
    name: string,
    holder: string,
    ttlSeconds: number,
    handlers: LeaseWork<T>,
  ): Promise<T> {
    const attempt = await this.acquireLease(name, holder, ttlSeconds);
    if (!attempt.acquired) return handlers.onRefused(attempt.heldBy, attempt.expiresAtMs);
    try {
      return await handlers.work(attempt.lease);
    } finally {
      await this.releaseAfterWork(attempt.lease);
    }
  }

  async readLease(name: string): Promise<Lease | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: `lease#${name}`, sk: LEASE_SK },
        ConsistentRead: true,
      }),
    );
    if (!Item) return null;
    return { name, holder: Item.holder, token: Item.token, expiresAtMs: Item.leaseExpiresAtMs };
  }

  async startCooldown(scope: string, seconds: number, reason: string): Promise<Cooldown> {
    const untilMs = this.now() + seconds * 1000;
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `cooldown#${scope}`,
          sk: COOLDOWN_SK,
          untilMs,
          reason,
          expiresAt: this.ttlAfter(untilMs),
        },
      }),
    );
    return { scope, untilMs, reason };
  }

  /** The cooldown in force for a scope, or null once it has passed. */
  async activeCooldown(scope: string): Promise<Cooldown | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: `cooldown#${scope}`, sk: COOLDOWN_SK },
        ConsistentRead: true,
      }),
    );
    if (!Item || Item.untilMs <= this.now()) return null;
    return { scope, untilMs: Item.untilMs, reason: Item.reason };
  }

  /** Appends an audit entry; an entry is never overwritten (the write fails if its key exists). */
  async appendAudit(scope: string, fields: Record<string, unknown>): Promise<AuditEntry> {
    const at = new Date(this.now()).toISOString();
    const id = randomUUID();
    const entry: AuditEntry = { ...fields, scope, id, at };
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...entry,
          pk: `audit#${scope}`,
          sk: `${at}#${id}`,
          expiresAt: this.ttlAfter(this.now()),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return entry;
  }

  /** The newest audit entries of a scope, newest first; with `since` (ISO), none older. */
  async recentAudit(scope: string, limit = 20, since?: string): Promise<AuditEntry[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: since === undefined ? 'pk = :pk' : 'pk = :pk AND sk >= :since',
        ExpressionAttributeValues: {
          ':pk': `audit#${scope}`,
          ...(since === undefined ? {} : { ':since': since }),
        },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map(({ pk: _pk, sk: _sk, expiresAt: _ttl, ...entry }) => entry as AuditEntry);
  }

  /** A named record a job keeps between runs (e.g. what re-sync saw missing, the last RPO). */
  async readValue<T>(name: string): Promise<T | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: `value#${name}`, sk: VALUE_SK },
        ConsistentRead: true,
      }),
    );
    return Item ? (Item.value as T) : null;
  }

  async writeValue(name: string, value: unknown): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `value#${name}`,
          sk: VALUE_SK,
          value,
          updatedAt: new Date(this.now()).toISOString(),
        },
      }),
    );
  }

  private ttlAfter(ms: number): number {
    return Math.floor(ms / 1000) + RETENTION_SECONDS;
  }

  /**
   * The work's outcome stands whatever the release answers: a lease taken over meanwhile is
   * someone else's, and one that cannot be released now expires by itself at its end — failing
   * here would make a caller retry work that has already happened.
   */
  private async releaseAfterWork(lease: Lease): Promise<void> {
    await this.releaseLease(lease).catch(() => undefined);
  }

  private async conditionally(lease: Lease, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LeaseNotHeldError(lease);
      throw error;
    }
  }
}
