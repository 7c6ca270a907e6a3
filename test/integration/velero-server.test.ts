/**
 * The Velero server harness itself (cli/emulator/velero-server.ts): a server holds the machine's
 * Velero lock while it runs and stop() ends exactly the process group it started, and a server
 * dies with the process that started it — also by SIGKILL — its plugin processes included,
 * leaving its state to be swept.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { acquireMachineLock } from '../../cli/emulator/machine-lock';
import {
  groupMembers,
  installVelero,
  killLeftoversOfDeadOwners,
  startVeleroServer,
  VELERO_LOCK_FILE,
} from '../../cli/emulator/velero-server';
import { s3Client } from '../../lambdas/adapters/aws/clients';
import { useK8sWorld } from '../support/k8s-world';
import { useMoto } from '../support/moto';
import { veleroForTests } from '../support/velero';

const moto = useMoto();
const k8s = useK8sWorld();
const id = randomBytes(3).toString('hex');
const namespaces = [`velero-a-${id}`, `velero-b-${id}`];

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The lock is free when this process can take it at once (held: it stays taken). */
async function lockIsFree(): Promise<boolean> {
  try {
    const lock = await acquireMachineLock(VELERO_LOCK_FILE, { timeoutMs: 1_000, what: 'test' });
    await lock.release();
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const namespace of namespaces) await k8s.admin.delete(`/api/v1/namespaces/${namespace}`);
});

describe('the Velero server harness', () => {
  it('holds the machine lock while it runs; stop() ends exactly the process group it started', async () => {
    const binaries = await veleroForTests();
    await s3Client('eu-west-1').send(
      new CreateBucketCommand({
        Bucket: `velero-${id}`,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    await installVelero(k8s.admin, binaries, {
      namespace: namespaces[0]!,
      location: {
        bucket: `velero-${id}`,
        prefix: '',
        region: 'eu-west-1',
        s3Url: moto.endpoint,
        accessMode: 'ReadWrite',
      },
    });
    const server = await startVeleroServer({
      binaries,
      kubeconfig: k8s.world.adminKubeconfig,
      namespace: namespaces[0]!,
    });
    expect(server.description).toBe('Velero v1.18.3 + velero-plugin-for-aws v1.14.3');
    expect(server.processes()).toContain(server.pid);
    expect(await lockIsFree()).toBe(false);

    await server.stop();

    expect(server.processes()).toEqual([]);
    expect(isAlive(server.pid)).toBe(false);
    expect(existsSync(server.stateDir)).toBe(false);
    // The lock was held by a descriptor every member of the group inherited: with the group gone,
    // it is ours no more (whether free now depends on other test files waiting for it).
    await server.stop(); // idempotent
  });

  it('a server dies with the process that started it, even by SIGKILL, plugins included; its state is swept', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('../support/velero-server-child.ts', import.meta.url)),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          VELERO_CHILD_KUBECONFIG: k8s.world.adminKubeconfig,
          VELERO_CHILD_NAMESPACE: namespaces[1],
        },
      },
    );
    // A failed expectation must not leave the child (and its server holding the lock) behind.
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const started = await new Promise<{
      pid: number;
      pgid: number;
      group: number[];
      plugins: number[];
      stateDir: string;
    }>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('\n')) resolve(JSON.parse(stdout));
      });
      child.on('exit', (code) => reject(new Error(`child exited (${code}): ${stderr}`)));
    });
    expect(started.group).toContain(started.pid);
    expect(started.plugins.length).toBeGreaterThan(0);
    expect(started.group).toEqual(expect.arrayContaining(started.plugins));
    expect(isAlive(started.pid)).toBe(true);

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const deadline = Date.now() + 10_000;
    while (groupMembers(started.pgid).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The server, its plugin processes and the supervisor: the whole group is gone.
    expect(groupMembers(started.pgid)).toEqual([]);
    expect(isAlive(started.pid)).toBe(false);
    expect(existsSync(started.stateDir)).toBe(true);
    await killLeftoversOfDeadOwners();
    expect(existsSync(started.stateDir)).toBe(false);
  }, 120_000);
});
