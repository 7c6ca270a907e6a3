/**
 * Re-sync benchmark (issue 4): drpilot's `runResync` against `aws s3 sync` on the same Velero
 * bucket, in the same moto, in the same run. Both copy exactly 1,000 objects (restorable
 * backups plus a kopia repository) from a bucket in eu-west-1 to an empty bucket in
 * eu-central-1; then both run again with nothing new (the no-op re-sync).
 *
 * Figures come from moto, an emulator: they compare the two tools' request patterns and
 * client-side overhead on this machine, not S3's real latency or throughput.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  PutObjectCommand,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import { pointAwsClientsAt } from '../cli/emulator/emulated-aws';
import { startMotoServer } from '../cli/emulator/moto-server';
import { createStateTable } from '../cli/embedded/state-table';
import {
  kopiaRepositoryObjects,
  veleroBackup,
  type BucketObject,
} from '../cli/embedded/velero-layout';
import {
  cloudWatchClient,
  dynamoDbClient,
  route53Client,
  s3Client,
} from '../lambdas/adapters/aws/clients';
import { listObjects } from '../lambdas/adapters/aws/s3-objects';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { validateConfig } from '../lambdas/core/config/validate';
import { bucketSide, listMirrored } from '../lambdas/adapters/aws/velero-bucket';
import { runResync, type ResyncResult } from '../lambdas/resync/run-resync';
import { MIRRORED_AREAS } from '../lambdas/core/resync/bucket-layout';
import { forEachBounded } from '../lambdas/core/bounded-concurrency';
import { median } from './lambda-bundles';

const REPO_ROOT = new URL('..', import.meta.url).pathname;
const AWS_CLI = join(REPO_ROOT, '.venv', 'bin', 'aws');

export const TOTAL_OBJECTS = 1000;
const BACKUPS = 50;
const SOURCE_REGION = 'eu-west-1';
const TARGET_REGION = 'eu-central-1';
const CONTROL_REGION = 'us-east-1';
const SOURCE_BUCKET = 'bench-velero-eu-west-1';
const MANIFEST_FILE = 'drpilot-manifest.json';
/** Kopia repositories (one per volume namespace) with their pack sizes: mixed, 4 KiB to 512 KiB. */
const KOPIA_REPOSITORIES = [
  { namespace: 'apps', packBytes: 4 * 1024, indexBlobs: 6, epochs: 1 },
  { namespace: 'payments', packBytes: 32 * 1024, indexBlobs: 6, epochs: 1 },
  { namespace: 'sentry', packBytes: 128 * 1024, indexBlobs: 8, epochs: 2 },
  { namespace: 'monitoring', packBytes: 512 * 1024, indexBlobs: 6, epochs: 1 },
];
const MIN_TARBALL = 4 * 1024;
const MAX_TARBALL = 4 * 1024 * 1024;

export interface ResyncBenchOptions {
  /** First-sync repetitions, each into fresh target buckets. */
  reps: number;
  /** No-op re-sync repetitions (each tool). */
  noopReps: number;
  log: (message: string) => void;
}

/** Requests one run made: moto's request log (both tools) and the SDK's commands (drpilot). */
export interface RequestCounts {
  /** From moto's request log, by operation; the same accounting for both tools. */
  server: Record<string, number>;
  serverTotal: number;
  /** From an SDK middleware on drpilot's clients, by `Client:Command` (drpilot only). */
  sdk?: Record<string, CommandTiming>;
}

export interface Comparison {
  drpilotMs: number;
  awsCliMs: number;
  /** drpilotMs / awsCliMs: below 1 means drpilot was faster. */
  ratio: number;
  target: string;
  met: boolean;
  drpilotSamplesMs: number[];
  awsCliSamplesMs: number[];
  /** Requests of the last repetition of each tool. */
  requests: { drpilot: RequestCounts; awsCli: RequestCounts };
  /** CPU of the last repetition of each tool: the tool's process and moto's. */
  cpuMs: { drpilot: CpuMs; awsCli: CpuMs };
  /** Where drpilot's time went in its last repetition (from runResync's progress messages). */
  drpilotPhasesMs: Record<string, number>;
  /** On a MISS: where the run found drpilot's extra time and requests went. */
  missReason?: string;
}

