/**
 * One real Kubernetes world per test run, started only if a test asks for it: this global setup
 * (in vitest's main process) serves a loopback URL; the first test file that fetches it starts the
 * world, every later one gets the same, and teardown stops it. The world's processes die with
 * the main process even when the run is killed (see cli/emulator/k8s-world.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { k8sWorldBinaries } from '../../cli/emulator/k8s-world-binaries';
import { startK8sWorld, type K8sWorld } from '../../cli/emulator/k8s-world';
import type { SharedK8sWorld } from './k8s-world';

declare module 'vitest' {
  export interface ProvidedContext {
    k8sWorldBroker: string;
  }
}

function describeWorld(world: K8sWorld): SharedK8sWorld {
  return {
    server: world.server,
    version: world.version,
    description: world.description,
    adminKubeconfig: world.adminKubeconfig,
    auditLogPath: world.auditLogPath,
    processes: [...world.processes],
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let world: Promise<K8sWorld> | undefined;
  const broker = createServer((_request, response) => {
    // npm test runs the setup first; a run started otherwise installs from the shared tarball at
    // most, and says how to build rather than starting a 35-minute build inside a test hook.
    world ??= k8sWorldBinaries({ build: false }).then((binaries) => startK8sWorld({ binaries }));
    world.then(
      (started) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(describeWorld(started)));
      },
      (error: unknown) => {
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: (error as Error).message }));
      },
    );
  });
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
  project.provide('k8sWorldBroker', `http://127.0.0.1:${(broker.address() as AddressInfo).port}`);

  return async () => {
    broker.close();
    await world?.then(
      (started) => started.stop(),
      () => undefined,
    );
  };
}
