/**
 * Local stand-ins for the clusters' ingress endpoints in the embedded drill and in tests: an
 * HTTPS server on 127.0.0.1 with a drill certificate, and a resolver that maps endpoint names to
 * such servers for `probeTls`.
 */
import { createServer, type Server } from 'node:https';
import type { Resolver, ResolvedAddress } from '../../../lambdas/adapters/tls/tls-probe';
import { listenOnLoopback } from './loopback-server';

export interface TlsEndpointOptions {
  certPem: string;
  keyPem: string;
  /** Intermediate/CA certificates to serve after the leaf, as a chain. */
  caPem?: string;
}

export interface LocalTlsEndpoint {
  host: '127.0.0.1';
  port: number;
  /** The SNI names clients asked for, in order (what a probe sent as `serverName`). */
  serverNames: string[];
  close(): Promise<void>;
}

/**
 * Starts an HTTPS server on 127.0.0.1 and a free port that answers `GET /healthz` with 200 `ok`
 * (404 otherwise), like an EKS ingress endpoint would for a health check.
 */
export async function startTlsEndpoint(options: TlsEndpointOptions): Promise<LocalTlsEndpoint> {
  const chain = options.caPem
    ? `${options.certPem.trimEnd()}\n${options.caPem.trimEnd()}\n`
    : options.certPem;
  const serverNames: string[] = [];
  const tlsOptions = {
    cert: chain,
    key: options.keyPem,
    // Records the SNI, then serves the one certificate (no context: the server's default).
    SNICallback: (servername: string, callback: (error: Error | null) => void) => {
      serverNames.push(servername);
      callback(null);
    },
  };
  const server: Server = createServer(tlsOptions, (req, res) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  // A failed handshake (the probe hangs up on an untrusted server) is not a server error.
  server.on('tlsClientError', () => undefined);
  const { port, close } = await listenOnLoopback(server);
  return {
    host: '127.0.0.1',
    port,
    serverNames,
    close,
  };
}

/** The error a resolver gives for a name it does not know, shaped like Node's DNS errors. */
export class UnknownEndpointError extends Error {
  readonly code = 'ENOTFOUND';
  constructor(
    readonly hostname: string,
    known: string[],
  ) {
    super(
      `no local endpoint is mapped for ${hostname}; known: ${known.length ? known.join(', ') : 'none'}`,
    );
    this.name = 'UnknownEndpointError';
  }
}

/**
 * A resolver for `probeTls` that sends each known endpoint name to a local server and rejects any
 * other name with an ENOTFOUND error. Names match case-insensitively, a trailing dot ignored.
 */
export function localResolver(map: Record<string, ResolvedAddress>): Resolver {
  const normalise = (name: string) => name.toLowerCase().replace(/\.$/, '');
  const table = new Map(
    Object.entries(map).map(([name, address]) => [normalise(name), { ...address }]),
  );
  return async (hostname: string) => {
    const address = table.get(normalise(hostname));
    if (!address) throw new UnknownEndpointError(hostname, Object.keys(map));
    return { ...address };
  };
}
