import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { AppliedState } from '../core/applied-state';
import { EMPTY_DESIRED_STATE, withDefaults, type DesiredState } from '../core/desired-state';

/**
 * The Function app's state in one Table Storage partition: the desired state (one entity, replaced
 * under its ETag), the applied state, and the ids of accepted events (kept a day, for replays).
 * Sharing a partition lets an event's id and the state it changed commit in one entity group
 * transaction: either both or neither, so a sender's retry after a failure is never taken for a
 * replay of something that was not applied.
 */

const PARTITION = 'drpilot';
const DESIRED = 'desired';
const APPLIED = 'applied';
const EVENT_PREFIX = 'event~';
export const EVENT_ID_RETENTION_SECONDS = 24 * 60 * 60;

// Type aliases, not interfaces: the SDK's entity type needs an implicit index signature.
type JsonEntity = {
  partitionKey: string;
  rowKey: string;
  json: string;
};

type EventIdEntity = {
  partitionKey: string;
  rowKey: string;
  receivedAt: string;
  type: string;
  seq: number;
};

export interface VersionedDesiredState {
  state: DesiredState;
  /** Absent while no event has been applied. */
  etag: string | undefined;
}

export type RecordOutcome = 'recorded' | 'replayed' | 'state-moved';

export class StateTable {
  private created: Promise<void> | undefined;

  constructor(private readonly client: TableClient) {}

  /** Creates the table once per process (an existing table is fine). */
  ensureTable(): Promise<void> {
    this.created ??= this.client.createTable().then(
      () => undefined,
      (error: unknown) => {
        this.created = undefined;
        throw error;
      },
    );
    return this.created;
  }

  async readDesired(): Promise<VersionedDesiredState> {
    const entity = await this.readJson(DESIRED);
    if (!entity) return { state: EMPTY_DESIRED_STATE, etag: undefined };
    return {
      state: withDefaults(JSON.parse(entity.json) as Partial<DesiredState>),
      etag: entity.etag,
    };
  }

  async readApplied(): Promise<AppliedState | null> {
    const entity = await this.readJson(APPLIED);
    return entity ? (JSON.parse(entity.json) as AppliedState) : null;
  }

  /** The reconcile is the applied state's only writer, and the runtime runs one at a time. */
  async writeApplied(applied: AppliedState): Promise<void> {
    await this.client.upsertEntity<JsonEntity>(
      { partitionKey: PARTITION, rowKey: APPLIED, json: JSON.stringify(applied) },
      'Replace',
    );
  }

  /**
   * Records an accepted event's id and, when given, the desired state it produced, in one
   * transaction conditional on `basedOn` (the desired state's ETag as read).
   */
  async recordEvent(
    event: { id: string; type: string; seq: number },
    receivedAt: Date,
    next: { state: DesiredState; basedOn: string | undefined } | undefined,
  ): Promise<RecordOutcome> {
    const idEntity: EventIdEntity = {
      partitionKey: PARTITION,
      rowKey: EVENT_PREFIX + event.id,
      receivedAt: receivedAt.toISOString(),
      type: event.type,
      seq: event.seq,
    };
    const existing = await this.readIdEntity(event.id);
    if (existing && isRetained(existing.receivedAt, receivedAt.getTime())) return 'replayed';
    const actions: TransactionAction[] = [
      existing ? ['update', idEntity, 'Replace', { etag: existing.etag }] : ['create', idEntity],
    ];
    if (next) {
      const desired: JsonEntity = {
        partitionKey: PARTITION,
        rowKey: DESIRED,
        json: JSON.stringify(next.state),
      };
      actions.push(
        next.basedOn ? ['update', desired, 'Replace', { etag: next.basedOn }] : ['create', desired],
      );
    }
    try {
      await this.client.submitTransaction(actions);
      return 'recorded';
    } catch (error) {
      const status = statusOf(error);
      // 409: an entity to create exists; 412: one to update changed. Either way someone else
      // committed first; which one it was decides what the caller does next.
      if (status !== 409 && status !== 412) throw error;
      const now = await this.readIdEntity(event.id);
      if (now && isRetained(now.receivedAt, receivedAt.getTime())) return 'replayed';
      return 'state-moved';
    }
  }

  /**
   * Replaces the desired state if it is still at `basedOn` (its ETag as read; undefined: only if
   * there is none yet). `moved` means someone else wrote first: read again and decide again.
   */
  async replaceDesired(
    state: DesiredState,
    basedOn: string | undefined,
  ): Promise<'written' | 'moved'> {
    const entity: JsonEntity = {
      partitionKey: PARTITION,
      rowKey: DESIRED,
      json: JSON.stringify(state),
    };
    try {
      if (basedOn) await this.client.updateEntity(entity, 'Replace', { etag: basedOn });
      else await this.client.createEntity(entity);
      return 'written';
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 || status === 412) return 'moved';
      throw error;
    }
  }

  /** Deletes event ids past the retention; returns how many. */
  async purgeEventIds(nowMs: number): Promise<number> {
    const entities = this.client.listEntities<EventIdEntity>({
      queryOptions: {
        filter: `PartitionKey eq '${PARTITION}' and RowKey ge '${EVENT_PREFIX}' and RowKey lt 'event\u007f'`,
        select: ['rowKey', 'receivedAt'],
      },
    });
    let purged = 0;
    for await (const entity of entities) {
      if (isRetained(entity.receivedAt, nowMs)) continue;
      await this.client.deleteEntity(PARTITION, entity.rowKey, { etag: entity.etag });
      purged++;
    }
    return purged;
  }

  private async readJson(rowKey: string): Promise<(JsonEntity & { etag: string }) | undefined> {
    try {
      return await this.client.getEntity<JsonEntity>(PARTITION, rowKey);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  private async readIdEntity(id: string): Promise<(EventIdEntity & { etag: string }) | undefined> {
    try {
      return await this.client.getEntity<EventIdEntity>(PARTITION, EVENT_PREFIX + id);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }
}

function isRetained(receivedAt: string, nowMs: number): boolean {
  return nowMs - Date.parse(receivedAt) < EVENT_ID_RETENTION_SECONDS * 1000;
}

/** The HTTP status of an SDK RestError (duck-typed: several copies of core-rest-pipeline coexist). */
function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
