/**
 * The Route 53 compare-and-swap, as plain JSON (no SDK types): one ChangeBatch that DELETEs the
 * exact current CNAME and CREATEs the new one. Route 53 applies a batch atomically and rejects
 * all of it when a DELETE does not match the record exactly (name, type, TTL and value), or a
 * CREATE finds a record already there — so a concurrent writer is never overwritten.
 */

export interface CnameRecordSet {
  Name: string;
  Type: 'CNAME';
  TTL: number;
  ResourceRecords: [{ Value: string }];
}

export interface RecordChange {
  Action: 'DELETE' | 'CREATE';
  ResourceRecordSet: CnameRecordSet;
}

export interface ChangeBatch {
  Comment: string;
  Changes: RecordChange[];
}

export interface CompareAndSwapInput {
  recordName: string;
  /** TTL of the new record (dns.ttl). */
  ttl: number;
  /**
   * The record as read, value and TTL exactly as Route 53 returned them; null when there is no
   * record (a forced creation: the batch is then a single CREATE, which fails if one appeared).
   */
  current: { target: string; ttl: number } | null;
  newTarget: string;
  comment: string;
}

/** Route 53 limits Comment to 256 characters. */
export const MAX_COMMENT_LENGTH = 256;

export function compareAndSwapBatch(input: CompareAndSwapInput): ChangeBatch {
  const name = input.recordName.toLowerCase().replace(/\.$/, '');
  const changes: RecordChange[] = [];
  if (input.current) {
    changes.push({
      Action: 'DELETE',
      ResourceRecordSet: cname(name, input.current.ttl, input.current.target),
    });
  }
  changes.push({ Action: 'CREATE', ResourceRecordSet: cname(name, input.ttl, input.newTarget) });
  const comment =
    input.comment.length > MAX_COMMENT_LENGTH
      ? `${input.comment.slice(0, MAX_COMMENT_LENGTH - 3)}...`
      : input.comment;
  return { Comment: comment, Changes: changes };
}

function cname(name: string, ttl: number, value: string): CnameRecordSet {
  if (!Number.isInteger(ttl) || ttl < 0) throw new RangeError(`not a TTL: ${ttl}`);
  return { Name: name, Type: 'CNAME', TTL: ttl, ResourceRecords: [{ Value: value }] };
}

export type ChangeErrorClass = 'conflict' | 'throttled' | 'fatal';

const THROTTLED_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'PriorRequestNotComplete',
  'TooManyRequests',
  'TooManyRequestsException',
]);

/**
 * InvalidChangeBatch messages that mean "the record is not what the batch assumed":
 * "Tried to delete resource record set [...] but it was not found", "... but the values
 * provided do not match the current values", "Tried to create resource record set [...] but it
 * already exists", and "... is not permitted because a conflicting RRSet of type A with the same
 * DNS name already exists". Re-read and re-plan; anything else in the batch is a bug (fatal).
 */
const CONFLICT_MESSAGES = [
  /not found/i,
  /values provided do not match/i,
  /already exists/i,
  /conflicting rrset/i,
];

export function classifyChangeError(name: string, message: string): ChangeErrorClass {
  if (THROTTLED_NAMES.has(name)) return 'throttled';
  if (name === 'InvalidChangeBatch' && CONFLICT_MESSAGES.some((re) => re.test(message))) {
    return 'conflict';
  }
  return 'fatal';
}

export const BACKOFF_BASE_MS = 200;
export const BACKOFF_CAP_MS = 5000;

/**
 * Full-jitter exponential backoff: a delay uniform in [0, min(cap, base · 2^attempt)).
 * `attempt` counts from 0; `random` is in [0, 1) (Math.random() at the call site).
 */
export function backoffDelayMs(attempt: number, random: number): number {
  const exponent = Math.max(0, Math.floor(attempt));
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(exponent, 30));
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1 - Number.EPSILON) : 0;
  return Math.floor(r * ceiling);
}
