import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from './free-port';

// Azurite's well-known development account (its README, "Default Storage Account").
const ACCOUNT = 'devstoreaccount1';
const KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteProcess {
  /** The `AzureWebJobsStorage` connection string (Queue and Table endpoints). */
  connectionString: string;
  /** Kills it (in memory: nothing to flush, and no wait for idle keep-alives). */
  stop(): Promise<void>;
}

/**
 * Starts Azurite (npm `azurite`, in memory) on free loopback ports, outside any test framework —
 * what the embedded drill can use too. It exits with this process: it runs behind a wrapper that
 * quits when its stdin (a pipe from this process) closes.
 */
export async function startAzurite(): Promise<AzuriteProcess> {
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
  const child = spawn(process.execPath, ['-e', wrapper], { stdio: ['pipe', 'pipe', 'pipe'] });
  await waitForListening(child, ['Queue', 'Table']);
  return {
    connectionString: [
      'DefaultEndpointsProtocol=http',
      `AccountName=${ACCOUNT}`,
      `AccountKey=${KEY}`,
      `QueueEndpoint=http://127.0.0.1:${queuePort}/${ACCOUNT}`,
      `TableEndpoint=http://127.0.0.1:${tablePort}/${ACCOUNT}`,
    ].join(';'),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
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
