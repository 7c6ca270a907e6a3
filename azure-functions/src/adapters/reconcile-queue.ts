import type { QueueClient } from '@azure/storage-queue';

export interface ReconcileRequest {
  /** What asked for it: an event (`event <id>`) or the timer. */
  reason: string;
  at: string;
}

/**
 * The queue the `dnsReconcile` function is triggered by. Messages are base64, the queue trigger's
 * default `messageEncoding` (host.json `extensions.queues`), so the runtime hands the handler the
 * decoded JSON; a message whose handler throws is retried and, after `maxDequeueCount` tries,
 * moved to `<queue>-poison` by the runtime.
 */
export class ReconcileQueue {
  private created: Promise<void> | undefined;

  constructor(private readonly client: QueueClient) {}

  async enqueue(request: ReconcileRequest): Promise<void> {
    this.created ??= this.client.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        this.created = undefined;
        throw error;
      },
    );
    await this.created;
    await this.client.sendMessage(Buffer.from(JSON.stringify(request)).toString('base64'));
  }

  /**
   * What the queue trigger does, for the app run outside the Functions host (the embedded drill):
   * takes the waiting messages oldest first, hands each to `handle`, and deletes it once handled.
   * A message whose handler throws is left on the queue (visible again after
   * `visibilityTimeoutSeconds`, as the runtime leaves it for a retry) and the error is rethrown.
   * Answers how many messages were handled.
   */
  async takeEach(
    handle: (request: ReconcileRequest) => Promise<void>,
    options: { visibilityTimeoutSeconds?: number } = {},
  ): Promise<number> {
    if (!(await this.client.exists())) return 0;
    let handled = 0;
    for (;;) {
      const { receivedMessageItems } = await this.client.receiveMessages({
        numberOfMessages: 32,
        visibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
      });
      if (receivedMessageItems.length === 0) return handled;
      for (const message of receivedMessageItems) {
        const request = JSON.parse(
          Buffer.from(message.messageText, 'base64').toString('utf8'),
        ) as ReconcileRequest;
        await handle(request);
        await this.client.deleteMessage(message.messageId, message.popReceipt);
        handled++;
      }
    }
  }
}
