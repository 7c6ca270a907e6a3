import { measureDnsSwitch, type DnsBenchResult } from './dns-switch';
import { measureBundles, type BundleMeasurement } from './lambda-bundles';
import {
  formatResyncBench,
  measureResyncVsS3Sync,
  type ResyncBenchResult,
} from './resync-vs-s3-sync';
import {
  benchResizeSimulation,
  formatSimulateBench,
  type SimulateBenchResult,
} from './resize-simulate';

const json = process.argv.includes('--json');
const runs = Number(process.env.BENCH_RUNS ?? 15);
/** First-sync repetitions (fresh targets each) and no-op re-sync repetitions of the resync bench. */
const resyncReps = Number(process.env.BENCH_RESYNC_REPS ?? 3);
const resyncNoopReps = Number(process.env.BENCH_RESYNC_NOOP_REPS ?? 5);
/** Comma-separated sections to run (bundles, resync, dns, simulate); all by default. */
const dnsRuns = Number(process.env.BENCH_DNS_RUNS ?? 30);
const only = (process.env.BENCH_ONLY ?? 'bundles,resync,dns,simulate')
  .split(',')
  .map((s) => s.trim());
// Figures only by default; --verbose adds progress and the handlers' own log lines (stderr).
const verbose = process.argv.includes('--verbose');
if (!verbose) {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
}
const log = (message: string) => {
  if (verbose) process.stderr.write(`${message}\n`);
};

interface BenchResult {
  runs?: number;
  baseline?: { emptyModuleInitMs: number };
  lambdaBundles?: BundleMeasurement[];
  resync?: ResyncBenchResult;
  dnsSwitch?: DnsBenchResult;
  resizeSimulation?: SimulateBenchResult;
}

const result: BenchResult = {};
let baselineMs = 0;
if (only.includes('bundles')) {
  log(`bundle bench: ${runs} runs per bundle`);
  const measured = await measureBundles(runs);
  baselineMs = measured.baselineMs;
  Object.assign(result, {
    runs,
    baseline: { emptyModuleInitMs: measured.baselineMs },
    lambdaBundles: measured.bundles,
  });
}
if (only.includes('resync')) {
  result.resync = await measureResyncVsS3Sync({
    reps: resyncReps,
    noopReps: resyncNoopReps,
    log,
  });
}

if (only.includes('dns')) {
  result.dnsSwitch = await measureDnsSwitch(dnsRuns, log);
}
if (only.includes('simulate')) {
  result.resizeSimulation = benchResizeSimulation();
}

if (json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  if (result.lambdaBundles) {
    console.log(
      `Lambda bundles (module init: median of ${runs} fresh processes; baseline = empty module, ${baselineMs.toFixed(1)} ms)`,
    );
    console.log(
      `${'handler'.padEnd(32)}${'size'.padStart(12)}${'gzip'.padStart(12)}${'init'.padStart(12)}${'× baseline'.padStart(12)}`,
    );
    for (const b of result.lambdaBundles) {
      console.log(
        `${b.handler.padEnd(32)}${kib(b.bytes).padStart(12)}${kib(b.gzipBytes).padStart(12)}${`${b.initMsMedian.toFixed(1)} ms`.padStart(12)}${b.initRatio.toFixed(2).padStart(12)}`,
      );
    }
  }
  if (result.resync) {
    if (result.lambdaBundles) console.log('');
    for (const line of formatResyncBench(result.resync)) console.log(line);
  }
  if (result.dnsSwitch) {
    const d = result.dnsSwitch;
    console.log('');
    console.log(`DNS failover, the cost of safety (EMULATED: moto; median of ${d.runs})`);
    console.log(
      `  handler end to end ${d.handlerMsMedian.toFixed(1)} ms vs one bare ChangeResourceRecordSets ${d.bareChangeMsMedian.toFixed(1)} ms: ${d.ratio.toFixed(2)}× (target ${d.target}) ${d.met ? 'PASS' : 'MISS'}`,
    );
  }
  if (result.resizeSimulation) {
    console.log('');
    for (const line of formatSimulateBench(result.resizeSimulation)) console.log(line);
  }
}
