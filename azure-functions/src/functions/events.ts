import {
  app,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
} from '@azure/functions';
import { appStorage } from '../adapters/storage-clients';
import { logTunnelMetric } from '../adapters/tunnel-metrics';
import { applyEvent } from '../core/desired-state';
import { tunnelMetrics } from '../core/tunnel-health';
import { parseEvent, type DrpilotEvent } from '../core/events';
import { readSignedBody } from '../http/signed-request';
import { misconfigured } from '../http/misconfigured';
import { requiredSetting, SETTINGS, SettingsError } from '../settings';

/** Concurrent events for the same state each retry on a moved ETag; this many rounds is plenty. */
const MAX_ATTEMPTS = 5;

/**
 * `POST /api/events`: one signed event from the AWS side ("AWS → Azure events" in DESIGN.md).
 * 413 too large, 401 signature, 400 malformed, 409 replayed id, 202 accepted (also when ignored as
 * older than what was applied for its stream, and for `ping`). The event's id and the desired state
 * it produced commit together; only then is a reconcile queued.
 */
export async function events(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const receivedAt = new Date();
    const signed = await readSignedBody(request, receivedAt.getTime());
    if (!signed.ok) return signed.response;
    let body: unknown;
    try {
      body = JSON.parse(signed.rawBody.toString('utf8'));
    } catch (error) {
      return malformed([{ path: '(body)', message: `not JSON: ${(error as Error).message}` }]);
    }
    const parsed = parseEvent(body);
    if (!parsed.ok) return malformed(parsed.errors);
    const event = parsed.event;
    if (event.type === 'ping') return accepted(event, { outcome: 'no-change' });
    return await record(event, receivedAt, context);
  } catch (error) {
    if (error instanceof SettingsError) return misconfigured(error, context);
    throw error;
  }
}

async function record(
  event: Exclude<DrpilotEvent, { type: 'ping' }>,
  receivedAt: Date,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const mainRecordName = requiredSetting(SETTINGS.mainRecord);
  const { table, queue } = appStorage();
  await table.ensureTable();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await table.readDesired();
    const result = applyEvent(current.state, event, { mainRecordName });
    const next =
      result.outcome === 'applied' ? { state: result.state, basedOn: current.etag } : undefined;
    const recorded = await table.recordEvent(event, receivedAt, next);
    if (recorded === 'replayed') {
      return { status: 409, jsonBody: { error: 'replayed', id: event.id } };
    }
    if (recorded === 'state-moved') continue;
    if (result.outcome !== 'applied') {
      context.info(`event ${event.id} (${event.type}) ignored: seq ${event.seq} is not newer`);
      return accepted(event, result);
    }
    // AWS's view of the tunnels moved with this event: logged as Azure's moves are (tunnelHealth).
    if (result.state.tunnelHealth) {
      for (const metric of tunnelMetrics(current.state.tunnelHealth, result.state.tunnelHealth)) {
        logTunnelMetric(context, metric);
      }
    }
    let reconcile: 'queued' | 'not-queued' = 'queued';
    try {
      await queue.enqueue({ reason: `event ${event.id}`, at: receivedAt.toISOString() });
    } catch (error) {
      // The desired state is committed; the 5-minute timer queues a reconcile anyway.
      reconcile = 'not-queued';
      context.error(`event ${event.id}: queueing a reconcile failed: ${(error as Error).message}`);
    }
    context.info(`event ${event.id} (${event.type}, ${result.stream}, seq ${event.seq}) applied`);
    return accepted(event, { outcome: 'applied', stream: result.stream, reconcile });
  }
  throw new Error(`event ${event.id}: the desired state kept moving (${MAX_ATTEMPTS} attempts)`);
}

function accepted(event: DrpilotEvent, detail: Record<string, unknown>): HttpResponseInit {
  return { status: 202, jsonBody: { id: event.id, type: event.type, seq: event.seq, ...detail } };
}

function malformed(errors: { path: string; message: string }[]): HttpResponseInit {
  return { status: 400, jsonBody: { error: 'malformed', errors } };
}

// Anonymous at the platform level: the HMAC signature is the authentication, so the sender needs
// no function key besides the shared secret.
app.http('events', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'events',
  handler: events,
});