export interface ResyncBenchResult {
  emulated: true;
  note: string;
  objects: number;
  bytes: number;
  layout: { backups: number; backupObjects: number; repositoryObjects: number };
  reps: number;
  noopReps: number;
  drpilotConcurrency: number;
  awsCliMaxConcurrentRequests: number;
  /** `aws s3 ls` of the source root: the CLI's process start-up plus one request. */
  awsCliFloorMs: number;
  firstSync: Comparison;
  noopResync: Comparison;
  /**
   * What a drpilot no-op would cost without its per-backup GETs (velero-backup.json on both sides,
   * drpilot-manifest.json on the target): both sides listed as runResync lists them (areas one
   * after another), and with the areas listed in parallel. Medians; ratios against aws s3 sync's
   * no-op median. Not drpilot runs: measurements of the listing a fix would leave.
   */
  noopProbes: {
    listOnlyMs: number;
    listOnlyRatio: number;
    parallelListOnlyMs: number;
    parallelListOnlyRatio: number;
  };
  correctness: {
    drpilotKeysMatchSource: boolean;
    awsCliKeysMatchSource: boolean;
    drpilotManifests: number;
    drpilotNoopObjectsCopied: number[];
    drpilotNoopOutcomes: string[];
    awsCliNoopWrites: number;
    problems: string[];
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * runResync's default. On moto, 10, 16 and 24 copies in flight took the same time within this
 * machine's noise (moto answers on one interpreter lock), so the bench keeps the product's value.
 */
const DRPILOT_CONCURRENCY = 16;
/**
 * awscli's default `s3.max_concurrent_requests`, "the maximum number of concurrent requests"
 * (https://docs.aws.amazon.com/cli/v1/topic/s3-config.html): 10 in
 * awscli/customizations/s3/transferconfig.py `DEFAULTS` (the venv's awscli 1.46.3). The bench
 * runs it with no config file.
 */
const AWS_CLI_CONCURRENCY = 10;

// ---------------------------------------------------------------------------------------------
// The source bucket: Velero's layout, exactly TOTAL_OBJECTS objects.

function tarballSizes(count: number): number[] {
  // Log-spaced from a few KiB to a few MiB, dealt out in a scrambled order.
  const sizes = Array.from({ length: count }, (_, i) =>
    Math.round(MIN_TARBALL * (MAX_TARBALL / MIN_TARBALL) ** (i / (count - 1))),
  );
  return sizes.map((_, i) => sizes[(i * 37) % count] ?? MIN_TARBALL);
}

export function sourceObjects(): {
  objects: BucketObject[];
  backups: number;
  backupObjects: number;
  repositoryObjects: number;
} {
  const sizes = tarballSizes(BACKUPS);
  const start = Date.UTC(2025, 5, 1);
  const backupObjects = Array.from({ length: BACKUPS }, (_, i) => {
    const hourly = i % 5 !== 0;
    const time = new Date(start + i * 3600 * 1000);
    const stamp = time.toISOString().replace(/[-:T]/g, '').slice(0, 14);
    return veleroBackup({
      name: `${hourly ? 'hourly' : 'daily'}-${stamp}`,
      version: '1.16',
      phase: 'Completed',
      schedule: hourly ? 'hourly' : 'daily',
      startTimestamp: time.toISOString(),
      tarballBytes: sizes[i] ?? MIN_TARBALL,
      counters: {
        itemsBackedUp: 40 + i,
        totalItems: 40 + i,
        podVolumeBackups: i % 3,
      },
    }).objects;
  }).flat();

  const time = new Date(start + BACKUPS * 3600 * 1000).toISOString();
  const remaining = TOTAL_OBJECTS - backupObjects.length;
  const repository = (i: number, packs: number) => {
    const r = KOPIA_REPOSITORIES[i];
    if (!r) throw new Error(`no kopia repository ${i}`);
    return kopiaRepositoryObjects({ prefix: '', time, packs, ...r, logBlobs: 1 });
  };
  const repositoryObjects = KOPIA_REPOSITORIES.flatMap((_, i) => {
    // The share of this repository, then as many packs as fill it after the fixed blobs.
    const share =
      Math.floor(remaining / KOPIA_REPOSITORIES.length) +
      (i < remaining % KOPIA_REPOSITORIES.length ? 1 : 0);
    const fixed = repository(i, 0).length;
    return repository(i, share - fixed);
  });
  const objects = [...backupObjects, ...repositoryObjects];
  if (objects.length !== TOTAL_OBJECTS || new Set(objects.map((o) => o.key)).size !== TOTAL_OBJECTS)
    throw new Error(`bench layout has ${objects.length} objects, not ${TOTAL_OBJECTS}`);
  return {
    objects,
    backups: BACKUPS,
    backupObjects: backupObjects.length,
    repositoryObjects: repositoryObjects.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Buckets.

async function createBucket(s3: S3Client, bucket: string, region: string): Promise<void> {
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint },
    }),
  );
}

