import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { CREATE_REQUIRE_BANNER, ESBUILD_TARGET } from '../lib/lambda-bundling';

export interface BundleMeasurement {
  handler: string;
  bytes: number;
  gzipBytes: number;
  initMsMedian: number;
  /** Module init time over the baseline's (an empty module in an equally fresh process). */
  initRatio: number;
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

/** Bundles a handler as the CDK construct does: ESM, minified, the pinned SDK inside. */
async function bundle(entry: string, config: string): Promise<string> {
  const outfile = join(OUT_DIR, entry.replace(/[/.]/g, '_') + '.mjs');
  await build({
    entryPoints: [join(REPO_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    mainFields: ['module', 'main'],
    banner: { js: CREATE_REQUIRE_BANNER },
    minify: true,
    define: { 'process.env.DRPILOT_CONFIG_JSON': JSON.stringify(config) },
    logLevel: 'error',
  });
  return outfile;
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
  const config = readFileSync(join(REPO_ROOT, 'drpilot.config.example.json'), 'utf8');
  const empty = join(OUT_DIR, 'empty.mjs');
  writeFileSync(empty, 'export const handler = async () => null;\n');
  const files = await Promise.all(
    handlerEntries().map(async (entry) => ({ entry, file: await bundle(entry, config) })),
  );

  // Interleave the runs so load on the machine hits baseline and bundles alike.
  const baseline: number[] = [];
  const samples = files.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    baseline.push(importTimeMs(empty));
    files.forEach(({ file }, j) => samples[j]?.push(importTimeMs(file)));
  }
  const baselineMs = median(baseline);
  return {
    baselineMs,
    bundles: files.map(({ entry, file }, j) => {
      const bytes = readFileSync(file);
      const initMsMedian = median(samples[j] ?? []);
      return {
        handler: entry,
        bytes: bytes.length,
        gzipBytes: gzipSync(bytes).length,
        initMsMedian,
        initRatio: initMsMedian / baselineMs,
      };
    }),
  };
}
