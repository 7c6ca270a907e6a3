/**
 * A local stand-in for the AKS Function app's `POST /api/events`, written from the contract in
 * DESIGN.md ("AWS → Azure events") and deliberately not from drpilot's signer: it recomputes
 * HMAC-SHA256 over `"<x-drpilot-timestamp>.<raw body>"` itself, refuses a timestamp more than
 * 300 s away (401), a missing or wrong signature (401), a malformed body (400), a replayed id
 * (409), and answers 202 otherwise — also for an event older than the newest applied of its
 * stream, which it acknowledges and ignores. It records what arrived, for the drill and tests.
 *
 * With a `functionApp` behind it (the embedded drill), it is the front door of the real Function
 * app instead: a request that passes its own signature check is handed, headers and raw body as
 * received, to the Function app's `events` handler (or, for a signed `GET /api/state`, its `state`
 * handler), and that handler's answer — its own signature check, 400, 409, 202 — is what the
 * sender gets.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import { listenOnLoopback } from './tls/loopback-server';
import { createDrillCa, issueValidCertificate } from './tls/drill-certificates';

export interface ReceivedEvent {
  id: string;
  seq: number;
  type: string;
  time: string;
  data: Record<string, unknown>;
  /** What the receiver did: applied, or ignored as older than its stream's newest. */
  outcome: 'applied' | 'ignored';
  stream: string;
}

/** The Function app's HTTP handlers, called in this process (see cli/embedded/aks-function-app.ts). */
export interface FunctionAppBackend {
  events(request: { headers: Record<string, string>; body: string }): Promise<HandlerAnswer>;
  state(request: { headers: Record<string, string> }): Promise<HandlerAnswer>;
}

export interface HandlerAnswer {
  status: number;
  body: unknown;
}

export interface ReceiverRequest {
  status: number | null;
  type: string | null;
  seq: number | null;
}

export interface LocalAksReceiver {
  /** `https://127.0.0.1:<port>/api/events`. */
  url: string;
  /** PEM of the CA that signed the receiver's certificate (azure.caBundle). */
  caPem: string;
  /** Events accepted (202), in arrival order. */
  events: ReceivedEvent[];
  /** Every request, answered or not. */
  requests: ReceiverRequest[];
  /**
   * The newest tunnel.state applied per VPN connection, and whether the AKS side's DNS rewrites
   * wait (they do while every tunnel of a connection is down; one tunnel down gates nothing).
   */
  tunnelView(): {
    tunnels: Record<string, { outsideIp: string; up: boolean }[]>;
    dnsRewritesWait: boolean;
  };
  /** While down, connections are cut without an answer (as a Function app that is unreachable). */
  setDown(down: boolean): void;
  /** Verify with another secret from now on (a rotated or mismatched Key Vault value). */
  setSecret(secret: string): void;
  /** The clock timestamps are judged against (a test's clock; the wall clock by default). */
  setClock(now: () => Date): void;
  close(): Promise<void>;
}

const MAX_SKEW_SECONDS = 300;
const EVENT_TYPES = new Set(['dns.failover', 'resolver.ips', 'tunnel.state', 'ping']);

