import { randomUUID } from 'node:crypto';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { secretsManagerClient } from '../adapters/aws/sdk-clients/secrets-manager';
import { OutboxStore } from '../adapters/aws/outbox-store';
import { forgetWebhookSecret, readWebhookSecret } from '../adapters/aws/webhook-secret';
import { sendSigned } from '../adapters/http/webhook-client';
import {
  describeEvent,
  eventBody,
  type AksEvent,
  type AksEventData,
  type AksEventType,
} from '../core/aks/events';
import {
  afterFailedAttempt,
  chainWithNew,
  judgeAnswer,
  nextAuthHold,
  planFlush,
  type PendingEvent,
  type Verdict,
  type WebhookAnswer,
} from '../core/aks/outbox';
import { signedHeaders } from '../core/aks/signature';
import type { DrpilotConfig } from '../core/config/schema';

export interface SenderOptions {
  /** The clock of decisions: event times, backoff, the 401 hold. */
  now?: () => Date;
  /**
   * The clock of signatures (x-drpilot-timestamp): the wall clock by default, even when `now` is
   * moved (the drill skips a cooldown that way), because the receiver judges it against its own.
   */
  signAt?: () => number;
  onProgress?: (message: string) => void;
}

export interface Attempt {
  type: string;
  seq: number;
  event: string;
  verdict: Verdict | 'held';
  status: number | null;
  latencyMs: number;
  detail: string;
}

export interface SendReport {
  /** The event as stored (and sent, when it could be). */
  event: AksEvent;
  attempts: Attempt[];
  /** Still pending afterwards (held by a 401, or no answer yet). */
  pending: boolean;
}

export interface FlushReport {
  plan: string;
  attempts: Attempt[];
  pendingAfter: number;
}

type AzureConfig = NonNullable<DrpilotConfig['azure']>;

/**
 * The one sender of AWS → Azure events, used by every function that tells the AKS side: an event
 * is stored in the outbox (pending) first, then POSTed signed, then marked delivered with the
 * answer. What is not acknowledged stays pending and is retried with backoff by the every-minute
 * run, oldest first per type; a 401 holds the outbox (one probe now and then, an alarm, a line in
 * `status`) instead of retrying blindly.
 */
export class AksSender {
  readonly store: OutboxStore;
  private readonly azure: AzureConfig;
  private readonly now: () => Date;
  private readonly signAt: () => number;
  private readonly progress: (message: string) => void;

  constructor(
    private readonly config: DrpilotConfig,
    options: SenderOptions = {},
  ) {
    if (!config.azure) throw new Error('azure is not configured: there is no AKS side to tell');
    this.azure = config.azure;
    this.store = new OutboxStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
    this.now = options.now ?? (() => new Date());
    this.signAt = options.signAt ?? (() => Date.now());
    this.progress = options.onProgress ?? (() => undefined);
  }

  /** Stores a new event, then sends its type's pending events oldest first, this one last. */
  async send<T extends AksEventType>(type: T, data: AksEventData[T]): Promise<SendReport> {
    const event: AksEvent<T> = {
      id: randomUUID(),
      seq: await this.store.nextSeq(type),
      type,
      time: this.now().toISOString(),
      data,
    };
    const stored: PendingEvent = {
      type,
      seq: event.seq,
      id: event.id,
      body: eventBody(event),
      createdAt: event.time,
      attempts: 0,
      nextAttemptAtMs: this.now().getTime(),
      lastAnswer: null,
    };
    await this.store.putPending(stored);
    const hold = await this.store.readHold();
    if (hold) {
      this.progress(`${describeEvent(event)} stored; held: the AKS side answers 401`);
      return {
        event,
        attempts: [
          {
            event: describeEvent(event),
            type,
            seq: event.seq,
            verdict: 'held',
            status: null,
            latencyMs: 0,
            detail: hold.detail,
          },
        ],
        pending: true,
      };
    }
    const chain = chainWithNew(await this.store.listPending(), stored);
    const attempts = await this.sendChain(chain);
    const mine = attempts.find((a) => a.type === type && a.seq === event.seq);
    return {
      event,
      attempts,
      pending: mine?.verdict !== 'delivered' && mine?.verdict !== 'rejected',
    };
  }

