import {
  parseTriggerEvent,
  TriggerEventError,
  type InstanceStateTrigger,
} from '../core/events/trigger-event';
import { assertFromDeployment, type Deployment } from '../core/events/trigger-trust';

export { INSTANCE_EVENTS, RECONCILER_RESERVED_CONCURRENCY } from '../core/instance-events';

/** The fields of an SQS record the reconciler reads (aws-lambda's SQSRecord has more). */
export interface QueuedRecord {
  messageId: string;
  eventSource: 'aws:sqs';
  body: string;
}

export interface QueuedBatch {
  Records: QueuedRecord[];
}

/** An SQS event source mapping's event: every record says `eventSource: "aws:sqs"`. */
export function isQueuedBatch(event: unknown): event is QueuedBatch {
  if (typeof event !== 'object' || event === null) return false;
  const records = (event as { Records?: unknown }).Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every(
      (r: unknown) =>
        typeof r === 'object' &&
        r !== null &&
        (r as { eventSource?: unknown }).eventSource === 'aws:sqs' &&
        typeof (r as { messageId?: unknown }).messageId === 'string' &&
        typeof (r as { body?: unknown }).body === 'string',
    )
  );
}

export interface SortedBatch {
  /** The state changes that passed the trigger checks. */
  accepted: InstanceStateTrigger[];
  /** Records refused, with why: they are reported as failures and end in the dead-letter queue. */
  rejected: { messageId: string; error: TriggerEventError }[];
}

/**
 * Each record is a claim checked on its own, exactly as a directly delivered event would be: an
 * EventBridge EC2 state change (a manual payload is not something the rule sends) from this
 * deployment's region and account. A bad record does not hold up the others.
 */
export function sortBatch(batch: QueuedBatch, deployment: Deployment): SortedBatch {
  const sorted: SortedBatch = { accepted: [], rejected: [] };
  for (const record of batch.Records) {
    try {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        throw new TriggerEventError('invalid queued event: the body is not JSON', 'unknown');
      }
      const trigger = parseTriggerEvent(body, {
        allowedActions: [],
        events: 'instance-state-changes',
      });
      if (trigger.kind !== 'instance-state') {
        throw new TriggerEventError(
          'invalid queued event: expected an EventBridge "EC2 Instance State-change Notification"',
          'manual',
        );
      }
      assertFromDeployment(trigger, deployment);
      sorted.accepted.push(trigger);
    } catch (error) {
      const refused =
        error instanceof TriggerEventError
          ? error
          : new TriggerEventError(`could not check the event: ${String(error)}`, 'unknown');
      sorted.rejected.push({ messageId: record.messageId, error: refused });
    }
  }
  return sorted;
}
