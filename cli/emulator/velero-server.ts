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
 *   in 1.18.3), so a machine-wide `flock` serialises servers — a primary and a DR server run one
 *   after the other — and something else listening on :8080 is named.
 *
 * Stopping: a supervisor (bash) leads a new process group holding the supervisor, the server and
 * the plugin processes the server forks — which do not die with the server. It holds the lock on
 * a descriptor they all inherit, so the lock is free only once the last of them is gone. `stop()`
 * closes its stdin; so does this process's death, even by SIGKILL; either way the supervisor ends
 * the whole group (TERM, then KILL). A leftover state directory of a dead owner, and whatever of
 * its group still runs one of our binaries, is removed by the next start (matched by pid, process
 * group and binary path, never by name).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KubeApiError,
  createKubeApi,
  type KubeApiClient,
} from '../../lambdas/adapters/kubernetes/kube-api';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import type { KubeAdmin } from '../embedded/kube-admin';
import { findOnPath } from './machine-lock';
import { freeLoopbackPort } from './moto-server';
import type { VeleroBinaries } from './velero-server-binaries';

export const VELERO_VERSION = 'v1.18.3';
export const VELERO_PLUGIN_FOR_AWS_VERSION = 'v1.14.3';
/** The port controller-runtime's metrics server inside `velero server` always binds. */
export const VELERO_FIXED_PORT = 8080;
export const VELERO_LOCATION = 'default';
const CREDENTIALS_SECRET = 'cloud-credentials';
const STATE_PREFIX = 'drpilot-velero-';
export const VELERO_LOCK_FILE = join(tmpdir(), 'drpilot-velero-server.lock');

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

