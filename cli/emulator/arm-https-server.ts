import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createDrillCa, issueValidCertificate } from '../embedded/tls/drill-certificates';

/** The HTTPS listener an ARM fake answers on (the Azure SDK sends bearer tokens over TLS only). */
export interface ArmHttpsServer {
  /** The SDK client's `endpoint`. */
  readonly endpoint: string;
  /** The CA that signed the server's certificate: the client's `tlsOptions.ca`. */
  readonly caPem: string;
  /** Answers every request with `handle` (no one knows the port before start() returns). */
  serve(handle: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

/** Listens on a free 127.0.0.1 port with a certificate from a CA of its own, named `caName`. */
export async function startArmHttpsServer(caName: string): Promise<ArmHttpsServer> {
  const ca = await createDrillCa({ commonName: caName });
  const leaf = await issueValidCertificate(ca, ['127.0.0.1']);
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caPem: ca.certPem,
    serve(handle) {
      server.on('request', handle);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
