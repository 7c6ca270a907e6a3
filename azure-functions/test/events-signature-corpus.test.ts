import './support/quiet-functions-test-mode';
import { HttpRequest } from '@azure/functions';
import { beforeAll, describe, expect, it } from 'vitest';
import { events } from '../src/functions/events';
import { MAX_BODY_BYTES } from '../src/http/signed-request';
import { useAzurite } from './support/azurite';
import { failoverEvent, pingEvent, resolverIpsEvent } from './support/events';
import {
  MAIN_RECORD,
  quietContext,
  signedRequest,
  TEST_SECRET,
  type SignedRequestInit,
} from './support/invoke';
import { storageContents } from './support/storage-probe';

const azurite = useAzurite();

beforeAll(() => {
  process.env.DRPILOT_WEBHOOK_SECRET = TEST_SECRET;
  process.env.DRPILOT_MAIN_RECORD = MAIN_RECORD;
});

async function post(init: SignedRequestInit) {
  const response = await events(signedRequest(init), quietContext('events').context);
  return { status: response.status, body: response.jsonBody as Record<string, unknown> };
}

/** What the Function app holds: the state entities and the queue, read straight from Azurite. */
async function stored() {
  return storageContents(azurite.connectionString);
}

const now = () => Math.floor(Date.now() / 1000);

describe('POST /api/events: every refused request changes nothing', () => {
  const body = JSON.stringify(resolverIpsEvent(1, 'eu-west-1', ['10.0.1.10']));

  const refused: { name: string; status: number; init: () => SignedRequestInit }[] = [
    { name: 'the wrong secret', status: 401, init: () => ({ body, secret: 'not-the-secret' }) },
    { name: 'no signature headers', status: 401, init: () => ({ body, unsigned: true }) },
    { name: 'a timestamp 301 s old', status: 401, init: () => ({ body, timestamp: now() - 301 }) },
    {
      name: 'a timestamp 301 s ahead',
      status: 401,
      init: () => ({ body, timestamp: now() + 301 }),
    },
    {
      name: 'a timestamp that is not unix seconds',
      status: 401,
      init: () => ({ body, headers: { 'x-drpilot-timestamp': '2025-06-01T12:00:00Z' } }),
    },
    {
      name: 'a signature without sha256=',
      status: 401,
      init: () => ({ body, headers: { 'x-drpilot-signature': 'deadbeef' } }),
    },
    { name: 'malformed JSON', status: 400, init: () => ({ body: '{"id": "x", ' }) },
    {
      name: 'an unknown type',
      status: 400,
      init: () => ({ body: JSON.stringify({ ...pingEvent(1), type: 'dns.teleport' }) }),
    },
    {
      name: 'a body over the limit',
      status: 413,
      init: () => ({ body: JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) }) }),
    },
  ];

  it.each(refused)('$name → $status', async ({ init, status }) => {
    expect((await post(init())).status).toBe(status);
    expect(await stored()).toEqual({ entities: [], queued: [] });
  });

  it('a tampered body (signed for the original) → 401', async () => {
    const signed = signedRequest({ body });
    const headers: Record<string, string> = {};
    signed.headers.forEach((value, key) => (headers[key] = value));
    const tampered = new HttpRequest({
      method: 'POST',
      url: signed.url,
      headers,
      body: { string: body.replace('10.0.1.10', '10.0.1.66') },
    });
    const response = await events(tampered, quietContext('events').context);
    expect(response.status).toBe(401);
    expect(await stored()).toEqual({ entities: [], queued: [] });
  });

  it('names the malformed field: 400 with data.ips[1]', async () => {
    const bad = resolverIpsEvent(1, 'eu-west-1', ['10.0.1.10', '10.0.1.300']);
    const response = await post({ body: JSON.stringify(bad) });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { path: 'data.ips[1]', message: 'expected an IPv4 address such as 10.0.1.10' },
    ]);
    expect(await stored()).toEqual({ entities: [], queued: [] });
  });

  it('answers ping with 202 and stores nothing', async () => {
    const response = await post({ body: JSON.stringify(pingEvent()) });
    expect(response).toMatchObject({ status: 202, body: { outcome: 'no-change' } });
    expect(await stored()).toEqual({ entities: [], queued: [] });
  });
});

describe('POST /api/events: replays and older events', () => {
  it('accepts an event once (202, state + queue), refuses its replay (409) and ignores an older seq (202)', async () => {
    const first = failoverEvent(10);
    const accepted = await post({ body: JSON.stringify(first) });
    expect(accepted).toMatchObject({
      status: 202,
      body: { outcome: 'applied', reconcile: 'queued' },
    });
    const afterFirst = await stored();
    expect(afterFirst.queued).toHaveLength(1);

    const replay = await post({ body: JSON.stringify(first) });
    expect(replay).toMatchObject({ status: 409, body: { error: 'replayed', id: first.id } });
    expect(await stored()).toEqual(afterFirst);

    const older = failoverEvent(9, { activeSide: 'primary' });
    const ignored = await post({ body: JSON.stringify(older) });
    expect(ignored).toMatchObject({
      status: 202,
      body: { outcome: 'ignored-older', newestSeq: 10 },
    });
    const afterOlder = await stored();
    const desired = (rows: typeof afterOlder) => rows.entities.find((e) => e.rowKey === 'desired');
    expect(desired(afterOlder)).toEqual(desired(afterFirst));
    expect(JSON.parse(desired(afterOlder)!.json!).active.side).toBe('dr');
    expect(afterOlder.queued).toEqual(afterFirst.queued);
    // The older event's id is kept too, so its own replay is a 409 as well.
    expect((await post({ body: JSON.stringify(older) })).status).toBe(409);
  });
});
