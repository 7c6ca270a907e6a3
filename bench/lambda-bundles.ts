import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { validateConfig } from '../lambdas/core/config/validate';
import { configDefine } from '../lib/lambda-bundling';
import { bundleLikeConstruct } from './bundle-like-construct';

/**
 * Issue 17's targets for every function: bundle under 1 MB, and module init under 1.5× its floor
 * (what a hand-written Lambda sending the same commands loads; {@link HandWrittenFloor}). The
 * issue's first init yardstick, 8× an empty module, is printed beside it for the record
 * (docs/benchmarks.md says why it was re-based); a function that sends no command is still held to it.
 */
export const BUNDLE_TARGETS = { maxBytes: 1_000_000, maxFloorRatio: 1.5, maxEmptyRatio: 8 };

export interface BundlePart {
  /** An npm package, or a repository folder such as `lambdas/core`. */
  name: string;
  bytes: number;
  /** For an npm package: the repository modules through which the handler imports it. */
  via?: string[];
}

export interface TargetVerdict {
  met: boolean;
  /** Why it was missed: the largest parts of the bundle, which load at init too. */
  reason?: string;
}

/**
 * What a hand-written Lambda with none of drpilot's checks would load: the same SDK clients as the
 * function, each constructed and sending one command, and Powertools' Logger and Metrics where the
 * function has them (AWS's structured logging and EMF metrics, which a production Lambda carries
 * too), and nothing else.
 */
export interface HandWrittenFloor {
  clients: string[];
  powertools: string[];
  bytes: number;
  initMsMedian: number;
  initRatio: number;
}

export interface BundleMeasurement {
  handler: string;
  bytes: number;
  gzipBytes: number;
  initMsMedian: number;
  /** Module init time over the baseline's (an empty module in an equally fresh process). */
  initRatio: number;
  /** The largest contributors to the bundle, from esbuild's metafile. */
  largestParts: BundlePart[];
  /** The hand-written Lambda's load, measured in the same run (null: the function sends no command). */
  floor: HandWrittenFloor | null;
  size: TargetVerdict;
  init: TargetVerdict;
}

const REPO_ROOT = new URL('..', import.meta.url).pathname;
// Under node_modules so a bundle resolves nothing from the repo by accident and stays out of git.
const OUT_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'drpilot-bench');

export function handlerEntries(): string[] {
  const lambdas = join(REPO_ROOT, 'lambdas');
  return readdirSync(lambdas)
    .filter((dir) => statSync(join(lambdas, dir, 'handler.ts'), { throwIfNoEntry: false }))
    .map((dir) => `lambdas/${dir}/handler.ts`);
}

/** Bundles a handler as the CDK construct does. */
async function bundle(
  entry: string,
  define: Record<string, string>,
): Promise<{ file: string; metafile: Metafile }> {
  const outfile = join(OUT_DIR, entry.replace(/[/.]/g, '_') + '.mjs');
  return {
    file: outfile,
    metafile: await bundleLikeConstruct(join(REPO_ROOT, entry), outfile, define),
  };
}

/**
 * The package the repository depends on, not the copies nested inside it; a tree-shakable SDK copy
 * (lib/shakable-sdk.ts) counts as the package it copies.
 */
const packageOf = (path: string) =>
  /drpilot-shakable-sdk\/(@[^/+]+)\+([^/@]+)@/.exec(path)?.slice(1).join('/') ??
  /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];

/**
 * The shortest chain of repository modules, each with code in the bundle, from `entry` to one
 * that imports `pkg`: why the handler carries the package.
 */
export function importChain(metafile: Metafile, entry: string, pkg: string): string[] {
  const live = new Set(
    Object.values(metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path),
    ),
  );
  const previous = new Map<string, string | null>([[entry, null]]);
  for (const module of previous.keys()) {
    for (const imported of metafile.inputs[module]?.imports ?? []) {
      if (packageOf(imported.path) === pkg) {
        const chain: string[] = [];
        for (let at: string | null | undefined = module; at; at = previous.get(at))
          chain.unshift(at);
        return chain;
      }
      const own = !imported.external && !packageOf(imported.path);
      if (own && live.has(imported.path) && !previous.has(imported.path)) {
        previous.set(imported.path, module);
      }
    }
  }
  return [];
}

