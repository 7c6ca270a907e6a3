import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { validateConfig } from '../lambdas/core/config/validate';
import { configDefine } from '../lib/lambda-bundling';
import { bundleLikeConstruct } from './bundle-like-construct';

/** Issue 17's targets for every function: bundle under 1 MB, module init under 8× an empty one. */
export const BUNDLE_TARGETS = { maxBytes: 1_000_000, maxInitRatio: 8 };

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
 * function, each constructed and sending one command, and nothing else.
 */
export interface SdkFloor {
  clients: string[];
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
  /** The same SDK clients alone, measured in the same run (null: the function sends no command). */
  sdkFloor: SdkFloor | null;
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
export function largestParts(metafile: Metafile, entry: string, count = 3): BundlePart[] {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = packageOf(path) ?? path.split('/').slice(0, 2).join('/');
      bytes.set(name, (bytes.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...bytes]
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
  zod: 'full zod: a module on this path imports `zod`, not `zod/mini`',
  '@aws-sdk/client-sts':
    'the credential chain of an older SDK release: check esbuildAlias in lib/lambda-bundling.ts',
};

/** One command per client for the SDK floor; a client missing here stops the bench by name. */
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

/** The SDK clients whose code is in the bundle, by package. */
export function sdkClientsOf(metafile: Metafile): string[] {
  const clients = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const pkg = packageOf(path);
      if (input.bytesInOutput > 0 && pkg?.startsWith('@aws-sdk/client-')) clients.add(pkg);
    }
  }
  return [...clients].sort();
}

/** The module of the SDK floor for `clients`: each client constructed, one command sent. */
export function sdkFloorSource(clients: readonly string[]): string {
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
    `export const handler = async () => Promise.all([${lines.map((l) => l.send).join(', ')}]);`,
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

const floorText = (floor: SdkFloor | null) => {
  if (!floor) return '';
  const verdict =
    floor.initRatio < BUNDLE_TARGETS.maxInitRatio
      ? 'within the target'
      : 'the SDK alone misses the target';
  return `; the SDK floor (its ${floor.clients.length} SDK clients, one command each, nothing else) is ${kb(floor.bytes)} and ${floor.initRatio.toFixed(1)}× (${verdict})`;
};

export function judgeBundle(
  bytes: number,
  initRatio: number,
  parts: BundlePart[],
  floor: SdkFloor | null,
): { size: TargetVerdict; init: TargetVerdict } {
  const size = bytes < BUNDLE_TARGETS.maxBytes;
  const init = initRatio < BUNDLE_TARGETS.maxInitRatio;
  return {
    size: size ? { met: true } : { met: false, reason: `largest parts: ${partsText(parts)}` },
    init: init
      ? { met: true }
      : {
          met: false,
          reason: `${kb(bytes)} evaluated at load; largest: ${partsText(parts)}${floorText(floor)}`,
        },
  };
}

/** Milliseconds to import `file` in a fresh Node process. */
function importTimeMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
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

export async function measureBundles(
  runs: number,
): Promise<{ baselineMs: number; bundles: BundleMeasurement[] }> {
  mkdirSync(OUT_DIR, { recursive: true });
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
      const clients = sdkClientsOf(built.metafile);
      if (clients.length === 0) return { entry, ...built, floor: null };
      const floorEntry = join(OUT_DIR, `${entry.replace(/[/.]/g, '_')}_sdk_floor.ts`);
      writeFileSync(floorEntry, sdkFloorSource(clients));
      const floorFile = floorEntry.replace(/\.ts$/, '.mjs');
      await bundleLikeConstruct(floorEntry, floorFile, {});
      return { entry, ...built, floor: { clients, file: floorFile } };
    }),
  );

  // Interleave the runs so load on the machine hits baseline and bundles alike.
  const baseline: number[] = [];
  const samples = files.map(() => [] as number[]);
  const floorSamples = files.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    baseline.push(importTimeMs(empty));
    files.forEach(({ file, floor }, j) => {
      samples[j]?.push(importTimeMs(file));
      if (floor) floorSamples[j]?.push(importTimeMs(floor.file));
    });
  }
  const baselineMs = median(baseline);
  return {
    baselineMs,
    bundles: files.map(({ entry, file, metafile, floor }, j) => {
      const bytes = readFileSync(file);
      const initMsMedian = median(samples[j] ?? []);
      const initRatio = initMsMedian / baselineMs;
      const parts = largestParts(metafile, entry);
      const floorMs = median(floorSamples[j] ?? []);
      const sdkFloor = floor
        ? {
            clients: floor.clients,
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
        sdkFloor,
        ...judgeBundle(bytes.length, initRatio, parts, sdkFloor),
      };
    }),
  };
}

/** The bundle table of `npm run bench`: per function, size, gzip, init ratio, both targets. */
export function formatBundleBench(
  bundles: BundleMeasurement[],
  runs: number,
  baselineMs: number,
): string[] {
  const verdict = (v: TargetVerdict) => (v.met ? 'PASS' : 'MISS');
  const lines = [
    `Lambda bundles (module init: median of ${runs} fresh processes; baseline = empty module, ${baselineMs.toFixed(1)} ms)`,
    `targets: size < ${kb(BUNDLE_TARGETS.maxBytes)}, init < ${BUNDLE_TARGETS.maxInitRatio}× baseline`,
    'SDK floor: the same SDK clients, each sending one command, and nothing else (a hand-written Lambda without the checks)',
    `${'handler'.padEnd(32)}${'size'.padStart(10)}${'gzip'.padStart(10)}${'init'.padStart(11)}${'× base'.padStart(8)}${'SDK floor ×'.padStart(13)}  size  init`,
  ];
  for (const b of bundles) {
    const floor = b.sdkFloor ? b.sdkFloor.initRatio.toFixed(1) : '-';
    lines.push(
      `${b.handler.padEnd(32)}${kb(b.bytes).padStart(10)}${kb(b.gzipBytes).padStart(10)}${`${b.initMsMedian.toFixed(1)} ms`.padStart(11)}${b.initRatio.toFixed(1).padStart(8)}${floor.padStart(13)}  ${verdict(b.size)}  ${verdict(b.init)}`,
    );
  }
  for (const b of bundles) {
    if (!b.size.met) lines.push(`  MISS size ${b.handler}: ${b.size.reason}`);
    if (!b.init.met) lines.push(`  MISS init ${b.handler}: ${b.init.reason}`);
  }
  return lines;
}
