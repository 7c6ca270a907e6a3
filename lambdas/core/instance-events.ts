// Shared by the CDK app (lib/resize-alarms.ts) and the reconciler (lambdas/resize-alarms/).

/**
 * How EC2 instance state changes reach the member-alarm reconciler: not one invocation per
 * instance, but EventBridge rule → SQS queue → one invocation per batch, which reconciles once.
 *
 * Why batch rather than filter: an EC2 state-change event carries the instance id and state but
 * none of its tags, and EventBridge patterns cannot look the tags up, so no pattern can keep only
 * the members of drpilot's node groups; every instance of the region that starts or terminates
 * matches. Invoked once per event (asynchronously, with reserved concurrency 1), a burst of churn
 * queued invocations until they outlived their maximum event age and landed in the failure queue,
 * which pages. Reconciling is idempotent and re-observes every group (the event does not say which
 * group the instance was in), so N events in a batch need exactly one reconciliation: the batch is
 * a wake-up, never the facts. Events wait in the queue, which keeps them for days, not minutes.
 */
export const INSTANCE_EVENTS = {
  /** Up to this many events per invocation (SQS allows 10,000 with a batching window). */
  batchSize: 1000,
  /** How long the event source mapping gathers events before invoking: membership lags by this. */
  maxBatchingWindowSeconds: 60,
  /**
   * At most this many batches run at once (2 is the least an SQS event source mapping allows).
   * The function's reserved concurrency leaves room for the schedule on top, so the queue's
   * invocations are never throttled: a throttled batch returns to the queue and counts a receive.
   */
  maxConcurrency: 2,
  /** Receives of a failing batch before its events move to a dead-letter queue (which pages). */
  maxReceiveCount: 3,
  /** How long the queue keeps an event: far longer than any backlog of batches can last. */
  retentionDays: 4,
} as const;

/** The reconciler's reserved concurrency: the queue's batches plus the schedule or a person. */
export const RECONCILER_RESERVED_CONCURRENCY = INSTANCE_EVENTS.maxConcurrency + 1;
