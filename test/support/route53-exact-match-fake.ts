import type { Route53Client } from '@aws-sdk/client-route-53';

interface FakeRecord {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');
const key = (name: string, type: string) => `${norm(name)}|${type}`;

function invalidChangeBatch(message: string): Error {
  return Object.assign(new Error(message), {
    name: 'InvalidChangeBatch',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/**
 * A stateful fake of one Route 53 hosted zone, installed as middleware in front of a client. It
 * encodes the rules drpilot's compare-and-swap relies on and moto does not: a DELETE must match
 * the record exactly (name, type, TTL and values) or the whole batch fails with
 * InvalidChangeBatch; CREATE of an existing record fails the same way; a batch is atomic; and
 * GetChange reports PENDING for the first `pendingPolls` polls of a change, then INSYNC.
 */
export class Route53ExactMatchFake {
  readonly records = new Map<string, FakeRecord>();
  readonly changes = new Map<string, { polls: number }>();
  readonly batches: unknown[] = [];
  private nextId = 1;
  /** Runs before each batch is applied: lets a test play a concurrent writer. */
  beforeApply: (() => void) | undefined;

  constructor(
    readonly hostedZoneId: string,
    private readonly pendingPolls = 2,
  ) {}

  put(record: FakeRecord): void {
    this.records.set(key(record.name, record.type), { ...record, name: norm(record.name) });
  }

  get(name: string, type: string): FakeRecord | undefined {
    return this.records.get(key(name, type));
  }

  install(route53: Route53Client): void {
    route53.middlewareStack.add(
      (_next, context) => async (args) => {
        const command = (context.commandName ?? '').replace(/Command$/, '');
        return {
          output: this.handle(command, args.input as Record<string, any>) as any,
          response: {},
        };
      },
      { step: 'initialize', name: 'route53ExactMatchFake', priority: 'low' },
    );
  }

  private handle(command: string, input: Record<string, any>): unknown {
    if (command === 'ChangeResourceRecordSets') return this.change(input);
    if (command === 'ListResourceRecordSets') return this.list(input);
    if (command === 'GetChange') return this.getChange(input.Id);
    throw new Error(`Route53ExactMatchFake does not implement ${command}`);
  }

  private change(input: Record<string, any>) {
    this.beforeApply?.();
    const next = new Map(this.records);
    for (const { Action, ResourceRecordSet: set } of input.ChangeBatch.Changes) {
      const k = key(set.Name, set.Type);
      const values = (set.ResourceRecords ?? []).map((r: { Value: string }) => r.Value);
      const existing = next.get(k);
      if (Action === 'DELETE') {
        const exact =
          existing &&
          existing.ttl === set.TTL &&
          existing.values.length === values.length &&
          existing.values.every((v, i) => norm(v) === norm(values[i]));
        if (!exact) {
          throw invalidChangeBatch(
            existing
              ? `[Tried to delete resource record set [name='${norm(set.Name)}.', type='${set.Type}'] but the values provided do not match the current values]`
              : `[Tried to delete resource record set [name='${norm(set.Name)}.', type='${set.Type}'] but it was not found]`,
          );
        }
        next.delete(k);
      } else if (Action === 'CREATE') {
        if (existing) {
          throw invalidChangeBatch(
            `[Tried to create resource record set [name='${norm(set.Name)}.', type='${set.Type}'] but it already exists]`,
          );
        }
        next.set(k, { name: norm(set.Name), type: set.Type, ttl: set.TTL, values });
      } else {
        next.set(k, { name: norm(set.Name), type: set.Type, ttl: set.TTL, values });
      }
    }
    this.records.clear();
    for (const [k, v] of next) this.records.set(k, v);
    this.batches.push(input.ChangeBatch);
    const id = `C${String(this.nextId++).padStart(12, '0')}`;
    this.changes.set(id, { polls: 0 });
    return { ChangeInfo: { Id: `/change/${id}`, Status: 'PENDING', SubmittedAt: new Date() } };
  }

  private list(input: Record<string, any>) {
    const sorted = [...this.records.values()].sort((a, b) =>
      a.name === b.name ? a.type.localeCompare(b.type) : a.name.localeCompare(b.name),
    );
    const start = sorted.findIndex(
      (r) =>
        r.name >= norm(input.StartRecordName ?? '') &&
        (r.name !== norm(input.StartRecordName ?? '') ||
          !input.StartRecordType ||
          r.type >= input.StartRecordType),
    );
    const page = start < 0 ? [] : sorted.slice(start, start + (Number(input.MaxItems) || 100));
    return {
      ResourceRecordSets: page.map((r) => ({
        Name: `${r.name}.`,
        Type: r.type,
        TTL: r.ttl,
        ResourceRecords: r.values.map((Value) => ({ Value })),
      })),
      IsTruncated: false,
    };
  }

  private getChange(id: string) {
    const bare = String(id).replace('/change/', '');
    const change = this.changes.get(bare);
    if (!change)
      throw Object.assign(new Error(`No such change: ${bare}`), { name: 'NoSuchChange' });
    change.polls++;
    return {
      ChangeInfo: {
        Id: `/change/${bare}`,
        Status: change.polls > this.pendingPolls ? 'INSYNC' : 'PENDING',
        SubmittedAt: new Date(),
      },
    };
  }
}