export async function startAksReceiver(
  secret: string,
  options: { now?: () => Date; functionApp?: FunctionAppBackend } = {},
): Promise<LocalAksReceiver> {
  const backend = options.functionApp;
  const ca = await createDrillCa({ commonName: 'drpilot drill AKS receiver CA' });
  const leaf = await issueValidCertificate(ca, ['127.0.0.1', 'localhost']);
  let now = options.now ?? (() => new Date());
  let current = secret;
  let down = false;
  const events: ReceivedEvent[] = [];
  const requests: ReceiverRequest[] = [];
  const seenIds = new Set<string>();
  const newest = new Map<string, number>();

  const server: Server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (down) {
        requests.push({ status: null, type: null, seq: null });
        req.socket.destroy();
        return;
      }
      const raw = Buffer.concat(chunks);
      const answer = (
        status: number,
        body: unknown,
        type: string | null = null,
        seq: number | null = null,
      ) => {
        requests.push({ status, type, seq });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const path = (req.url ?? '').split('?')[0];
      const isEvent = req.method === 'POST' && path === '/api/events';
      const isState = backend !== undefined && req.method === 'GET' && path === '/api/state';
      if (!isEvent && !isState) return answer(404, { error: 'not found' });
      const timestamp = String(req.headers['x-drpilot-timestamp'] ?? '');
      const given = /^sha256=([0-9a-f]{64})$/.exec(
        String(req.headers['x-drpilot-signature'] ?? ''),
      );
      if (!/^\d+$/.test(timestamp) || !given?.[1]) {
        return answer(401, { error: 'unauthorized', reason: 'missing or malformed signature' });
      }
      if (Math.abs(Math.floor(now().getTime() / 1000) - Number(timestamp)) > MAX_SKEW_SECONDS) {
        return answer(401, { error: 'unauthorized', reason: 'timestamp too far from now' });
      }
      const expected = createHmac('sha256', current)
        .update(Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), raw]))
        .digest();
      if (!timingSafeEqual(expected, Buffer.from(given[1], 'hex'))) {
        return answer(401, { error: 'unauthorized', reason: 'signature does not match' });
      }
      if (backend) {
        const forwarded = headersOf(req.headers);
        const handled = isState
          ? backend.state({ headers: forwarded })
          : backend.events({ headers: forwarded, body: raw.toString('utf8') });
        handled.then(
          (handlerAnswer) => {
            const event = isEvent ? eventOf(raw) : null;
            if (event && handlerAnswer.status === 202) {
              const judged = (handlerAnswer.body as { outcome?: string } | null)?.outcome;
              events.push({
                ...event,
                outcome: judged === 'ignored-older' ? 'ignored' : 'applied',
                stream: streamOf(event.type, event.data),
              });
            }
            answer(handlerAnswer.status, handlerAnswer.body, event?.type, event?.seq);
          },
          (error: unknown) =>
            answer(500, { error: 'the handler threw', reason: (error as Error).message }),
        );
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return answer(400, { error: 'malformed', reason: 'not JSON' });
      }
      const { id, seq, type, time, data } = body;
      if (
        typeof id !== 'string' ||
        !Number.isInteger(seq) ||
        typeof type !== 'string' ||
        !EVENT_TYPES.has(type) ||
        typeof time !== 'string' ||
        typeof data !== 'object' ||
        data === null
      ) {
        return answer(400, { error: 'malformed' });
      }
      if (seenIds.has(id)) return answer(409, { error: 'replayed', id }, type, seq as number);
      seenIds.add(id);
      const stream = streamOf(type, data as Record<string, unknown>);
      const before = newest.get(stream);
      const outcome = before !== undefined && (seq as number) <= before ? 'ignored' : 'applied';
      if (outcome === 'applied' && type !== 'ping') newest.set(stream, seq as number);
      events.push({
        id,
        seq: seq as number,
        type,
        time,
        data: data as Record<string, unknown>,
        outcome,
        stream,
      });
      return answer(202, { id, type, seq, outcome }, type, seq as number);
    });
  });
  server.on('tlsClientError', () => undefined);
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `https://127.0.0.1:${port}/api/events`,
    caPem: ca.certPem,
    events,
    requests,
    tunnelView: () => {
      const tunnels: Record<string, { outsideIp: string; up: boolean }[]> = {};
      for (const event of events) {
        if (event.type !== 'tunnel.state' || event.outcome !== 'applied') continue;
        tunnels[String(event.data['vpnConnectionId'])] = event.data['tunnels'] as {
          outsideIp: string;
          up: boolean;
        }[];
      }
      const dnsRewritesWait = Object.values(tunnels).some(
        (list) => list.length > 0 && list.every((t) => !t.up),
      );
      return { tunnels, dnsRewritesWait };
    },
    setDown: (value) => {
      down = value;
    },
    setSecret: (value) => {
      current = value;
    },
    setClock: (clock) => {
      now = clock;
    },
    close,
  };
}

function headersOf(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** The envelope of a forwarded event, for the record; null when it is not one. */
function eventOf(raw: Buffer): Omit<ReceivedEvent, 'outcome' | 'stream'> | null {
  try {
    const { id, seq, type, time, data } = JSON.parse(raw.toString('utf8'));
    if (typeof id !== 'string' || !Number.isInteger(seq) || typeof type !== 'string') return null;
    return { id, seq, type, time: String(time), data: (data ?? {}) as Record<string, unknown> };
  } catch {
    return null;
  }
}

/** The contract's streams: a type and what it is about (the record, the region, the connection). */
function streamOf(type: string, data: Record<string, unknown>): string {
  const about = data['recordName'] ?? data['region'] ?? data['vpnConnectionId'] ?? '';
  return `${type}|${String(about)}`;
}
