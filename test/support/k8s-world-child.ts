/**
 * Starts an API-only world, prints its processes and state directory as one JSON line, then
 * waits to be killed: test/integration/k8s-world.test.ts kills it with SIGKILL and checks that the
 * world's processes die with it.
 */
import { k8sWorldBinaries } from '../../cli/emulator/k8s-world-binaries';
import { startK8sWorld } from '../../cli/emulator/k8s-world';

const world = await startK8sWorld({
  binaries: await k8sWorldBinaries({ build: false }),
  apiOnly: true,
});
process.stdout.write(
  `${JSON.stringify({ processes: world.processes, stateDir: world.stateDir })}\n`,
);
setInterval(() => undefined, 60_000);