  /** The scheduled run: sends what is due (planFlush). */
  async flush(): Promise<FlushReport> {
    const [pending, hold] = await Promise.all([this.store.listPending(), this.store.readHold()]);
    const plan = planFlush(pending, hold, this.now().getTime());
    let attempts: Attempt[] = [];
    if (plan.kind === 'send') {
      for (const chain of plan.chains) attempts.push(...(await this.sendChain(chain)));
    } else if (plan.kind === 'probe') {
      this.progress(`probing the AKS side with ${plan.event.type} #${plan.event.seq} after 401s`);
      attempts = await this.sendChain([plan.event], hold);
    }
    const after = await this.store.listPending();
    return {
      plan: plan.kind === 'wait' ? plan.reason : plan.kind,
      attempts,
      pendingAfter: after.length,
    };
  }

  /** A signed `ping`, not stored: answered 202 and changing nothing. A 2xx ends a 401 hold. */
  async ping(): Promise<WebhookAnswer & { event: AksEvent<'ping'> }> {
    const event: AksEvent<'ping'> = {
      id: randomUUID(),
      seq: await this.store.nextSeq('ping'),
      type: 'ping',
      time: this.now().toISOString(),
      data: {},
    };
    const answer = await this.post(eventBody(event));
    const verdict = judgeAnswer(answer.status);
    if (verdict === 'delivered') await this.store.clearHold();
    if (verdict === 'unauthorized') await this.unauthorized(answer, 'ping', event.seq);
    return { ...answer, event };
  }

  /** Sends events of one type in order; stops at the first one not acknowledged. */
  private async sendChain(
    chain: readonly PendingEvent[],
    hold: Awaited<ReturnType<OutboxStore['readHold']>> = null,
  ): Promise<Attempt[]> {
    const attempts: Attempt[] = [];
    for (const event of chain) {
      const answer = await this.post(event.body);
      const verdict = judgeAnswer(answer.status);
      const name = `${event.type} #${event.seq}`;
      attempts.push({
        type: event.type,
        seq: event.seq,
        event: describeEvent({ ...event, data: JSON.parse(event.body).data }),
        verdict,
        status: answer.status,
        latencyMs: answer.latencyMs,
        detail: answer.detail,
      });
      this.progress(
        `${name}: ${answer.status ?? 'no answer'} (${verdict}) in ${answer.latencyMs} ms`,
      );
      if (verdict === 'delivered' || verdict === 'rejected') {
        await this.store.markDone(event, answer, verdict);
        if (verdict === 'rejected') await this.recordError(event, answer);
        if (hold) await this.store.clearHold();
        hold = null;
        continue;
      }
      const next = afterFailedAttempt(event, answer);
      await this.store.recordFailedAttempt(event, answer, next.attempts, next.nextAttemptAtMs);
      if (verdict === 'unauthorized') await this.unauthorized(answer, event.type, event.seq, hold);
      else await this.recordError(event, answer);
      break;
    }
    return attempts;
  }

  private async post(body: string): Promise<WebhookAnswer> {
    let secret: string;
    try {
      secret = await readWebhookSecret(
        secretsManagerClient(this.config.controlRegion),
        this.azure.secretName,
      );
    } catch (error) {
      // Not sent at all: the event stays pending and is retried like any unanswered one.
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const at = this.now().toISOString();
      return {
        status: null,
        at,
        latencyMs: 0,
        detail: `secret ${this.azure.secretName}: ${message}`,
      };
    }
    return sendSigned({
      url: this.azure.webhookUrl,
      method: 'POST',
      headers: signedHeaders(secret, this.signAt(), body),
      body,
      now: this.now,
      ...(this.azure.caBundle ? { caPem: this.azure.caBundle } : {}),
    });
  }

  private async unauthorized(
    answer: WebhookAnswer,
    type: string,
    seq: number,
    previous?: Awaited<ReturnType<OutboxStore['readHold']>>,
  ): Promise<void> {
    // The secret may have been rotated: the next probe reads it again.
    forgetWebhookSecret(this.azure.secretName);
    const hold = nextAuthHold(previous ?? (await this.store.readHold()), answer);
    await this.store.writeHold(hold);
    await this.store.writeLastError({
      at: answer.at,
      type,
      seq,
      status: answer.status,
      detail: answer.detail,
    });
    // The every-minute run publishes the hold as the alarm's metric.
  }

  private async recordError(event: PendingEvent, answer: WebhookAnswer): Promise<void> {
    await this.store.writeLastError({
      at: answer.at,
      type: event.type,
      seq: event.seq,
      status: answer.status,
      detail: answer.detail,
    });
  }
}
