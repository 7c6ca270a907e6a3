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
}