/** Output bytes per npm package (or repository folder), largest first. */
export function largestParts(
  metafile: Metafile,
  entry: string,
  count = 3,
  counts: (name: string) => boolean = () => true,
): BundlePart[] {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = packageOf(path) ?? path.split('/').slice(0, 2).join('/');
      bytes.set(name, (bytes.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...bytes]
    .filter(([name]) => counts(name))
    .map(([name, size]) => ({ name, bytes: size }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count)
    .map((part) =>
      part.name.includes('/') && !part.name.startsWith('@')
        ? part
        : { ...part, via: importChain(metafile, entry, part.name) },
    );
}

/** What the bench has found behind a large part, printed with it. */
const KNOWN_CAUSES: Record<string, string> = {
  '@aws-sdk/client-ec2':
    'kept where a function sends an EC2 command (the import chain names the module that does); bundled from its tree-shakable copy (lib/shakable-sdk.ts), so only the shapes of the commands sent',
  '@smithy/core':
    "the SDK's shared runtime (protocols, serde, schema walker): every function that sends a command evaluates it at load",
  zod: 'zod/mini and the zod core under it: each function validates its trigger event, and the state it reads, before it acts',
  '@aws-sdk/client-sts':
    'the credential chain of an older SDK release: check esbuildAlias in lib/lambda-bundling.ts',
};

/** One command per client for the floor; a client missing here stops the bench by name. */
const FLOOR_COMMANDS: Record<string, [client: string, command: string]> = {
  '@aws-sdk/client-auto-scaling': ['AutoScalingClient', 'DescribeAutoScalingGroupsCommand'],
  '@aws-sdk/client-cloudwatch': ['CloudWatchClient', 'DescribeAlarmsCommand'],
  '@aws-sdk/client-dynamodb': ['DynamoDBClient', 'GetItemCommand'],
  '@aws-sdk/client-ec2': ['EC2Client', 'DescribeInstancesCommand'],
  '@aws-sdk/client-eks': ['EKSClient', 'DescribeClusterCommand'],
  '@aws-sdk/client-lambda': ['LambdaClient', 'InvokeCommand'],
  '@aws-sdk/client-route-53': ['Route53Client', 'ChangeResourceRecordSetsCommand'],
  '@aws-sdk/client-route53resolver': [
    'Route53ResolverClient',
    'ListResolverEndpointIpAddressesCommand',
  ],
  '@aws-sdk/client-s3': ['S3Client', 'GetObjectCommand'],
  '@aws-sdk/client-secrets-manager': ['SecretsManagerClient', 'GetSecretValueCommand'],
  '@aws-sdk/client-sfn': ['SFNClient', 'StartExecutionCommand'],
  '@aws-sdk/client-sns': ['SNSClient', 'PublishCommand'],
};

/**
 * Powertools' parts a hand-written Lambda would carry: made at load, as Powertools' docs have it
 * (and as lambdas/shared/powertools.ts does), and used once per invocation.
 */
const FLOOR_POWERTOOLS: Record<string, { imports: string; use: string }> = {
  '@aws-lambda-powertools/logger': {
    imports: `import { Logger } from '@aws-lambda-powertools/logger';
const logger = new Logger({ serviceName: 'floor' });`,
    use: "logger.info('sent')",
  },
  '@aws-lambda-powertools/metrics': {
    imports: `import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
const metrics = new Metrics({ namespace: 'floor', serviceName: 'floor' });`,
    use: "metrics.addMetric('sent', MetricUnit.Count, 1)",
  },
};

/** The packages of the floor whose code is in the bundle: SDK clients, Powertools' Logger and Metrics. */
export function floorPackagesOf(metafile: Metafile): { clients: string[]; powertools: string[] } {
  const found = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const pkg = packageOf(path);
      if (input.bytesInOutput > 0 && pkg) found.add(pkg);
    }
  }
  return {
    clients: [...found].filter((pkg) => pkg.startsWith('@aws-sdk/client-')).sort(),
    powertools: Object.keys(FLOOR_POWERTOOLS).filter((pkg) => found.has(pkg)),
  };
}

/**
 * The module of the floor: each of `clients` constructed, one command sent, and each of
 * `powertools` used once.
 */
export function floorSource(clients: readonly string[], powertools: readonly string[]): string {
  const observed = powertools.map((pkg) => FLOOR_POWERTOOLS[pkg]).filter((p) => p !== undefined);
  const lines = clients.map((pkg, i) => {
    const known = FLOOR_COMMANDS[pkg];
    if (!known)
      throw new Error(`bench/lambda-bundles.ts: FLOOR_COMMANDS has no command for ${pkg}`);
    const [client, command] = known;
    return {
      imports: `import { ${client} as C${i}, ${command} as K${i} } from '${pkg}';`,
      send: `new C${i}({}).send(new K${i}({}))`,
    };
  });
  return [
    ...lines.map((l) => l.imports),
    ...observed.map((p) => p.imports),
    'export const handler = async () => {',
    ...observed.map((p) => `  ${p.use};`),
    `  return Promise.all([${lines.map((l) => l.send).join(', ')}]);`,
    '};',
    '',
  ].join('\n');
}

