import {
  app,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
} from '@azure/functions';
import { appStorage } from '../adapters/storage-clients';
import { readSignedBody } from '../http/signed-request';
import { misconfigured } from '../http/misconfigured';
import { SettingsError } from '../settings';

/**
 * `GET /api/state`, signed like an event (an empty body signs `"<timestamp>."`): the desired state
 * the events built and the applied state the last reconcile left, for `drpilot status`.
 */
export async function state(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const signed = await readSignedBody(request, Date.now());
    if (!signed.ok) return signed.response;
    const { table } = appStorage();
    await table.ensureTable();
    const [desired, applied] = await Promise.all([table.readDesired(), table.readApplied()]);
    return { status: 200, jsonBody: { desired: desired.state, applied } };
  } catch (error) {
    if (error instanceof SettingsError) return misconfigured(error, context);
    throw error;
  }
}

app.http('state', { methods: ['GET'], authLevel: 'anonymous', route: 'state', handler: state });