async function deleteBucket(s3: S3Client, bucket: string): Promise<void> {
  const keys = (await listObjects(s3, bucket, '')).map((o) => o.key);
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

async function keySizes(s3: S3Client, bucket: string): Promise<Map<string, number>> {
  return new Map((await listObjects(s3, bucket, '')).map((o) => [o.key, o.size]));
}

// ---------------------------------------------------------------------------------------------
// Request counting.

/** Counts moto's requests by reading its request log (werkzeug's access lines). */
class MotoRequestLog {
  private offset = 0;
  constructor(private readonly file: string) {}

  private size(): number {
    return statSync(this.file, { throwIfNoEntry: false })?.size ?? 0;
  }

  /** Waits until moto's log stops growing (it logs after answering), then marks the spot. */
  async settle(): Promise<void> {
    let last = -1;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const now = this.size();
      if (now === last) return;
      last = now;
    }
  }

  async mark(): Promise<void> {
    await this.settle();
    this.offset = this.size();
  }

  /** Requests logged since the last mark, by operation. */
  async since(): Promise<{ server: Record<string, number>; serverTotal: number }> {
    await this.settle();
    const text = readFileSync(this.file).subarray(this.offset).toString('utf8');
    const server: Record<string, number> = {};
    let serverTotal = 0;
    for (const match of text.matchAll(/"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3})/g)) {
      const op = classify(match[1] ?? '', match[2] ?? '');
      if (op === null) continue;
      server[op] = (server[op] ?? 0) + 1;
      serverTotal++;
    }
    return { server, serverTotal };
  }
}

/** An S3 (or other) operation from a request line; null for moto's own API. */
function classify(method: string, target: string): string | null {
  const [path = '', query = ''] = target.split('?');
  if (path.startsWith('/moto-api')) return null;
  if (path.startsWith('/2013-04-01/')) return `route53 ${method}`;
  if (path === '/' && method === 'POST') return 'POST / (DynamoDB, CloudWatch)';
  const segments = path.split('/').filter(Boolean);
  const onObject = segments.length > 1;
  if (!onObject) {
    if (method === 'GET' && /(^|&)list-type=2/.test(query)) return 'S3 ListObjectsV2';
    if (method === 'GET' && /(^|&)location/.test(query)) return 'S3 GetBucketLocation';
    if (method === 'POST' && /(^|&)delete/.test(query)) return 'S3 DeleteObjects';
    return `S3 ${method} bucket${query ? `?${query.split('=')[0]}` : ''}`;
  }
  switch (method) {
    case 'GET':
      return 'S3 GetObject';
    case 'HEAD':
      return 'S3 HeadObject';
    case 'PUT':
      return /(^|&)partNumber=/.test(query) ? 'S3 UploadPart(Copy)' : 'S3 PutObject/CopyObject';
    case 'DELETE':
      return 'S3 DeleteObject';
    default:
      return `S3 ${method} object`;
  }
}

/** Latency of one kind of SDK command in a run. */
export interface CommandTiming {
  count: number;
  /** Sum of the commands' latencies. */
  totalMs: number;
  /** First start to last end: wall-clock the run spent with such commands in flight. */
  spanMs: number;
}

/** Counts and times the commands sent through drpilot's cached SDK clients (retries included). */
class SdkCommandCounter {
  private calls: { name: string; start: number; end: number }[] = [];
  attach(client: { middlewareStack: { add: S3Client['middlewareStack']['add'] } }): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = `${context.clientName ?? 'client'}:${(context.commandName ?? '?').replace(/Command$/, '')}`;
        const start = performance.now();
        try {
          return await next(args);
        } finally {
          this.calls.push({ name, start, end: performance.now() });
        }
      },
      { step: 'initialize', name: 'drpilotBenchCounter', override: true },
    );
  }
  take(): Record<string, CommandTiming> {
    const byName = new Map<string, { name: string; start: number; end: number }[]>();
    for (const call of this.calls) byName.set(call.name, [...(byName.get(call.name) ?? []), call]);
    this.calls = [];
    return Object.fromEntries(
      [...byName.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, calls]) => [
          name,
          {
            count: calls.length,
            totalMs: round(calls.reduce((sum, c) => sum + c.end - c.start, 0)),
            spanMs: round(
              Math.max(...calls.map((c) => c.end)) - Math.min(...calls.map((c) => c.start)),
            ),
          },
        ]),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: which process the wall-clock went to.

/** CPU milliseconds of one run: the client process and moto. */
export interface CpuMs {
  client: number | null;
  moto: number | null;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** moto's pid: this process's child running moto (Linux /proc only). */
function findMotoPid(): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (ppid === process.pid && cmdline.includes('moto.server')) return Number(entry);
    } catch {
      // the process went away while we looked
    }
  }
  return null;
}

/** user + system CPU ms of a process so far, from /proc/<pid>/stat. */
function processCpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

const selfCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const TIME_BIN = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

// ---------------------------------------------------------------------------------------------
// The two tools.

