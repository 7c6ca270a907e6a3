import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  PAUSABLE_JOBS,
  pauseInForce,
  type Pause,
  type PausableJob,
} from '../../core/pause/pause-rules';

const PAUSE_SK = 'pause';
/** Keep an ended pause this long before the table's TTL may remove it. */
const RETENTION_SECONDS = 30 * 24 * 3600;

/**
 * Pauses in the state table, one item per job (`pause#<job>`). A pause ends by itself: readers
 * compare its `until` with their clock, so nothing has to clean up when it passes.
 */
export class PauseStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sets (or replaces) a job's pause. */
  async pause(
    job: PausableJob,
    fields: { by: string; reason: string; untilMs: number },
  ): Promise<Pause> {
    const pause: Pause = {
      job,
      by: fields.by,
      reason: fields.reason,
      since: new Date(this.now()).toISOString(),
      until: new Date(fields.untilMs).toISOString(),
    };
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `pause#${job}`,
          sk: PAUSE_SK,
          ...pause,
          expiresAt: Math.floor(fields.untilMs / 1000) + RETENTION_SECONDS,
        },
      }),
    );
    return pause;
  }

  /** Lifts a job's pause; returns the pause that was in force, or null when none was. */
  async resume(job: PausableJob): Promise<Pause | null> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({
        TableName: this.table,
        Key: { pk: `pause#${job}`, sk: PAUSE_SK },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return pauseInForce(Attributes ? toPause(Attributes) : null, this.now());
  }

  /** The pause holding a job now, or null. */
  async inForce(job: PausableJob): Promise<Pause | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: `pause#${job}`, sk: PAUSE_SK },
        ConsistentRead: true,
      }),
    );
    return pauseInForce(Item ? toPause(Item) : null, this.now());
  }

  /** Every pause in force now, in PAUSABLE_JOBS order. */
  async allInForce(): Promise<Pause[]> {
    const pauses = await Promise.all(PAUSABLE_JOBS.map((job) => this.inForce(job)));
    return pauses.filter((p): p is Pause => p !== null);
  }
}

function toPause(item: Record<string, unknown>): Pause {
  return {
    job: item['job'] as PausableJob,
    by: String(item['by']),
    reason: String(item['reason']),
    since: String(item['since']),
    until: String(item['until']),
  };
}
