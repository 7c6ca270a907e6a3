import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One AWS request as it crossed the wire: which service, which operation, and whether it writes. */
export interface RecordedRequest {
  service: string;
  operation: string;
  /** `read`, `write`, or `audit` (a state-table PutItem of an `audit#…` entry). */
  kind: 'read' | 'write' | 'audit';
}

export interface RecordingProxy {
  /** `http://127.0.0.1:PORT`: the value for AWS_ENDPOINT_URL. */
  endpoint: string;
  requests: RecordedRequest[];
  /** Everything recorded that changes something, audit entries excepted. */
  writes(): string[];
  clear(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of moto that records every request any AWS client sends, whatever the
 * client or the code path: the service from the SigV4 credential scope, the operation from the
 * protocol (JSON `x-amz-target`, Smithy RPC v2 `/service/…/operation/…`, query `Action=`, REST
 * method and path). A request writes unless it is a GET/HEAD, an operation named Describe/Get/
 * List/Query/Scan/BatchGet, or an EC2 DryRun.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push(classify(incoming, body));
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', (error) => {
        outgoing.writeHead(502);
        outgoing.end(String(error));
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    writes: () =>
      requests.filter((r) => r.kind === 'write').map((r) => `${r.service} ${r.operation}`),
    clear: () => void requests.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const READ_OPERATION = /^(Describe|Get|List|Query|Scan|BatchGet|Head)/;

function classify(incoming: IncomingMessage, body: Buffer): RecordedRequest {
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(
    String(incoming.headers.authorization ?? ''),
  );
  const service = scope?.[1] ?? 'unknown';
  const method = incoming.method ?? 'GET';
  const url = new URL(incoming.url ?? '/', 'http://proxy');
  const target = incoming.headers['x-amz-target'];
  const smithy = /\/service\/[^/]+\/operation\/([^/?]+)/.exec(url.pathname);
  const form = (incoming.headers['content-type'] ?? '').includes('x-www-form-urlencoded')
    ? new URLSearchParams(body.toString('utf8'))
    : null;
  const operation =
    (typeof target === 'string' ? target.split('.').pop() : undefined) ??
    smithy?.[1] ??
    form?.get('Action') ??
    `${method} ${url.pathname}`;
  if (form?.get('DryRun') === 'true') return { service, operation, kind: 'read' };
  const rpc = typeof target === 'string' || smithy !== null || form !== null;
  const reads = rpc ? READ_OPERATION.test(operation) : method === 'GET' || method === 'HEAD';
  if (reads) return { service, operation, kind: 'read' };
  if (operation === 'PutItem' && auditItem(body)) return { service, operation, kind: 'audit' };
  return { service, operation, kind: 'write' };
}

function auditItem(body: Buffer): boolean {
  try {
    const item = (JSON.parse(body.toString('utf8')) as { Item?: { pk?: { S?: string } } }).Item;
    return item?.pk?.S?.startsWith('audit#') === true;
  } catch {
    return false;
  }
}
