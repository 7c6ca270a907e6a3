/**
 * A real Velero server (v1.18.3, with velero-plugin-for-aws v1.14.3) out of cluster, against a
 * real Kubernetes API server (the k8s world) and moto's S3 — what the restore drill is proved
 * with. Every trap of `../shared/recipes/velero-server.md` is handled here:
 *
 * - started by absolute path (Velero re-execs `os.Args[0] run-plugins` for its built-in plugins),
 *   with a plugin directory that holds only the AWS plugin (the built-ins would register twice);
 * - the 13 CRDs from `velero install --crds-only --dry-run -o json`, created through the API;
 * - a Deployment named `velero` in the Velero namespace (0 replicas): the built-in pod-volume
 *   restore action reads it for every restore that holds pods, and without it such a restore
 *   ends PartiallyFailed (`deployments.apps "velero" not found`) having restored nothing;
 * - the location's credentials as a Secret (an AWS credentials file), `TMPDIR` in the server's
 *   own state directory (Velero writes credential files under `os.TempDir()`), and a clean
 *   environment (no AWS_ENDPOINT_URL of the test process reaches the plugin);
 * - optionally the location's `status.phase: Available` written before the server starts (the
 *   CRD has no status subresource): the backup sync skips its first pass while a new location has
 *   no status, so a fresh DR side would see a copied backup only ~60 s later;
 * - **one server per machine**: controller-runtime's metrics server always binds `:8080` (no flag
 *   in 1.18.3), so a machine-wide lock (`flock`) serialises servers, and a primary and a DR
 *   server run one after the other.
 *
 * Stopping: `stop()` terminates exactly the process group this server started (the server and the
 * plugin processes it forks), then releases the lock. If this process dies first, the server gets
 * SIGKILL from `setpriv --pdeathsig`, and the next start on this machine kills what is left of the
 * dead owner's group (matched by pid, process group and our binaries' paths, never by name).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KubeApiError,
  createKubeApi,
  type KubeApiClient,
} from '../../lambdas/adapters/kubernetes/kube-api';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import type { KubeAdmin } from '../embedded/kube-admin';
import { acquireMachineLock, findOnPath, type MachineLock } from './machine-lock';
import { freeLoopbackPort } from './moto-server';
import type { VeleroBinaries } from './velero-server-binaries';

export const VELERO_VERSION = 'v1.18.3';
export const VELERO_PLUGIN_FOR_AWS_VERSION = 'v1.14.3';
/** The port controller-runtime's metrics server inside `velero server` always binds. */
export const VELERO_FIXED_PORT = 8080;
export const VELERO_LOCATION = 'default';
const CREDENTIALS_SECRET = 'cloud-credentials';
const STATE_PREFIX = 'drpilot-velero-';
const LOCK_FILE = join(tmpdir(), 'drpilot-velero-server.lock');

/** Where a Velero BackupStorageLocation points: a bucket in moto. */
export interface VeleroLocationInput {
  bucket: string;
  /** drpilot's form: "" or "a/b/" (the BSL's objectStorage.prefix is the same without the slash). */
  prefix: string;
  region: string;
  /** moto's endpoint, e.g. http://127.0.0.1:5000 */
  s3Url: string;
  /** ReadOnly on the DR side: Velero's garbage collection must not fight the copier. */
  accessMode: 'ReadWrite' | 'ReadOnly';
}

export interface InstallVeleroOptions {
  namespace: string;
  location: VeleroLocationInput;
  /**
   * Write `status.phase: Available` into the new location before the server starts, so the
   * backup sync's first pass runs at start-up instead of a minute later.
   */
  primeLocation?: boolean;
}

type Json = Record<string, unknown>;

const ignoreConflict = (error: unknown) => {
  if (!(error instanceof KubeApiError && error.statusCode === 409)) throw error;
};

/** `velero install --crds-only --dry-run -o json`: a v1 List of the CRDs this Velero needs. */
async function veleroCrds(velero: string): Promise<Json[]> {
  const text = await runCommand(velero, ['install', '--crds-only', '--dry-run', '-o', 'json']);
  const list = JSON.parse(text) as { items?: Json[] };
  if (!Array.isArray(list.items) || list.items.length === 0) {
    throw new Error('velero install --crds-only --dry-run -o json listed no CRDs');
  }
  return list.items;
}

/**
 * Velero's CRDs (once per cluster; an existing one is kept), then, in `namespace`: the namespace,
 * the credentials Secret, the placeholder `velero` Deployment and the BackupStorageLocation
 * `default` as `options.location` says.
 */
