import type { IncomingMessage, ServerResponse } from 'node:http';
import { startArmHttpsServer, type ArmHttpsServer } from './arm-https-server';

/**
 * A stateful stand-in for Azure Resource Manager's `Microsoft.Network/connections` GET (Virtual
 * Network Gateway Connections - Get, the path @azure/arm-network 36 calls), since no emulator
 * exists for ARM. It encodes the documented rules `tunnelHealth` depends on, and only those:
 *
 * - a connection answers its `connectionStatus` and per-tunnel `tunnelConnectionStatus[]`
 *   (`tunnel`, `connectionStatus` ∈ Connected/Connecting/NotConnected/Unknown,
 *   `lastConnectionEstablishedUtcTime`), which a test flips; a tunnel that becomes Connected gets
 *   a new `lastConnectionEstablishedUtcTime`
 *   (https://learn.microsoft.com/rest/api/network-gateway/virtual-network-gateway-connections/get);
 * - a connection that does not exist → **404** `ResourceNotFound`;
 * - a connection the caller may not read → **403** `AuthorizationFailed`;
 * - throttled → **429** with `Retry-After: <seconds>`, and a request sent before that time has
 *   elapsed is refused again with the seconds left ("If you send a request before the retry value
 *   has elapsed, your request isn't processed and a new retry value is returned",
 *   https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling);
 * - ARM requires a bearer token (401) and `api-version` (400); paths compare case-insensitively.
 *
 * It speaks HTTPS (the SDK's bearer-token policy refuses plain http) with a throw-away CA that the
 * client is given as `tlsOptions.ca`.
 */

export type FakeTunnelStatus = 'Connected' | 'Connecting' | 'NotConnected' | 'Unknown';

export interface FakeConnection {
  /** Default: Connected when any tunnel is, otherwise NotConnected. */
  connectionStatus?: FakeTunnelStatus;
  tunnels: { tunnel: string; connectionStatus: FakeTunnelStatus }[];
}

export interface LoggedGet {
  /** Path without the query, as sent. */
  path: string;
  status: number;
  retryAfter: string | null;
}

interface Stored {
  id: string;
  connectionStatus?: FakeTunnelStatus;
  tunnels: { tunnel: string; connectionStatus: FakeTunnelStatus; lastConnected: string | null }[];
}

const CONNECTION_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.network\/connections\/([^/]+)$/i;

export class ConnectionArmFake {
  readonly requests: LoggedGet[] = [];
  private readonly connections = new Map<string, Stored>();
  private readonly forbidden = new Set<string>();
  private throttledUntil = 0;

  private constructor(private readonly https: ArmHttpsServer) {}

  static async start(): Promise<ConnectionArmFake> {
    const https = await startArmHttpsServer('drpilot connection ARM fake CA');
    const fake = new ConnectionArmFake(https);
    https.serve((req, res) => fake.handle(req, res));
    return fake;
  }

  /** The SDK client's `endpoint`. */
  get endpoint(): string {
    return this.https.endpoint;
  }

  /** The CA that signed the fake's certificate: the client's `tlsOptions.ca`. */
  get caPem(): string {
    return this.https.caPem;
  }

  close(): Promise<void> {
    return this.https.close();
  }

  /** Creates or flips a connection (by resource id). */
  set(id: string, connection: FakeConnection): void {
    const key = id.toLowerCase();
    const before = this.connections.get(key);
    const now = new Date().toISOString();
    this.connections.set(key, {
      id,
      ...(connection.connectionStatus ? { connectionStatus: connection.connectionStatus } : {}),
      tunnels: connection.tunnels.map((t) => {
        const was = before?.tunnels.find((b) => b.tunnel === t.tunnel);
        const reconnected =
          t.connectionStatus === 'Connected' && was?.connectionStatus !== 'Connected';
        return { ...t, lastConnected: reconnected ? now : (was?.lastConnected ?? null) };
      }),
    });
  }

  remove(id: string): void {
    this.connections.delete(id.toLowerCase());
  }

  /** The caller's identity may not read this connection (no role assignment on it). */
  forbid(id: string): void {
    this.forbidden.add(id.toLowerCase());
  }

  /** Every request for the next `seconds` is answered 429 with the seconds left. */
  throttleFor(seconds: number): void {
    this.throttledUntil = Date.now() + seconds * 1000;
  }

  /** ARM's throttle lifted (the Retry-After elapsed). */
  unthrottle(): void {
    this.throttledUntil = 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://fake');
    const path = url.pathname;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ path, status, retryAfter: headers['retry-after'] ?? null });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, code: string, message: string, headers = {}) =>
      answer(status, { error: { code, message } }, headers);

    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) {
      return error(401, 'AuthenticationFailed', 'Authentication failed.');
    }
    if (!url.searchParams.get('api-version')) {
      return error(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter is required.',
      );
    }
    const match = CONNECTION_PATH.exec(path);
    if (req.method !== 'GET' || !match) {
      return error(404, 'NotFound', `no such ARM path in this fake: ${req.method} ${path}`);
    }
    const leftMs = this.throttledUntil - Date.now();
    if (leftMs > 0) {
      return error(429, 'TooManyRequests', 'The request is being throttled.', {
        'retry-after': String(Math.ceil(leftMs / 1000)),
      });
    }
    const key = path.toLowerCase();
    if (this.forbidden.has(key)) {
      return error(
        403,
        'AuthorizationFailed',
        `The client does not have authorization to perform action 'Microsoft.Network/connections/read' over scope '${path}'.`,
      );
    }
    const stored = this.connections.get(key);
    if (!stored) {
      return error(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.Network/connections/${match[3]}' under resource group '${match[2]}' was not found.`,
      );
    }
    const anyUp = stored.tunnels.some((t) => t.connectionStatus === 'Connected');
    answer(200, {
      id: stored.id,
      name: match[3],
      type: 'Microsoft.Network/connections',
      location: 'westeurope',
      properties: {
        provisioningState: 'Succeeded',
        connectionType: 'IPsec',
        connectionStatus: stored.connectionStatus ?? (anyUp ? 'Connected' : 'NotConnected'),
        tunnelConnectionStatus: stored.tunnels.map((t) => ({
          tunnel: t.tunnel,
          connectionStatus: t.connectionStatus,
          ingressBytesTransferred: 0,
          egressBytesTransferred: 0,
          ...(t.lastConnected ? { lastConnectionEstablishedUtcTime: t.lastConnected } : {}),
        })),
      },
    });
  }
}