/** Velero's CRDs, as this Velero installs them (an existing one is kept), each Established. */
export async function installVeleroCrds(admin: KubeAdmin, binaries: VeleroBinaries): Promise<void> {
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
  await installVeleroCrds(admin, binaries);
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
  /** The server's pid. */
  readonly pid: number;
  /** The process group of the server, its plugins and its supervisor (the supervisor's pid). */
  readonly pgid: number;
  /** `Velero v1.18.3 + velero-plugin-for-aws v1.14.3` */
  readonly description: string;
  readonly logFile: string;
  readonly stateDir: string;
  /** The live processes of the group: supervisor, server and the plugin processes it forks. */
  processes(): number[];
  /** The last lines of the server's log. */
  logTail(lines?: number): Promise<string>;
  /** Stops the whole group (which frees the machine lock) and removes the state. Idempotent. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The supervisor (bash, leader of a new process group): takes the machine's Velero lock on fd 9
 * — inherited by the server and its plugin processes, so the lock is free only once every one of
 * them is gone — refuses when something else listens on :8080, starts the server, reports on
 * stdout (`locked`, `server <pid>`, `exited <code>`), and ends the whole group when the server
 * exits, when its stdin is closed (stop()) or reaches EOF because its owner died (even by
 * SIGKILL): TERM, up to 10 s, then KILL. Velero's plugin processes do not die with the server,
 * hence a supervisor that outlives it; the server itself also dies with the supervisor
 * (`setpriv --pdeathsig KILL`).
 */
const SUPERVISOR = String.raw`
trap '' TERM INT
exec 3<&0 9>"$VELERO_LOCK_FILE"
flock -w "$VELERO_LOCK_SECONDS" 9 || { echo lock-timeout; exit 3; }
echo locked
if (exec 4<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then echo port-taken; exit 4; fi
"$@" </dev/null >>"$VELERO_LOG" 2>&1 &
server=$!
echo "server $server"
while kill -0 "$server" 2>/dev/null; do
  read -r -t 0.5 _ <&3
  status=$?
  if [ "$status" -ne 0 ] && [ "$status" -le 128 ]; then break; fi
done
if kill -0 "$server" 2>/dev/null; then
  kill -TERM 0 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
fi
wait "$server"
echo "exited $?"
kill -KILL 0
`;

/**
 * Starts `velero server` for `namespace` once the machine's Velero lock is ours (waiting for
 * another server to stop), and waits until the server has validated the location `default`
 * (Available, validated after the start).
 */
export async function startVeleroServer(options: VeleroServerOptions): Promise<VeleroServer> {
  const progress = options.onProgress ?? (() => undefined);
  await killLeftoversOfDeadOwners();
  const stateDir = await mkdtemp(join(tmpdir(), `${STATE_PREFIX}${process.pid}-`));
  const kubeconfigFile = join(stateDir, 'kubeconfig.json');
  await writeFile(kubeconfigFile, options.kubeconfig, { mode: 0o600 });
  const credentialsFile = join(stateDir, 'credentials');
  await writeFile(credentialsFile, CREDENTIALS, { mode: 0o600 });
  await mkdir(join(stateDir, 'tmp'));
  const logFile = join(stateDir, 'velero.log');
  const [metricsPort, profilerPort] = await twoFreePorts();
  const server = [
    options.binaries.velero,
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
  const lockSeconds = Math.ceil((options.lockTimeoutMs ?? 600_000) / 1000);
  const supervisor: ChildProcess = spawn(
    'bash',
    [
      '-c',
      SUPERVISOR,
      'velero-supervisor',
      ...(setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : []),
      ...server,
    ],
    {
      // A new session and process group led by the supervisor; the server and its plugin
      // processes join it.
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: stateDir,
        TMPDIR: join(stateDir, 'tmp'),
        AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
        AWS_EC2_METADATA_DISABLED: 'true',
        VELERO_LOCK_FILE,
        VELERO_LOCK_SECONDS: String(lockSeconds),
        VELERO_LOG: logFile,
      },
    },
  );
  supervisor.stdin?.on('error', () => undefined);
  const pgid = supervisor.pid ?? -1;
  await writeFile(
    join(stateDir, 'owner.json'),
    JSON.stringify({ owner: process.pid, pgid, binaries: options.binaries }),
  );
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buffered = '';
  supervisor.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<void>((resolve) => {
    if (supervisor.exitCode !== null) resolve();
    supervisor.once('exit', () => resolve());
    supervisor.once('error', () => resolve());
  });
  void exited.then(() => {
    for (const wake of waiters.splice(0)) wake();
  });
  const gone = () => supervisor.exitCode !== null || supervisor.signalCode !== null;
  /** The first line starting with `prefix`, or null once the supervisor is gone without it. */
  const line = async (prefix: string, onWait?: () => void): Promise<string | null> => {
    const waiting = onWait ? setTimeout(onWait, 1_000) : undefined;
    try {
      for (;;) {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found !== undefined) return found;
        const failed = lines.find((l) => /^(lock-timeout|port-taken|exited)/.test(l));
        if (failed !== undefined || gone()) return null;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    } finally {
      if (waiting) clearTimeout(waiting);
    }
  };
  const logTail = async (count = 20) =>
    (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-count).join('\n');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      supervisor.stdin?.end();
      const deadline = Date.now() + 15_000;
      while (groupMembers(pgid).length > 0 && Date.now() < deadline) await sleep(100);
      killGroup(pgid, 'SIGKILL');
      await exited;
      while (groupMembers(pgid).length > 0) await sleep(50);
      await rm(stateDir, { recursive: true, force: true });
    })());
  const killOnExit = () => killGroup(pgid, 'SIGKILL');
  process.once('exit', killOnExit);

  const api: KubeApiClient = createKubeApi(parseKubeconfig(options.kubeconfig), {
    requestTimeoutMs: 5_000,
  });
  try {
    if ((await line('locked', () => progress(WAITING))) === null) {
      throw new Error(
        lines.includes('lock-timeout')
          ? `another Velero server held this machine's Velero lock (${VELERO_LOCK_FILE}) for ${lockSeconds} s: one server per machine (port ${VELERO_FIXED_PORT})`
          : `the Velero supervisor ended before taking the lock (${lines.join('; ') || 'no output'})`,
      );
    }
    const started = await line('server ');
    if (started === null) {
      throw new Error(
        lines.includes('port-taken')
          ? `port ${VELERO_FIXED_PORT} is taken by another process: velero server ${VELERO_VERSION} always binds it (controller-runtime metrics, no flag); stop that process first`
          : `the Velero supervisor ended before starting the server (${lines.join('; ') || 'no output'})`,
      );
    }
    const pid = Number(started.slice('server '.length));
    const startedAt = new Date();
    const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
    const path = `/apis/velero.io/v1/namespaces/${options.namespace}/backupstoragelocations/${VELERO_LOCATION}`;
    for (;;) {
      const ended = lines.find((l) => l.startsWith('exited'));
      if (ended !== undefined || gone()) {
        const tail = await logTail(15);
        throw new Error(
          /address already in use/i.test(tail)
            ? `velero server exited: a port it needs is taken (controller-runtime's metrics server always binds :${VELERO_FIXED_PORT}); last lines of its log:\n${tail}`
            : `velero server exited during start-up (${ended ?? 'supervisor gone'}); last lines of its log:\n${tail}`,
        );
      }
      type Location = { status?: { phase?: string; lastValidationTime?: string } };
      const answer = await api.call<Location>('GET', path).catch(() => undefined);
      const status = (answer?.body as Location | undefined)?.status;
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
    progress(
      `velero server ${VELERO_VERSION} (pid ${pid}) for namespace ${options.namespace}: location ${VELERO_LOCATION} Available after ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s`,
    );
    return {
      namespace: options.namespace,
      pid,
      pgid,
      description: `Velero ${VELERO_VERSION} + velero-plugin-for-aws ${VELERO_PLUGIN_FOR_AWS_VERSION}`,
      logFile,
      stateDir,
      processes: () => groupMembers(pgid),
      logTail,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    api.close();
  }
}

const WAITING = 'waiting for another Velero server on this machine to stop';
const CREDENTIALS = '[default]\naws_access_key_id = velero\naws_secret_access_key = velero\n';

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
export async function killLeftoversOfDeadOwners(): Promise<void> {
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