export async function installVelero(
  admin: KubeAdmin,
  binaries: VeleroBinaries,
  options: InstallVeleroOptions,
): Promise<void> {
  const crds = await veleroCrds(binaries.velero);
  for (const crd of crds) {
    await admin
      .create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)
      .catch(ignoreConflict);
  }
  for (const crd of crds) {
    const name = (crd['metadata'] as { name: string }).name;
    await admin.until(`CRD ${name} Established`, async () => {
      const current = await admin.get<{ status?: { conditions?: Json[] } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      const established = (current.status?.conditions ?? []).some(
        (c) => c['type'] === 'Established' && c['status'] === 'True',
      );
      return established ? true : undefined;
    });
  }

  const { namespace, location } = options;
  await admin
    .create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    })
    .catch(ignoreConflict);
  await admin.create(`/api/v1/namespaces/${namespace}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: CREDENTIALS_SECRET },
    // moto accepts any key; Velero writes this file under TMPDIR for the plugin.
    stringData: {
      cloud: '[default]\naws_access_key_id = velero\naws_secret_access_key = velero\n',
    },
  });
  await admin.create(`/apis/apps/v1/namespaces/${namespace}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'velero',
      labels: { component: 'velero' },
      annotations: {
        'drpilot.test/why':
          'the server runs out of cluster; velero.io/pod-volume-restore reads this Deployment for every restore that holds pods',
      },
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { deploy: 'velero' } },
      template: {
        metadata: { labels: { deploy: 'velero', component: 'velero' } },
        spec: {
          containers: [
            {
              name: 'velero',
              image: `velero/velero:${VELERO_VERSION}`,
              command: ['/velero'],
              args: ['server'],
            },
          ],
        },
      },
    },
  });
  const path = `/apis/velero.io/v1/namespaces/${namespace}/backupstoragelocations`;
  await admin.create(path, {
    apiVersion: 'velero.io/v1',
    kind: 'BackupStorageLocation',
    metadata: { name: VELERO_LOCATION },
    spec: {
      provider: 'aws',
      default: true,
      accessMode: location.accessMode,
      objectStorage: { bucket: location.bucket, prefix: location.prefix.replace(/\/$/, '') },
      credential: { name: CREDENTIALS_SECRET, key: 'cloud' },
      config: { region: location.region, s3ForcePathStyle: 'true', s3Url: location.s3Url },
    },
  });
  if (options.primeLocation) {
    // No status subresource on this CRD (Velero 1.18): a merge patch of the object writes status.
    await admin.mergePatch(`${path}/${VELERO_LOCATION}`, { status: { phase: 'Available' } });
  }
}

export interface VeleroServerOptions {
  binaries: VeleroBinaries;
  /** A kubeconfig (JSON) the server runs with: the world's admin. */
  kubeconfig: string;
  namespace: string;
  /** How long to wait for another server on this machine to finish (default 10 min). */
  lockTimeoutMs?: number;
  /** How long start-up may take until the location is validated Available (default 120 s). */
  startTimeoutMs?: number;
  onProgress?: (message: string) => void;
}