const kb = (bytes: number) => `${Math.round(bytes / 1000)} kB`;
/** A package's import chain without the handler itself, which every chain starts at. */
const viaText = (via: string[] | undefined) =>
  via && via.length > 1 ? `imported via ${via.slice(1).join(' > ')}` : undefined;
const partsText = (parts: BundlePart[]) =>
  parts
    .map((p) => {
      const notes = [viaText(p.via), KNOWN_CAUSES[p.name]].filter(Boolean);
      return `${p.name} ${kb(p.bytes)}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    })
    .join(', ');

/** Packages the floor carries too: the SDK's, and Powertools'. */
const inFloor = (name: string) =>
  name.startsWith('@aws-sdk/') ||
  name.startsWith('@smithy/') ||
  name.startsWith('@aws-lambda-powertools/');

export function judgeBundle(
  bytes: number,
  init: { ms: number; emptyRatio: number },
  parts: { all: BundlePart[]; own: BundlePart[] },
  floor: HandWrittenFloor | null,
): { size: TargetVerdict; init: TargetVerdict } {
  const size: TargetVerdict =
    bytes < BUNDLE_TARGETS.maxBytes
      ? { met: true }
      : { met: false, reason: `largest parts: ${partsText(parts.all)}` };
  if (!floor) {
    return {
      size,
      init:
        init.emptyRatio < BUNDLE_TARGETS.maxEmptyRatio
          ? { met: true }
          : {
              met: false,
              reason: `${init.emptyRatio.toFixed(1)}× an empty module, sending no command; largest: ${partsText(parts.all)}`,
            },
    };
  }
  const overFloor = init.ms / floor.initMsMedian;
  return {
    size,
    init:
      overFloor < BUNDLE_TARGETS.maxFloorRatio
        ? { met: true }
        : {
            met: false,
            reason: `${init.ms.toFixed(1)} ms is ${overFloor.toFixed(2)}× its floor (${floor.initMsMedian.toFixed(1)} ms: its ${floor.clients.length} SDK clients, one command each${floor.powertools.length ? ', and Powertools' : ''}, ${kb(floor.bytes)}); what it loads beyond them, largest first: ${partsText(parts.own)}`,
          },
  };
}

/** The Node.js that runs a deployed function, or the nearest this machine has. */
export interface MeasuringNode {
  path: string;
  version: string;
  /** Set when it is not the Lambda runtime's major: why, for the table's header. */
  caveat?: string;
}

/**
 * Init is measured on Node.js 24, the major of the functions' runtime (nodejs24.x): an empty module
 * loads in about 4 ms there and 7 ms on Node.js 20, so a ratio taken on another major is not the
 * one a deployed function has. scripts/setup-node24.sh fetches it once (as `npm run test:node24` does).
 */
export function lambdaRuntimeNode(): MeasuringNode {
  try {
    const path = execFileSync('bash', [join(REPO_ROOT, 'scripts', 'setup-node24.sh')], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return { path, version: execFileSync(path, ['--version']).toString().trim() };
  } catch (error) {
    return {
      path: process.execPath,
      version: process.version,
      caveat: `not the Lambda runtime's major: scripts/setup-node24.sh failed (${String(error).split('\n')[0]})`,
    };
  }
}

