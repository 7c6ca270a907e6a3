import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freeLoopbackPort } from './moto-server';

// Azurite's well-known development account (its README, "Default Storage Account").
const ACCOUNT = 'devstoreaccount1';
const KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteProcess {
  /** The `AzureWebJobsStorage` connection string (Queue and Table endpoints). */
  connectionString: string;
  /** What ran, for reports: `Azurite 3.35.0 (in memory)`. */
  description: string;
  /** Kills it (in memory: nothing to flush, and no wait for idle keep-alives). */
  stop(): Promise<void>;
}

/**
 * Starts Azurite (npm `azurite`, a devDependency of the azure-functions workspace, hoisted by the
 * root `npm ci`) in memory on free loopback ports, for tests and the embedded drill. It exits with
 * this process: it runs behind a wrapper that quits when its stdin (a pipe from this process)
 * closes.
 */
export async function startAzurite(): Promise<AzuriteProcess> {
  const require = createRequire(import.meta.url);
  let bin: string;
  try {
    bin = require.resolve('azurite/dist/src/azurite.js');
  } catch (error) {
    throw new Error(
      'Azurite is not installed: run `npm ci` at the repository root (it installs the azure-functions workspace and its devDependencies)',
      { cause: error },
    );
  }
  const version = azuriteVersion(bin);
  const [blobPort, queuePort, tablePort] = [
    await freeLoopbackPort(),
    await freeLoopbackPort(),
    await freeLoopbackPort(),
  ];
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
    description: `Azurite ${version} (in memory)`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

function azuriteVersion(bin: string): string {
  // dist/src/azurite.js → the package root's package.json
  const manifest = join(dirname(bin), '..', '..', 'package.json');
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
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
        // Keep draining its output (a full pipe would block it), without keeping it.
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        child.removeListener('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`Azurite exited (${code}): ${output}`));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
