import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SerialProxy {
  /** `http://127.0.0.1:PORT`: the value for AWS_ENDPOINT_URL. */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * DynamoDB applies the writes to one item one after another, so an atomic counter (`ADD seq :one`)
 * hands every concurrent caller its own number. moto's threaded server does not: two UpdateItem
 * requests on one item can read the same value and both write it plus one. This proxy restores the
 * rule by forwarding one request at a time to moto (the next starts when the previous answered).
 */
export async function startOneRequestAtATimeProxy(target: string): Promise<SerialProxy> {
  const upstream = new URL(target);
  let queue: Promise<void> = Promise.resolve();
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      queue = queue.then(
        () =>
          new Promise<void>((done) => {
            const forwarded = httpRequest(
              {
                host: upstream.hostname,
                port: upstream.port,
                method: incoming.method,
                path: incoming.url,
                headers: incoming.headers,
              },
              (answer) => {
                const parts: Buffer[] = [];
                answer.on('data', (part: Buffer) => parts.push(part));
                answer.on('end', () => {
                  outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
                  outgoing.end(Buffer.concat(parts));
                  done();
                });
              },
            );
            forwarded.on('error', (error) => {
              outgoing.writeHead(502);
              outgoing.end(String(error));
              done();
            });
            forwarded.end(body);
          }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
