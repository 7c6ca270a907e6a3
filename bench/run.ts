import { measureBundles } from './lambda-bundles';

const json = process.argv.includes('--json');
const runs = Number(process.env.BENCH_RUNS ?? 15);

const { baselineMs, bundles } = await measureBundles(runs);
const result = { runs, baseline: { emptyModuleInitMs: baselineMs }, lambdaBundles: bundles };

if (json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(
    `Lambda bundles (module init: median of ${runs} fresh processes; baseline = empty module, ${baselineMs.toFixed(1)} ms)`,
  );
  console.log(
    `${'handler'.padEnd(32)}${'size'.padStart(12)}${'gzip'.padStart(12)}${'init'.padStart(12)}${'× baseline'.padStart(12)}`,
  );
  for (const b of bundles) {
    console.log(
      `${b.handler.padEnd(32)}${kib(b.bytes).padStart(12)}${kib(b.gzipBytes).padStart(12)}${`${b.initMsMedian.toFixed(1)} ms`.padStart(12)}${b.initRatio.toFixed(2).padStart(12)}`,
    );
  }
}
