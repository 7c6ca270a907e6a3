/**
 * A real Kubernetes control plane on loopback, for tests and `drpilot drill --real-k8s`: etcd,
 * kube-apiserver, kube-controller-manager (its disruption controller computes PodDisruptionBudget
 * status; without it every eviction under a budget is refused), kube-scheduler (places the
 * replacements of evicted pods) and kwok (fake kubelets: Nodes and Pods turn Ready, no containers).
 * Each world has its own free ports, a throwaway PKI and state directory, and an audit log of
 * every request made with a service-account token (drpilot's identity in tests), so a test can
 * check what the API server itself recorded.
 *
 * Stopping: `stop()` terminates exactly the processes this world started (children of this
 * process, never found by name), newest first. If this process dies without stopping them —
 * SIGKILL, a crashed test worker — the kernel kills them too: each is started through
 * `setpriv --pdeathsig KILL` (util-linux), which sets the parent-death signal and then execs the
 * binary under the same pid. A leftover state directory of a dead owner is removed by the next
 * world.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKubeApi, type KubeApiClient } from '../../lambdas/adapters/kubernetes/kube-api';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import type { K8sWorldBinaries } from './k8s-world-binaries';
import { createK8sWorldPki, kubeconfigFor, type K8sWorldPki } from './k8s-world-pki';
import { freeLoopbackPort } from './moto-server';

export interface K8sWorldOptions {
  binaries: K8sWorldBinaries;
  /** etcd and kube-apiserver only (no controllers, no scheduler, no kwok): starts in half the time. */
  apiOnly?: boolean;
  /**
   * A token-webhook config (a kubeconfig naming the webhook) for kube-apiserver's
   * `--authentication-token-webhook-config-file`: bearer tokens the API server does not know
   * itself are sent there as TokenReviews (the EKS token test's aws-iam-authenticator).
   */
  tokenWebhookConfigFile?: string;
  /** How long start-up may take (default 120 s: a loaded 2-core machine). */
  startTimeoutMs?: number;
  onProgress?: (message: string) => void;
}

export interface K8sWorldProcess {
  name: string;
  pid: number;
}

export interface K8sWorld {
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** `gitVersion` from the server's `/version`, e.g. `v1.37.2`. */
  readonly version: string;
  /** What ran, for reports: `kube-apiserver v1.37.2 + kwok`. */
  readonly description: string;
  /** An admin (`system:masters`) kubeconfig in JSON form, data embedded. */
  readonly adminKubeconfig: string;
  /** The same kubeconfig as a file, e.g. for kubectl. */
  readonly kubeconfigPath: string;
  /** JSON lines: one audit event per request made with a service-account token. */
  readonly auditLogPath: string;
  readonly stateDir: string;
  /** Every process this world started, oldest first. */
  readonly processes: readonly K8sWorldProcess[];
  /** Terminates exactly those processes and removes the state directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * kwok manages only Nodes with this annotation, as kwokctl does: removing it is how a test takes
 * a node's kubelet away (an EC2 instance stopped), putting it back brings the kubelet back.
 */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_VALUE = 'fake';

/** kwok's pod-ready stage waits for this annotation's Go duration before a pod turns Ready. */
export const POD_READY_DELAY_ANNOTATION = 'pod-ready.stage.kwok.x-k8s.io/delay';

const KWOK_STAGES = fileURLToPath(new URL('./kwok-stages.yaml', import.meta.url));
const STATE_PREFIX = 'drpilot-k8s-world-';
const BIND_ATTEMPTS = 3;

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    userGroups: ['system:serviceaccounts']
  - level: None
`;

class PortInUseError extends Error {}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startK8sWorld(options: K8sWorldOptions): Promise<K8sWorld> {
  await removeStaleStateDirs();
  let lastError: unknown;
  for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
    try {
      return await launchWorld(options);
    } catch (error) {
      // Another process took a port between our probe and the bind: try fresh ones.
      if (!(error instanceof PortInUseError)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** State directories are named after their owner's pid; an owner that is gone leaves garbage. */
export async function removeStaleStateDirs(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    const owner = new RegExp(`^${STATE_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (owner && !isAlive(Number(owner))) {
      await rm(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

interface Started {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
  logFile: string;
}

async function launchWorld(options: K8sWorldOptions): Promise<K8sWorld> {
  const { binaries } = options;
  const progress = options.onProgress ?? (() => undefined);
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  const stateDir = await mkdtemp(join(tmpdir(), `${STATE_PREFIX}${process.pid}-`));
  const started: Started[] = [];
  const setpriv = findOnPath('setpriv');
  const killAll = () => {
    for (const { child } of started) if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener('exit', killAll);
      const controllers = started.filter((s) => s.name !== 'etcd' && s.name !== 'kube-apiserver');
      await Promise.all(controllers.map(terminate));
      for (const name of ['kube-apiserver', 'etcd']) {
        const one = started.find((s) => s.name === name);
        if (one) await terminate(one);
      }
      await rm(stateDir, { recursive: true, force: true });
    })());

  const launch = (name: string, binary: string, args: string[]): Started => {
    const logFile = join(stateDir, `${name}.log`);
    const out = openSync(logFile, 'a');
    const [file, argv] = setpriv
      ? [setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args]]
      : [binary, args];
    const child = spawn(file, argv, { stdio: ['ignore', out, out] });
    closeSync(out);
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null) resolve();
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const one = { name, child, exited, logFile };
    started.push(one);
    return one;
  };

