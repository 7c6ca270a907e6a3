/**
 * Starts moto, a bucket and a Velero server for namespace $VELERO_CHILD_NAMESPACE of the world
 * whose admin kubeconfig is $VELERO_CHILD_KUBECONFIG, prints the server's pid, its process group and
 * state directory as one JSON line, then waits to be killed: test/integration/velero-server.test.ts
 * kills it with SIGKILL and checks that the server dies with it and the machine lock is free.
 */
import { readlinkSync } from 'node:fs';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { KubeAdmin } from '../../cli/embedded/kube-admin';
import { pointAwsClientsAt } from '../../cli/emulator/emulated-aws';
import { startMotoServer } from '../../cli/emulator/moto-server';
import { installVelero, startVeleroServer } from '../../cli/emulator/velero-server';
import { veleroBinaries } from '../../cli/emulator/velero-server-binaries';
import { s3Client } from '../../lambdas/adapters/aws/clients';

const kubeconfig = process.env['VELERO_CHILD_KUBECONFIG'] ?? '';
const namespace = process.env['VELERO_CHILD_NAMESPACE'] ?? '';
const moto = await startMotoServer();
pointAwsClientsAt(moto.endpoint);
const bucket = `velero-child-${process.pid}`;
await s3Client('eu-west-1').send(
  new CreateBucketCommand({
    Bucket: bucket,
    CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
  }),
);
const binaries = await veleroBinaries({ build: false, quiet: true });
const admin = KubeAdmin.fromKubeconfig(kubeconfig);
await installVelero(admin, binaries, {
  namespace,
  location: {
    bucket,
    prefix: '',
    region: 'eu-west-1',
    s3Url: moto.endpoint,
    accessMode: 'ReadOnly',
  },
  primeLocation: true,
});
admin.close();
const server = await startVeleroServer({ binaries, kubeconfig, namespace });
// The AWS plugin runs in processes of its own (the location's validation starts them); wait for
// one, so the test sees that those die too.
const isPlugin = (pid: number) => {
  try {
    return readlinkSync(`/proc/${pid}/exe`).startsWith(binaries.pluginDir);
  } catch {
    return false;
  }
};
// Velero starts them per reconcile and ends them after it (the location is validated every 10 s),
// so poll often and for long enough to see several validations, also on a loaded machine. The
// group and its plugins are reported from the one look that saw a plugin: a second look may come
// after that plugin ended.
let group = server.processes();
let plugins = group.filter(isPlugin);
for (let i = 0; i < 3000 && plugins.length === 0; i++) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  group = server.processes();
  plugins = group.filter(isPlugin);
}
process.stdout.write(
  `${JSON.stringify({ pid: server.pid, pgid: server.pgid, group, plugins, stateDir: server.stateDir })}\n`,
);
setInterval(() => undefined, 60_000);