interface AwsCliRun {
  ms: number;
  /** The CLI process's user + system CPU ms (null without /usr/bin/time). */
  cpuMs: number | null;
}

function runAwsCli(endpoint: string, args: string[]): Promise<AwsCliRun> {
  const cpuDir = mkdtempSync(join(tmpdir(), 'drpilot-bench-time-'));
  const cpuFile = join(cpuDir, 'cpu');
  const command = [AWS_CLI, ...args, '--endpoint-url', endpoint];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      TIME_BIN ?? command[0] ?? AWS_CLI,
      TIME_BIN ? ['-f', '%U %S', '-o', cpuFile, ...command] : command.slice(1),
      {
        // No config file: awscli's defaults (10 concurrent requests, 8 MiB multipart threshold).
        env: {
          ...process.env,
          AWS_CONFIG_FILE: '/nonexistent/drpilot-bench-config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/drpilot-bench-credentials',
          AWS_PAGER: '',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const cpuText = TIME_BIN ? readFileSync(cpuFile, { encoding: 'utf8', flag: 'a+' }) : '';
      rmSync(cpuDir, { recursive: true, force: true });
      if (code !== 0) {
        reject(new Error(`aws ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      let cpuMs: number | null = null;
      if (TIME_BIN) {
        const [user, system] = cpuText.trim().split(/\s+/).map(Number);
        const total = ((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000;
        cpuMs = Number.isFinite(total) ? total : null;
      }
      resolve({ ms, cpuMs });
    });
  });
}

const awsSync = (endpoint: string, target: string) =>
  runAwsCli(endpoint, [
    's3',
    'sync',
    `s3://${SOURCE_BUCKET}`,
    `s3://${target}`,
    '--source-region',
    SOURCE_REGION,
    '--region',
    TARGET_REGION,
    '--only-show-errors',
  ]);

interface DrpilotRun {
  ms: number;
  result: ResyncResult;
  phasesMs: Record<string, number>;
}

async function drpilotResync(config: DrpilotConfig): Promise<DrpilotRun> {
  const marks: { label: string; at: number }[] = [];
  const started = performance.now();
  const result = await runResync(config, {
    dryRun: false,
    trigger: 'bench',
    concurrency: DRPILOT_CONCURRENCY,
    onProgress: (message) => marks.push({ label: message, at: performance.now() }),
  });
  const ended = performance.now();
  // Phases between progress messages: before "listing" is the DNS read and the lease; from
  // "listing" to "copying" the listing and reading of both sides; "running" the plan's steps;
  // "recording" the state table, metrics, the target's new listing and the audit.
  const phasesMs: Record<string, number> = {};
  const points = [{ label: 'start', at: started }, ...marks, { label: 'end', at: ended }];
  for (let i = 1; i < points.length; i++) {
    const from = points[i - 1];
    const to = points[i];
    if (!from || !to) continue;
    const label = from.label.startsWith('listing')
      ? 'list + assess both sides'
      : from.label.startsWith('copying')
        ? 'plan'
        : from.label === 'start'
          ? 'DNS read + lease'
          : from.label.replace(/:.*$/, '');
    const key =
      to.label === 'end' && label !== 'recording' ? `${label} + state, metrics, audit` : label;
    phasesMs[key] = (phasesMs[key] ?? 0) + (to.at - from.at);
  }
  if (result.outcome === 'failed' || result.outcome === 'refused') {
    throw new Error(`runResync ${result.outcome}: ${result.reason ?? ''}`);
  }
  return { ms: ended - started, result, phasesMs };
}

// ---------------------------------------------------------------------------------------------

function benchConfig(hostedZoneId: string, stateTable: string): DrpilotConfig {
  const example: unknown = JSON.parse(
    readFileSync(join(REPO_ROOT, 'drpilot.config.example.json'), 'utf8'),
  );
  const validated = validateConfig(example);
  if (!validated.ok) throw new Error(`example config invalid: ${JSON.stringify(validated.errors)}`);
  const config = validated.config;
  return {
    ...config,
    stateTable,
    dns: { ...config.dns, hostedZoneId },
    backups: {
      ...config.backups,
      buckets: {
        primary: { bucket: SOURCE_BUCKET, region: SOURCE_REGION, prefix: '' },
        dr: { bucket: 'set-per-repetition', region: TARGET_REGION, prefix: '' },
      },
    },
  };
}

const withTarget = (config: DrpilotConfig, bucket: string): DrpilotConfig => ({
  ...config,
  backups: {
    ...config.backups,
    buckets: { ...config.backups.buckets, dr: { ...config.backups.buckets.dr, bucket } },
  },
});

/** One measured run of one tool. */
interface Sample {
  ms: number;
  requests: RequestCounts;
  cpuMs: CpuMs;
}

function compare(
  drpilot: Sample[],
  awsCli: Sample[],
  target: number,
  drpilotPhasesMs: Record<string, number>,
): Comparison {
  const drpilotMs = median(drpilot.map((s) => s.ms));
  const awsCliMs = median(awsCli.map((s) => s.ms));
  const ratio = drpilotMs / awsCliMs;
  const last = (samples: Sample[]) => {
    const sample = samples.at(-1);
    if (!sample) throw new Error('resync bench: no samples');
    return sample;
  };
  const cpu = (c: CpuMs): CpuMs => ({
    client: c.client === null ? null : round(c.client),
    moto: c.moto === null ? null : round(c.moto),
  });
  const comparison: Comparison = {
    drpilotMs: round(drpilotMs),
    awsCliMs: round(awsCliMs),
    ratio: Math.round(ratio * 1000) / 1000,
    target: `<= ${target.toFixed(1)}`,
    met: ratio <= target,
    drpilotSamplesMs: drpilot.map((s) => round(s.ms)),
    awsCliSamplesMs: awsCli.map((s) => round(s.ms)),
    requests: { drpilot: last(drpilot).requests, awsCli: last(awsCli).requests },
    cpuMs: { drpilot: cpu(last(drpilot).cpuMs), awsCli: cpu(last(awsCli).cpuMs) },
    drpilotPhasesMs: Object.fromEntries(
      Object.entries(drpilotPhasesMs).map(([k, v]) => [k, round(v)]),
    ),
  };
  return comparison.met ? comparison : { ...comparison, missReason: missReason(comparison) };
}

/**
 * Why drpilot missed, from what this run measured: the requests it sent beyond aws s3 sync's
 * (by kind, moto's log), the CPU moto and the client spent, and drpilot's longest phase.
 */
export function missReason(c: Comparison): string {
  const { drpilot, awsCli } = c.requests;
  const extra = Object.entries(drpilot.server)
    .map(([kind, n]) => [kind, n - (awsCli.server[kind] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort(([, a], [, b]) => b - a)
    .map(([kind, n]) => `+${n} ${kind}`);
  const [phase, phaseMs] = Object.entries(c.drpilotPhasesMs).sort(([, a], [, b]) => b - a)[0] ?? [
    'none',
    0,
  ];
  const ms = (n: number | null) => (n === null ? '?' : `${n.toFixed(0)} ms`);
  const range = (samples: number[]) => `${Math.min(...samples)}–${Math.max(...samples)} ms`;
  const overlap =
    Math.min(...c.drpilotSamplesMs) <= Math.max(...c.awsCliSamplesMs) &&
    Math.min(...c.awsCliSamplesMs) <= Math.max(...c.drpilotSamplesMs);
  return [
    `${(c.drpilotMs - c.awsCliMs).toFixed(0)} ms slower (median)`,
    `runs: drpilot ${range(c.drpilotSamplesMs)}, aws s3 sync ${range(c.awsCliSamplesMs)}${overlap ? ' (the ranges overlap: within the run-to-run noise of this machine)' : ''}`,
    `${drpilot.serverTotal} requests vs ${awsCli.serverTotal}${extra.length ? ` (${extra.join(', ')})` : ''}`,
    `moto CPU ${ms(c.cpuMs.drpilot.moto)} vs ${ms(c.cpuMs.awsCli.moto)}, client CPU ${ms(c.cpuMs.drpilot.client)} vs ${ms(c.cpuMs.awsCli.client)}`,
    `drpilot's longest phase: ${phase} ${phaseMs.toFixed(0)} ms`,
  ].join('; ');
}

export async function measureResyncVsS3Sync(
  options: ResyncBenchOptions,
): Promise<ResyncBenchResult> {
  const { log } = options;
  const reps = Math.max(1, options.reps);
  const noopReps = Math.max(1, options.noopReps);
  const logDir = mkdtempSync(join(tmpdir(), 'drpilot-bench-'));
  const logFile = join(logDir, 'moto.log');
  log('resync bench: starting moto');
  const moto = await startMotoServer({ logFile });
  const restore = pointAwsClientsAt(moto.endpoint);
  try {
    const endpoint = moto.endpoint;
    const motoPid = findMotoPid();
    const source = s3Client(SOURCE_REGION);
    const target = s3Client(TARGET_REGION);
    const counter = new SdkCommandCounter();
    for (const client of [
      source,
      target,
      dynamoDbClient(CONTROL_REGION),
      route53Client(),
      cloudWatchClient(CONTROL_REGION),
    ]) {
      counter.attach(client);
    }
    const requestLog = new MotoRequestLog(logFile);

    const { HostedZone } = await route53Client().send(
      new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `bench-${Date.now()}` }),
    );
    const hostedZoneId = (HostedZone?.Id ?? '').replace('/hostedzone/', '');
    const config = benchConfig(hostedZoneId, 'bench-drpilot-state');
    await createStateTable(dynamoDbClient(CONTROL_REGION), config.stateTable);

    const layout = sourceObjects();
    const bytes = layout.objects.reduce((sum, o) => sum + o.body.length, 0);
    log(
      `resync bench: seeding ${layout.objects.length} objects (${(bytes / 2 ** 20).toFixed(1)} MiB) into ${SOURCE_BUCKET}`,
    );
    await createBucket(source, SOURCE_BUCKET, SOURCE_REGION);
    await forEachBounded(layout.objects, 16, async (o) => {
      await source.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: o.key, Body: o.body }));
    });
    const sourceKeys = await keySizes(source, SOURCE_BUCKET);
    const backupNames = new Set(
      [...sourceKeys.keys()]
        .filter((k) => k.startsWith('backups/'))
        .map((k) => k.split('/')[1] ?? ''),
    );

    const floor: number[] = [];
    for (let i = 0; i < 3; i++)
      floor.push((await runAwsCli(endpoint, ['s3', 'ls', `s3://${SOURCE_BUCKET}/`])).ms);

    /** One drpilot run, with its requests and the CPU it and moto used. */
    const drpilotSample = async (runConfig: DrpilotConfig) => {
      await requestLog.mark();
      counter.take();
      const motoBefore = processCpuMs(motoPid);
      const selfBefore = selfCpuMs();
      const run = await drpilotResync(runConfig);
      const client = selfCpuMs() - selfBefore;
      const motoAfter = processCpuMs(motoPid);
      const requests = { ...(await requestLog.since()), sdk: counter.take() };
      const moto = motoBefore === null || motoAfter === null ? null : motoAfter - motoBefore;
      return { run, sample: { ms: run.ms, requests, cpuMs: { client, moto } } };
    };
    const awsSample = async (bucket: string): Promise<Sample> => {
      await requestLog.mark();
      const motoBefore = processCpuMs(motoPid);
      const run = await awsSync(endpoint, bucket);
      const motoAfter = processCpuMs(motoPid);
      const requests = await requestLog.since();
      const moto = motoBefore === null || motoAfter === null ? null : motoAfter - motoBefore;
      return { ms: run.ms, requests, cpuMs: { client: run.cpuMs, moto } };
    };

    const problems: string[] = [];
    const checkTarget = async (bucket: string, tool: 'drpilot' | 'awscli') => {
      const got = await keySizes(target, bucket);
      if (tool === 'drpilot') {
        for (const name of backupNames) {
          const key = `backups/${name}/${MANIFEST_FILE}`;
          if (!got.has(key)) problems.push(`${bucket}: ${key} missing`);
          got.delete(key);
        }
      }
      const missing = [...sourceKeys.keys()].filter((k) => !got.has(k));
      const extra = [...got.keys()].filter((k) => !sourceKeys.has(k));
      const wrongSize = [...sourceKeys].filter(([k, size]) => got.has(k) && got.get(k) !== size);
      for (const [what, keys] of [
        ['missing', missing],
        ['unexpected', extra],
        ['wrong size', wrongSize.map(([k]) => k)],
      ] as const) {
        if (keys.length > 0)
          problems.push(
            `${bucket} (${tool}): ${keys.length} ${what}, e.g. ${keys.slice(0, 3).join(', ')}`,
          );
      }
      return missing.length === 0 && extra.length === 0 && wrongSize.length === 0;
    };

    // First sync: fresh targets every repetition, the order of the tools alternating.
    const firstDrpilot: Sample[] = [];
    const firstAws: Sample[] = [];
    let firstPhases: Record<string, number> = {};
    let drpilotKeysMatchSource = true;
    let awsCliKeysMatchSource = true;
    let drpilotTarget = '';
    let awsTarget = '';
    for (let rep = 0; rep < reps; rep++) {
      if (drpilotTarget) await deleteBucket(target, drpilotTarget);
      if (awsTarget) await deleteBucket(target, awsTarget);
      drpilotTarget = `bench-drpilot-eu-central-1-r${rep}`;
      awsTarget = `bench-awscli-eu-central-1-r${rep}`;
      await createBucket(target, drpilotTarget, TARGET_REGION);
      await createBucket(target, awsTarget, TARGET_REGION);
      const repConfig = withTarget(config, drpilotTarget);

      const drpilotFirst = async () => {
        const { run, sample } = await drpilotSample(repConfig);
        firstDrpilot.push(sample);
        firstPhases = run.phasesMs;
        if (run.result.objectsCopied !== TOTAL_OBJECTS)
          problems.push(
            `first sync r${rep + 1}: drpilot copied ${run.result.objectsCopied} objects, not ${TOTAL_OBJECTS}`,
          );
        log(`resync bench: first sync r${rep + 1}/${reps} drpilot ${run.ms.toFixed(0)} ms`);
      };
      const awsFirst = async () => {
        const sample = await awsSample(awsTarget);
        firstAws.push(sample);
        log(`resync bench: first sync r${rep + 1}/${reps} aws s3 sync ${sample.ms.toFixed(0)} ms`);
      };
      if (rep % 2 === 0) {
        await drpilotFirst();
        await awsFirst();
      } else {
        await awsFirst();
        await drpilotFirst();
      }
      drpilotKeysMatchSource &&= await checkTarget(drpilotTarget, 'drpilot');
      awsCliKeysMatchSource &&= await checkTarget(awsTarget, 'awscli');
    }

    // No-op re-sync on the last repetition's targets, alternating too.
    const noopDrpilot: Sample[] = [];
    const noopAws: Sample[] = [];
    const noopCopied: number[] = [];
    const noopOutcomes: string[] = [];
    let noopPhases: Record<string, number> = {};
    let awsCliNoopWrites = 0;
    const noopConfig = withTarget(config, drpilotTarget);
    const listOnly: number[] = [];
    const parallelListOnly: number[] = [];
    const sides = [
      bucketSide(noopConfig.backups, 'primary'),
      bucketSide(noopConfig.backups, 'dr'),
    ] as const;
    const probe = async () => {
      let started = performance.now();
      await Promise.all(sides.map((side) => listMirrored(side)));
      listOnly.push(performance.now() - started);
      started = performance.now();
      await Promise.all(
        sides.flatMap((side) =>
          MIRRORED_AREAS.map((area) => listObjects(side.s3, side.bucket, `${side.prefix}${area}/`)),
        ),
      );
      parallelListOnly.push(performance.now() - started);
    };
    for (let rep = 0; rep < noopReps; rep++) {
      const drpilotNoop = async () => {
        const { run, sample } = await drpilotSample(noopConfig);
        noopDrpilot.push(sample);
        noopCopied.push(run.result.objectsCopied);
        noopOutcomes.push(run.result.outcome);
        noopPhases = run.phasesMs;
      };
      const awsNoop = async () => {
        const sample = await awsSample(awsTarget);
        awsCliNoopWrites += sample.requests.server['S3 PutObject/CopyObject'] ?? 0;
        noopAws.push(sample);
      };
      if (rep % 2 === 0) {
        await drpilotNoop();
        await awsNoop();
      } else {
        await awsNoop();
        await drpilotNoop();
      }
      await probe();
      log(
        `resync bench: no-op r${rep + 1}/${noopReps} drpilot ${noopDrpilot.at(-1)?.ms.toFixed(0)} ms, aws s3 sync ${noopAws.at(-1)?.ms.toFixed(0)} ms`,
      );
    }
    if (noopCopied.some((n) => n !== 0))
      problems.push(`drpilot no-op re-sync copied objects: ${noopCopied.join(', ')}`);
    if (awsCliNoopWrites > 0) problems.push(`aws s3 sync no-op wrote ${awsCliNoopWrites} objects`);
    const manifests = [...(await keySizes(target, drpilotTarget)).keys()].filter((k) =>
      k.endsWith(`/${MANIFEST_FILE}`),
    ).length;
    await deleteBucket(target, drpilotTarget);
    await deleteBucket(target, awsTarget);

    const awsNoopMs = median(noopAws.map((x) => x.ms));
    return {
      emulated: true,
      note: 'moto (emulated S3 on this machine): ratios compare request patterns and client overhead, not real S3 latency or throughput',
      objects: layout.objects.length,
      bytes,
      layout: {
        backups: layout.backups,
        backupObjects: layout.backupObjects,
        repositoryObjects: layout.repositoryObjects,
      },
      reps,
      noopReps,
      drpilotConcurrency: DRPILOT_CONCURRENCY,
      awsCliMaxConcurrentRequests: AWS_CLI_CONCURRENCY,
      awsCliFloorMs: round(median(floor)),
      firstSync: compare(firstDrpilot, firstAws, 1.0, firstPhases),
      noopResync: compare(noopDrpilot, noopAws, 0.5, noopPhases),
      noopProbes: {
        listOnlyMs: round(median(listOnly)),
        listOnlyRatio: Math.round((median(listOnly) / awsNoopMs) * 1000) / 1000,
        parallelListOnlyMs: round(median(parallelListOnly)),
        parallelListOnlyRatio: Math.round((median(parallelListOnly) / awsNoopMs) * 1000) / 1000,
      },
      correctness: {
        drpilotKeysMatchSource,
        awsCliKeysMatchSource,
        drpilotManifests: manifests,
        drpilotNoopObjectsCopied: noopCopied,
        drpilotNoopOutcomes: noopOutcomes,
        awsCliNoopWrites,
        problems,
      },
    };
  } finally {
    restore();
    await moto.stop();
    rmSync(logDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

function countsLine(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** The human-readable section for `npm run bench`. */
export function formatResyncBench(r: ResyncBenchResult): string[] {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const verdict = (c: Comparison) => (c.met ? 'PASS' : 'MISS');
  const lines = [
    `Velero re-sync vs aws s3 sync — ${r.objects} objects, ${mib(r.bytes)} (${r.layout.backups} Completed backups = ${r.layout.backupObjects} objects, kopia repositories = ${r.layout.repositoryObjects} objects), eu-west-1 → eu-central-1`,
    `EMULATED: figures are from moto on this machine, not real S3. drpilot in-process (warm clients, concurrency ${r.drpilotConcurrency}); aws s3 sync as a process (awscli v1 defaults, ${r.awsCliMaxConcurrentRequests} concurrent requests; its start-up + 1 request ≈ ${r.awsCliFloorMs.toFixed(0)} ms)`,
    `${'run'.padEnd(34)}${'drpilot'.padStart(12)}${'aws s3 sync'.padStart(14)}${'ratio'.padStart(9)}${'target'.padStart(10)}${'result'.padStart(8)}`,
  ];
  const row = (label: string, c: Comparison) =>
    `${label.padEnd(34)}${`${c.drpilotMs.toFixed(0)} ms`.padStart(12)}${`${c.awsCliMs.toFixed(0)} ms`.padStart(14)}${c.ratio.toFixed(2).padStart(9)}${c.target.padStart(10)}${verdict(c).padStart(8)}`;
  lines.push(row(`first sync (median of ${r.reps})`, r.firstSync));
  lines.push(row(`no-op re-sync (median of ${r.noopReps})`, r.noopResync));
  for (const [label, c] of [
    ['first sync', r.firstSync],
    ['no-op re-sync', r.noopResync],
  ] as const) {
    if (c.missReason) lines.push(`  MISS ${label}: ${c.missReason}`);
  }
  for (const [label, c] of [
    ['first sync', r.firstSync],
    ['no-op re-sync', r.noopResync],
  ] as const) {
    lines.push(`  ${label} requests (moto log, last repetition):`);
    lines.push(
      `    drpilot ${c.requests.drpilot.serverTotal}: ${countsLine(c.requests.drpilot.server)}`,
    );
    lines.push(
      `    aws s3 sync ${c.requests.awsCli.serverTotal}: ${countsLine(c.requests.awsCli.server)}`,
    );
    lines.push(
      `    drpilot SDK commands (count, summed latency, wall-clock span): ${Object.entries(
        c.requests.drpilot.sdk ?? {},
      )
        .sort(([, a], [, b]) => b.count - a.count)
        .map(([k, t]) => `${k} ${t.count} ${t.totalMs.toFixed(0)}/${t.spanMs.toFixed(0)} ms`)
        .join(', ')}`,
    );
    const cpu = (x: CpuMs) =>
      `client ${x.client === null ? '?' : x.client.toFixed(0)} ms, moto ${x.moto === null ? '?' : x.moto.toFixed(0)} ms`;
    lines.push(`    CPU: drpilot ${cpu(c.cpuMs.drpilot)}; aws s3 sync ${cpu(c.cpuMs.awsCli)}`);
    lines.push(
      `    drpilot time: ${Object.entries(c.drpilotPhasesMs)
        .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
        .join(', ')}`,
    );
  }
  const p = r.noopProbes;
  lines.push(
    `  no-op without per-backup GETs (probe, not a drpilot run): both sides listed as runResync does ${p.listOnlyMs.toFixed(0)} ms (ratio ${p.listOnlyRatio.toFixed(2)}), areas listed in parallel ${p.parallelListOnlyMs.toFixed(0)} ms (ratio ${p.parallelListOnlyRatio.toFixed(2)})`,
  );
  const c = r.correctness;
  lines.push(
    `  correctness: drpilot target = source + ${c.drpilotManifests} manifests: ${c.drpilotKeysMatchSource ? 'yes' : 'NO'}; aws s3 sync target = source: ${c.awsCliKeysMatchSource ? 'yes' : 'NO'}; drpilot no-op copied ${c.drpilotNoopObjectsCopied.join('/')} objects (${[...new Set(c.drpilotNoopOutcomes)].join('/')}); aws no-op wrote ${c.awsCliNoopWrites}`,
  );
  for (const problem of c.problems) lines.push(`  PROBLEM: ${problem}`);
  return lines;
}
