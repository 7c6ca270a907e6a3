import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type InProcessHandler = (event: unknown, context: never) => Promise<unknown>;

/**
 * A stateful fake of the Lambda Invoke API (moto needs Docker to run a function): functions are
 * registered by name and run in this process. It encodes what the CLI relies on: 200 with the
 * JSON result, `X-Amz-Function-Error: Unhandled` with `{ errorMessage, errorType }` when the
 * handler throws, and 404 ResourceNotFoundException for an unknown function.
 */
export async function startFakeLambdaInvoke(
  functions: Record<string, InProcessHandler>,
): Promise<{ endpoint: string; invocations: string[]; close: () => Promise<void> }> {
  const invocations: string[] = [];
  const server: Server = createServer((request, response) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.url ?? '');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const name = match ? decodeURIComponent(match[1]!) : '';
      const handler = functions[name];
      if (request.method !== 'POST' || !handler) {
        response.writeHead(404, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'ResourceNotFoundException',
        });
        response.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
        return;
      }
      invocations.push(name);
      try {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
        const result = await handler(event, {
          awsRequestId: `fake-${invocations.length}`,
        } as never);
        response.writeHead(200, {
          'content-type': 'application/json',
          'x-amz-executed-version': '$LATEST',
        });
        response.end(JSON.stringify(result ?? null));
      } catch (error) {
        response.writeHead(200, {
          'content-type': 'application/json',
          'x-amz-function-error': 'Unhandled',
        });
        response.end(
          JSON.stringify({
            errorMessage: (error as Error).message,
            errorType: (error as Error).name,
          }),
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
