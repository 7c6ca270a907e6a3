import { readFileSync } from 'node:fs';
import { designedRto, rtoFloorReason, type DesignedRto } from '../lambdas/core/dns/designed-rto';
import { validateConfig } from '../lambdas/core/config/validate';
import { formatRunbookBench, measureDnsRunbook, type RunbookBenchResult } from './dns-runbook';
import { measureDnsSwitch, type DnsBenchResult } from './dns-switch';
import { formatBundleBench, measureBundles, type BundleBench } from './lambda-bundles';
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

// The pinned SDK runs on Node 20; its notice about future releases is not a bench result.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const json = process.argv.includes('--json');
const runs = Number(process.env.BENCH_RUNS ?? 15);
/** First-sync repetitions (fresh targets each) and no-op re-sync repetitions of the resync bench. */
const resyncReps = Number(process.env.BENCH_RESYNC_REPS ?? 5);
const resyncNoopReps = Number(process.env.BENCH_RESYNC_NOOP_REPS ?? 5);
const dnsRuns = Number(process.env.BENCH_DNS_RUNS ?? 30);
/** Runbook and drpilot failovers as processes (each a few seconds). */
const runbookRuns = Number(process.env.BENCH_RUNBOOK_RUNS ?? 5);
/** Comma-separated sections to run (bundles, resync, dns, runbook, simulate); all by default. */
const only = (process.env.BENCH_ONLY ?? 'bundles,resync,dns,runbook,simulate')
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
  lambdaBundles?: BundleBench;
  resync?: ResyncBenchResult;
  dnsSwitch?: DnsBenchResult;
  dnsRunbook?: RunbookBenchResult;
  /** The example config's designed RTO, with the decision term measured by the dns section. */
  designedRto?: DesignedRto;
  resizeSimulation?: SimulateBenchResult;
}

const result: BenchResult = {};
if (only.includes('bundles')) {
  log(`bundle bench: ${runs} runs per bundle`);
  result.lambdaBundles = await measureBundles(runs);
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
  const example = validateConfig(
    JSON.parse(readFileSync(new URL('../drpilot.config.example.json', import.meta.url), 'utf8')),
  );
  if (!example.ok) throw new Error('the example config is invalid');
  result.designedRto = designedRto(example.config.dns, {
    seconds: result.dnsSwitch.handlerMsMedian / 1000,
    basis: `measured: median of ${dnsRuns} emulated handler failovers`,
  });
}
if (only.includes('runbook')) {
  result.dnsRunbook = await measureDnsRunbook(runbookRuns, log);
}
if (only.includes('simulate')) {
  result.resizeSimulation = benchResizeSimulation();
}

if (json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  if (result.lambdaBundles) {
    for (const line of formatBundleBench(result.lambdaBundles)) console.log(line);
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
      `  handler end to end ${d.handlerMsMedian.toFixed(1)} ms vs one bare ChangeResourceRecordSets ${d.bareChangeMsMedian.toFixed(1)} ms: ${d.ratio.toFixed(2)}× (no target: no one switches with a bare call; the runbook below is the yardstick)`,
    );
  }
  if (result.designedRto) {
    const rto = result.designedRto;
    console.log('');
    console.log(
      `Designed RTO of the example config: ${rto.totalSeconds} s (target ${rto.targetSeconds} s) ${rto.met ? 'PASS' : `MISS: ${rtoFloorReason(rto)}`}`,
    );
    for (const t of rto.terms)
      console.log(`  ${t.stage.padEnd(10)}${t.seconds.toFixed(1).padStart(7)} s  ${t.detail}`);
  }
  if (result.dnsRunbook) {
    console.log('');
    for (const line of formatRunbookBench(result.dnsRunbook)) console.log(line);
  }
  if (result.resizeSimulation) {
    console.log('');
    for (const line of formatSimulateBench(result.resizeSimulation)) console.log(line);
  }
}