export interface VeleroServer {
  readonly namespace: string;
  /** The server's pid, also its process group id. */
  readonly pid: number;
  /** `Velero v1.18.3 + velero-plugin-for-aws v1.14.3` */
  readonly description: string;
  readonly logFile: string;
  readonly stateDir: string;
  /** The live processes of the server's process group (the server and its plugins). */
  processes(): number[];
  /** The last lines of the server's log. */
  logTail(lines?: number): Promise<string>;
  /** Stops the server's process group, releases the machine lock, removes the state. Idempotent. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts `velero server` for `namespace` once the machine's Velero lock is ours, and waits until
 * the server has validated the location `default` (Available, validated after the start).
 */
export async function startVeleroServer(options: VeleroServerOptions): Promise<VeleroServer> {
  const progress = options.onProgress ?? (() => undefined);
  await killLeftoversOfDeadOwners();
  const lock = await acquireMachineLock(LOCK_FILE, {
    timeoutMs: options.lockTimeoutMs ?? 600_000,
    what: 'Velero server (one per machine: port 8080)',
    onWait: () => progress('waiting for another Velero server on this machine to stop'),
  });
  try {
    return await launch(options, lock, progress);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function launch(
  options: VeleroServerOptions,
  lock: MachineLock,
  progress: (message: string) => void,
): Promise<VeleroServer> {
  await assertPortFree(VELERO_FIXED_PORT);
  const stateDir = await mkdtemp(join(tmpdir(), `${STATE_PREFIX}${process.pid}-`));
  const kubeconfigFile = join(stateDir, 'kubeconfig.json');
  await writeFile(kubeconfigFile, options.kubeconfig, { mode: 0o600 });
  const credentialsFile = join(stateDir, 'credentials');
  await writeFile(
    credentialsFile,
    '[default]\naws_access_key_id = velero\naws_secret_access_key = velero\n',
    {
      mode: 0o600,
    },
  );
  await mkdir(join(stateDir, 'tmp'));
  const logFile = join(stateDir, 'velero.log');
  const [metricsPort, profilerPort] = await twoFreePorts();
  const args = [
    'server',
    '--kubeconfig',
    kubeconfigFile,
    '--namespace',
    options.namespace,
    '--plugin-dir',
    options.binaries.pluginDir,
    '--uploader-type',
    'kopia',
    '--features=',
    '--metrics-address',
    `127.0.0.1:${metricsPort}`,
    '--profiler-address',
    `127.0.0.1:${profilerPort}`,
    '--store-validation-frequency',
    '10s',
    '--log-level',
    'info',
  ];
  const setpriv = findOnPath('setpriv');
  const [file, argv] = setpriv
    ? [setpriv, ['--pdeathsig', 'KILL', '--', options.binaries.velero, ...args]]
    : [options.binaries.velero, args];
  const out = openSync(logFile, 'a');
  const startedAt = new Date();
  // detached: a new session and process group, led by the server (setpriv execs it under the same
  // pid), which the plugin processes it forks join — so stop() can end them all by group.
  const child: ChildProcess = spawn(file, argv, {
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: stateDir,
      TMPDIR: join(stateDir, 'tmp'),
      AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  closeSync(out);
  const pid = child.pid ?? -1;
  await writeFile(
    join(stateDir, 'owner.json'),
    JSON.stringify({ owner: process.pid, pgid: pid, binaries: options.binaries }),
  );
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const killOnExit = () => killGroup(pid, 'SIGKILL');
  process.once('exit', killOnExit);

  const logTail = async (lines = 20) =>
    (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-lines).join('\n');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) killGroup(pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (groupMembers(pid).length > 0 && Date.now() < deadline) await sleep(100);
      killGroup(pid, 'SIGKILL');
      await exited;
      while (groupMembers(pid).length > 0) await sleep(50);
      await lock.release();
      await rm(stateDir, { recursive: true, force: true });
    })());

  const api: KubeApiClient = createKubeApi(parseKubeconfig(options.kubeconfig), {
    requestTimeoutMs: 5_000,
  });
  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
    const path = `/apis/velero.io/v1/namespaces/${options.namespace}/backupstoragelocations/${VELERO_LOCATION}`;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const tail = await logTail(15);
        throw new Error(
          /address already in use/i.test(tail)
            ? `velero server exited: a port it needs is taken (controller-runtime's metrics server always binds :${VELERO_FIXED_PORT}); last lines of its log:\n${tail}`
            : `velero server exited during start-up (${child.signalCode ?? `exit ${child.exitCode}`}); last lines of its log:\n${tail}`,
        );
      }
      const answer = await api
        .call<{ status?: { phase?: string; lastValidationTime?: string } }>('GET', path)
        .catch(() => undefined);
      const status = (answer?.body as { status?: { phase?: string; lastValidationTime?: string } })
        ?.status;
      const validated = status?.lastValidationTime
        ? Date.parse(status.lastValidationTime) >= Math.floor(startedAt.getTime() / 1000) * 1000
        : false;
      if (answer?.statusCode === 200 && status?.phase === 'Available' && validated) break;
      if (Date.now() > deadline) {
        throw new Error(
          `velero server: location ${VELERO_LOCATION} not validated Available within ${(options.startTimeoutMs ?? 120_000) / 1000} s (status ${JSON.stringify(status ?? null)}); last lines of its log:\n${await logTail(15)}`,
        );
      }
      await sleep(250);
    }
  } catch (error) {
    api.close();
    await stop();
    throw error;
  }
  api.close();
  progress(
    `velero server ${VELERO_VERSION} (pid ${pid}) for namespace ${options.namespace}: location ${VELERO_LOCATION} Available after ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s`,
  );
  return {
    namespace: options.namespace,
    pid,
    description: `Velero ${VELERO_VERSION} + velero-plugin-for-aws ${VELERO_PLUGIN_FOR_AWS_VERSION}`,
    logFile,
    stateDir,
    processes: () => groupMembers(pid),
    logTail,
    stop,
  };
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  if (pgid <= 1) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

/** Live (not zombie) processes whose process group is `pgid`, from /proc. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses: split after the last ')'.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return members;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * State directories are named after their owner's pid. A dead owner's server died with it
 * (pdeathsig), but the plugin processes it forked may remain: kill the members of its process
 * group still running one of its binaries, then remove the directory.
 */
async function killLeftoversOfDeadOwners(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    const owner = new RegExp(`^${STATE_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (!owner || isAlive(Number(owner))) continue;
    const dir = join(tmpdir(), name);
    try {
      const recorded = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as {
        pgid: number;
        binaries: VeleroBinaries;
      };
      for (const pid of groupMembers(recorded.pgid)) {
        const exe = readlinkSafe(`/proc/${pid}/exe`);
        if (exe === recorded.binaries.velero || exe?.startsWith(recorded.binaries.pluginDir)) {
          process.kill(pid, 'SIGKILL');
        }
      }
    } catch {
      // no record: nothing was started from it
    }
    await rm(dir, { recursive: true, force: true });
  }
}

function readlinkSafe(path: string): string | undefined {
  try {
    return existsSync(path) ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} is taken by another process: velero server ${VELERO_VERSION} always binds it (controller-runtime metrics, no flag); stop that process first`,
            )
          : error,
      ),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

async function twoFreePorts(): Promise<[number, number]> {
  const ports = new Set<number>();
  while (ports.size < 2) ports.add(await freeLoopbackPort());
  const [a = 0, b = 0] = ports;
  return [a, b];
}

function runCommand(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} ${args.join(' ')}: exit ${code}: ${stderr.slice(-500)}`)),
    );
  });
}