  /** Polls `ready` until it is true; fails early when a started process has exited. */
  const waitFor = async (what: string, ready: () => Promise<boolean>) => {
    for (;;) {
      const dead = started.find((s) => s.child.exitCode !== null || s.child.signalCode !== null);
      if (dead) {
        const log = await readFile(dead.logFile, 'utf8').catch(() => '');
        const tail = log.trim().split('\n').slice(-15).join('\n');
        const message = `${dead.name} exited during start-up (${dead.child.signalCode ?? `exit ${dead.child.exitCode}`}); last lines of its log:\n${tail}`;
        throw /address already in use/i.test(log)
          ? new PortInUseError(message)
          : new Error(message);
      }
      if (await ready().catch(() => false)) return;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; logs in ${stateDir}`);
      await sleep(200);
    }
  };

  let admin: KubeApiClient | undefined;
  try {
    const startedAt = Date.now();
    const pki = await createK8sWorldPki(join(stateDir, 'pki'));
    const { etcdPort, etcdPeerPort, apiPort } = await distinctFreePorts();
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = async (client: Parameters<typeof kubeconfigFor>[2]) => {
      const file = join(stateDir, `${client}.kubeconfig`);
      const text = await kubeconfigFor(pki, server, client);
      await writeFile(file, text, { mode: 0o600 });
      return { file, text };
    };
    const adminConfig = await kubeconfig('admin');
    const auditPolicy = join(stateDir, 'audit-policy.yaml');
    await writeFile(auditPolicy, AUDIT_POLICY);
    const auditLogPath = join(stateDir, 'audit.log');

    launch('etcd', binaries.etcd, etcdArgs(stateDir, etcdPort, etcdPeerPort));
    await waitFor('etcd', async () => {
      const answer = await fetch(`http://127.0.0.1:${etcdPort}/health`, {
        signal: AbortSignal.timeout(2_000),
      });
      return ((await answer.json()) as { health?: string }).health === 'true';
    });

    launch('kube-apiserver', binaries['kube-apiserver'], [
      ...apiserverArgs(pki, apiPort, etcdPort, auditPolicy, auditLogPath),
      ...(options.tokenWebhookConfigFile
        ? [
            `--authentication-token-webhook-config-file=${options.tokenWebhookConfigFile}`,
            '--authentication-token-webhook-version=v1',
          ]
        : []),
    ]);
    admin = createKubeApi(parseKubeconfig(adminConfig.text), { requestTimeoutMs: 3_000 });
    const api = admin;
    await waitFor(
      'kube-apiserver /readyz',
      async () => (await api.call('GET', '/readyz')).statusCode === 200,
    );
    progress(
      `kube-apiserver ready on ${server} after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    );

    if (!options.apiOnly) {
      const [controllerManager, scheduler, kwok] = await Promise.all([
        kubeconfig('controller-manager'),
        kubeconfig('scheduler'),
        kubeconfig('kwok'),
      ]);
      launch(
        'kube-controller-manager',
        binaries['kube-controller-manager'],
        controllerManagerArgs(pki, controllerManager.file),
      );
      launch('kube-scheduler', binaries['kube-scheduler'], [
        '--kubeconfig',
        scheduler.file,
        '--secure-port=0',
        '--leader-elect=false',
        '--profiling=false',
      ]);
      launch('kwok', binaries.kwok, [
        '--kubeconfig',
        kwok.file,
        '--config',
        KWOK_STAGES,
        `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=${KWOK_NODE_VALUE}`,
        '--node-lease-duration-seconds=40',
        '--node-ip=127.0.0.1',
        '--cidr=10.244.0.1/16',
      ]);
      // The controller-manager is up once its service-account controller made `default`'s account.
      await waitFor(
        'kube-controller-manager (the default ServiceAccount)',
        async () =>
          (await api.call('GET', '/api/v1/namespaces/default/serviceaccounts/default'))
            .statusCode === 200,
      );
    }
    const version = await api.call<{ gitVersion?: string }>('GET', '/version');
    const gitVersion =
      (version.body as { gitVersion?: string } | undefined)?.gitVersion ?? 'unknown';
    progress(
      `Kubernetes ${gitVersion} world up after ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${started.map((s) => `${s.name} ${s.child.pid}`).join(', ')}`,
    );
    admin.close();
    return {
      server,
      version: gitVersion,
      description: `kube-apiserver ${gitVersion}${options.apiOnly ? '' : ' + kwok'}`,
      adminKubeconfig: adminConfig.text,
      kubeconfigPath: adminConfig.file,
      auditLogPath,
      stateDir,
      processes: started.map((s) => ({ name: s.name, pid: s.child.pid ?? -1 })),
      stop,
    };
  } catch (error) {
    admin?.close();
    await stop();
    throw error;
  }
}

/** Three different free loopback ports (a probe may hand back a port another probe just freed). */
async function distinctFreePorts(): Promise<{
  etcdPort: number;
  etcdPeerPort: number;
  apiPort: number;
}> {
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freeLoopbackPort());
  const [etcdPort = 0, etcdPeerPort = 0, apiPort = 0] = ports;
  return { etcdPort, etcdPeerPort, apiPort };
}

async function terminate({ child, exited }: Started): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function etcdArgs(stateDir: string, port: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=world',
    `--data-dir=${join(stateDir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=world=${peer}`,
    // A test world needs no durability; fsync is what makes etcd slow on a shared disk.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

function apiserverArgs(
  pki: K8sWorldPki,
  port: number,
  etcdPort: number,
  auditPolicy: string,
  auditLog: string,
): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${pki.apiserverCert}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.caCert}`,
    '--authorization-mode=Node,RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    // No Service endpoints to reconcile for a control plane without kubelets.
    '--endpoint-reconciler-type=none',
    `--audit-policy-file=${auditPolicy}`,
    `--audit-log-path=${auditLog}`,
    '--audit-log-format=json',
    '--audit-log-mode=blocking',
    '--profiling=false',
  ];
}

function controllerManagerArgs(pki: K8sWorldPki, kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    '--secure-port=0',
    '--leader-elect=false',
    '--controllers=*',
    // One identity for every controller: the world is up ~5 s sooner than with one token each.
    '--use-service-account-credentials=false',
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.caCert}`,
    `--cluster-signing-cert-file=${pki.caCert}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    '--profiling=false',
  ];
}
