/**
 * The real Kubernetes world itself: it starts, answers as Kubernetes v1.37.2 with kwok nodes, and
 * stops exactly the processes it started — also when the process that started it is killed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { k8sWorldBinaries } from '../../cli/emulator/k8s-world-binaries';
import {
  removeStaleStateDirs,
  startK8sWorld,
  type K8sWorldProcess,
} from '../../cli/emulator/k8s-world';
import { isNodeReady, type KubeNode } from '../../lambdas/adapters/kubernetes/kube-api';
import { useK8sWorld } from '../support/k8s-world';

const k8s = useK8sWorld();

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(processes: readonly K8sWorldProcess[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = processes.filter((p) => isAlive(p.pid));
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    alive = alive.filter((p) => isAlive(p.pid));
  }
  return alive.map((p) => `${p.name} ${p.pid}`);
}

describe('a real Kubernetes world (kube-apiserver + kwok)', () => {
  it("the run's world is Kubernetes v1.37.2 whose kwok nodes turn Ready, with an audit log", async () => {
    const { world, admin } = k8s;
    const tenant = await k8s.tenant();
    // The project's pin, unless KUBEBUILDER_ASSETS brings another kube-apiserver.
    expect(world.version).toEqual(
      process.env['KUBEBUILDER_ASSETS'] ? expect.stringMatching(/^v1\.\d+\.\d+/) : 'v1.37.2',
    );
    expect(world.description).toBe(`kube-apiserver ${world.version} + kwok`);
    expect(world.processes.map((p) => p.name)).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
    ]);
    expect(world.processes.filter((p) => !isAlive(p.pid))).toEqual([]);

    await tenant.createNodes([{ name: tenant.nodeName('a'), instanceId: 'i-0abc' }]);
    const node = await admin.get<KubeNode>(`/api/v1/nodes/${tenant.nodeName('a')}`);
    expect(isNodeReady(node)).toBe(true);
    expect(node.spec.providerID).toBe('aws:///eu-west-1a/i-0abc');

    const identity = await tenant.drainIdentity();
    expect(identity.username).toBe(`system:serviceaccount:${tenant.namespace}:drpilot`);
    expect(existsSync(world.auditLogPath)).toBe(true);
  });

  it('a world started and stopped leaves none of its processes and no state behind', async () => {
    const world = await startK8sWorld({ binaries: await k8sWorldBinaries({ build: false }) });
    const pids = world.processes;
    expect(pids).toHaveLength(5);
    expect(pids.filter((p) => !isAlive(p.pid))).toEqual([]);

    await world.stop();

    expect(await gone(pids, 0)).toEqual([]);
    expect(existsSync(world.stateDir)).toBe(false);
    await world.stop(); // idempotent
  });

  it('a world dies with the process that started it, even by SIGKILL; its state is swept next time', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../support/k8s-world-child.ts', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const started = await new Promise<{ processes: K8sWorldProcess[]; stateDir: string }>(
      (resolve, reject) => {
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('\n')) resolve(JSON.parse(stdout));
        });
        child.on('exit', (code) => reject(new Error(`child exited (${code}): ${stderr}`)));
      },
    );
    expect(started.processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver']);
    expect(started.processes.filter((p) => !isAlive(p.pid))).toEqual([]);

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    expect(await gone(started.processes, 10_000)).toEqual([]);
    expect(existsSync(started.stateDir)).toBe(true);
    await removeStaleStateDirs();
    expect(existsSync(started.stateDir)).toBe(false);
  });
});
