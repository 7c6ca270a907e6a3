import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './free-port';

// Azurite's well-known development account (its README, "Default Storage Account").
const ACCOUNT = 'devstoreaccount1';
const KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteHarness {
  /** The `AzureWebJobsStorage` connection string; available once beforeAll has run. */
  readonly connectionString: string;
}

/**
 * One Azurite (npm `azurite`, in memory) for the calling test file on free loopback ports, with
 * `AzureWebJobsStorage` pointing at it for the file's tests. It exits with the test process: it
 * runs behind a wrapper that quits when its stdin (a pipe from this process) closes.
 */
export function useAzurite(): AzuriteHarness {
  let child: ChildProcess | undefined;
  let connectionString: string | undefined;
  let previous: string | undefined;

  beforeAll(async () => {
    const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
    const bin = createRequire(import.meta.url).resolve('azurite/dist/src/azurite.js');
    const args = [
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(blobPort),
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      String(queuePort),
      '--tableHost',
      '127.0.0.1',
      '--tablePort',
      String(tablePort),
    ];
    const wrapper = [
      "process.stdin.on('end', () => process.exit(0)); process.stdin.resume();",
      `process.argv = [process.argv[0], ${JSON.stringify(bin)}, ...${JSON.stringify(args)}];`,
      `require(${JSON.stringify(bin)});`,
    ].join('\n');
    child = spawn(process.execPath, ['-e', wrapper], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForListening(child, ['Queue', 'Table']);
    connectionString = [
      'DefaultEndpointsProtocol=http',
      `AccountName=${ACCOUNT}`,
      `AccountKey=${KEY}`,
      `QueueEndpoint=http://127.0.0.1:${queuePort}/${ACCOUNT}`,
      `TableEndpoint=http://127.0.0.1:${tablePort}/${ACCOUNT}`,
    ].join(';');
    previous = process.env.AzureWebJobsStorage;
    process.env.AzureWebJobsStorage = connectionString;
  });

  afterAll(async () => {
    if (previous === undefined) delete process.env.AzureWebJobsStorage;
    else process.env.AzureWebJobsStorage = previous;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL'); // in memory: nothing to flush, and no wait for idle keep-alives
      await exited;
    }
  });

  return {
    get connectionString() {
      if (!connectionString) throw new Error('Azurite is not running: use it inside tests');
      return connectionString;
    },
  };
}

function waitForListening(child: ChildProcess, services: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = services.every((service) =>
        new RegExp(`Azurite ${service} service is successfully listening`).test(output),
      );
      if (ready) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`Azurite exited (${code}): ${output}`)));
  });
}