/** Milliseconds to import `file` in a fresh process of `node`. */
function importTimeMs(node: string, file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(node, ['--input-type=module', '-e', script], {
    env: {
      ...process.env,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  return Number(out.toString());
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

export interface BundleBench {
  runs: number;
  node: MeasuringNode;
  /** An empty module's init in an equally fresh process. */
  baselineMs: number;
  bundles: BundleMeasurement[];
}

export async function measureBundles(runs: number): Promise<BundleBench> {
  mkdirSync(OUT_DIR, { recursive: true });
  const node = lambdaRuntimeNode();
  // The CDK embeds the config validated at synth; so does the bench, with the example config.
  const validated = validateConfig(
    JSON.parse(readFileSync(join(REPO_ROOT, 'drpilot.config.example.json'), 'utf8')),
  );
  if (!validated.ok) throw new Error('drpilot.config.example.json is invalid');
  const define = configDefine(validated.config);
  const empty = join(OUT_DIR, 'empty.mjs');
  writeFileSync(empty, 'export const handler = async () => null;\n');
  const files = await Promise.all(
    handlerEntries().map(async (entry) => {
      const built = await bundle(entry, define);
      const { clients, powertools } = floorPackagesOf(built.metafile);
      if (clients.length === 0) return { entry, ...built, floor: null };
      const floorEntry = join(OUT_DIR, `${entry.replace(/[/.]/g, '_')}_floor.ts`);
      writeFileSync(floorEntry, floorSource(clients, powertools));
      const floorFile = floorEntry.replace(/\.ts$/, '.mjs');
      await bundleLikeConstruct(floorEntry, floorFile, {});
      return { entry, ...built, floor: { clients, powertools, file: floorFile } };
    }),
  );

  // Interleave the runs so load on the machine hits baseline and bundles alike.
  const baseline: number[] = [];
  const samples = files.map(() => [] as number[]);
  const floorSamples = files.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    baseline.push(importTimeMs(node.path, empty));
    files.forEach(({ file, floor }, j) => {
      samples[j]?.push(importTimeMs(node.path, file));
      if (floor) floorSamples[j]?.push(importTimeMs(node.path, floor.file));
    });
  }
  const baselineMs = median(baseline);
  return {
    runs,
    node,
    baselineMs,
    bundles: files.map(({ entry, file, metafile, floor }, j) => {
      const bytes = readFileSync(file);
      const initMsMedian = median(samples[j] ?? []);
      const initRatio = initMsMedian / baselineMs;
      const parts = largestParts(metafile, entry);
      const ownParts = largestParts(metafile, entry, 3, (name) => !inFloor(name));
      const floorMs = median(floorSamples[j] ?? []);
      const handWritten = floor
        ? {
            clients: floor.clients,
            powertools: floor.powertools,
            bytes: statSync(floor.file).size,
            initMsMedian: floorMs,
            initRatio: floorMs / baselineMs,
          }
        : null;
      return {
        handler: entry,
        bytes: bytes.length,
        gzipBytes: gzipSync(bytes).length,
        initMsMedian,
        initRatio,
        largestParts: parts,
        floor: handWritten,
        ...judgeBundle(
          bytes.length,
          { ms: initMsMedian, emptyRatio: initRatio },
          { all: parts, own: ownParts },
          handWritten,
        ),
      };
    }),
  };
}

/** The bundle table of `npm run bench`: per function, size, gzip, init ratios, both targets. */
export function formatBundleBench({ runs, node, baselineMs, bundles }: BundleBench): string[] {
  const verdict = (v: TargetVerdict) => (v.met ? 'PASS' : 'MISS');
  const overFloor = (b: BundleMeasurement) =>
    b.floor ? (b.initMsMedian / b.floor.initMsMedian).toFixed(2) : '-';
  const lines = [
    `Lambda bundles (module init on Node.js ${node.version}${node.caveat ? `, ${node.caveat}` : ''}: median of ${runs} fresh processes)`,
    `targets: size < ${kb(BUNDLE_TARGETS.maxBytes)}, init < ${BUNDLE_TARGETS.maxFloorRatio}× the floor`,
    "floor: what a hand-written Lambda without the checks loads: the same SDK clients, each sending one command, and Powertools' Logger and Metrics",
    `${'handler'.padEnd(32)}${'size'.padStart(10)}${'gzip'.padStart(10)}${'init'.padStart(11)}${'floor'.padStart(11)}${'× floor'.padStart(9)}${'× empty'.padStart(9)}  size  init`,
  ];
  for (const b of bundles) {
    const floorMs = b.floor ? `${b.floor.initMsMedian.toFixed(1)} ms` : '-';
    lines.push(
      `${b.handler.padEnd(32)}${kb(b.bytes).padStart(10)}${kb(b.gzipBytes).padStart(10)}${`${b.initMsMedian.toFixed(1)} ms`.padStart(11)}${floorMs.padStart(11)}${overFloor(b).padStart(9)}${b.initRatio.toFixed(1).padStart(9)}  ${verdict(b.size)}  ${verdict(b.init)}`,
    );
  }
  for (const b of bundles) {
    if (!b.size.met) lines.push(`  MISS size ${b.handler}: ${b.size.reason}`);
    if (!b.init.met) lines.push(`  MISS init ${b.handler}: ${b.init.reason}`);
  }
  const floors = bundles.flatMap((b) => (b.floor ? [b.floor.initRatio] : []));
  const withinEmpty = bundles.filter((b) => b.initRatio < BUNDLE_TARGETS.maxEmptyRatio).length;
  lines.push(
    `× empty: init over an empty module's (${baselineMs.toFixed(1)} ms), the issue's first yardstick (< ${BUNDLE_TARGETS.maxEmptyRatio}×), met by ${withinEmpty} of ${bundles.length}; the floors alone are ${Math.min(...floors).toFixed(1)}–${Math.max(...floors).toFixed(1)}× (docs/benchmarks.md)`,
  );
  return lines;
}
