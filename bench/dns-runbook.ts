import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { seedEstate } from '../cli/embedded/estate';
import { upsertRecord } from '../cli/embedded/seed-dns';
import {
  serveClusterEndpoints,
  type ClusterEndpoints,
} from '../cli/embedded/tls/cluster-endpoints';
import { createDrillCa } from '../cli/embedded/tls/drill-certificates';
import { startEmulatedAws } from '../cli/emulator/emulated-aws';
import { dynamoDbDocumentClient, route53Client } from '../lambdas/adapters/aws/clients';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { validateConfig } from '../lambdas/core/config/validate';
import { stateKeys } from '../lambdas/core/state-keys';
import { runResync } from '../lambdas/resync/run-resync';
import { median } from './lambda-bundles';
import { chooseCli } from '../cli/launch.mjs';
import { buildCli } from '../scripts/build-cli';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const awsCli = join(repoRoot, '.venv', 'bin', 'aws');
const drpilotBin = join(repoRoot, 'cli', 'drpilot.mjs');
const BUNDLE = 'the bundle (npm run build:cli)';

export interface RunbookBenchResult {
  runs: number;
  /** `aws route53 change-resource-record-sets` + `aws route53 wait resource-record-sets-changed`. */
  runbookMsMedian: number;
  /** `drpilot failover` as a process: lease, alarms re-read, TLS, backup, cooldown, CAS, INSYNC. */
  drpilotMsMedian: number;
  /** `drpilot --version` as a process: what starting the CLI costs before any check. */
  drpilotStartMsMedian: number;
  /** One `aws --version` process: the runbook pays this twice. */
  awsCliStartMsMedian: number;
  /**
   * Which CLI the drpilot runs were: the bundle a user installs (`npm run build:cli`, made here
   * before measuring) or the TypeScript sources through tsx (a source changed during the runs).
   */
  cli: string;
  ratio: number;
  target: '<= 1.0';
  met: boolean;
  /** Where the time goes when the target is missed. */
  reason: string | null;
  emulated: true;
}

async function timed(file: string, args: string[]): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const { stdout } = await run(file, args, { cwd: repoRoot, env: process.env });
  return { ms: performance.now() - started, stdout };
}

/**
 * What a platform engineer does instead of drpilot: the manual runbook, as processes. Both sides
 * switch the same main record on the same emulated estate, one after the other per run; drpilot
 * runs with every check on (TLS against local endpoints through --connect-to).
 */
export async function measureDnsRunbook(
  runs: number,
  log: (m: string) => void,
): Promise<RunbookBenchResult> {
  const aws = await startEmulatedAws();
  const dir = mkdtempSync(join(tmpdir(), 'drpilot-bench-runbook-'));
  let served: ClusterEndpoints | undefined;
  try {
    const parsed = validateConfig(
      JSON.parse(readFileSync(new URL('../drpilot.config.example.json', import.meta.url), 'utf8')),
    );
    if (!parsed.ok) throw new Error('the example config is invalid');
    const estate = await seedEstate(parsed.config);
    const ca = await createDrillCa();
    served = await serveClusterEndpoints(estate.config, ca);
    const base: DrpilotConfig = {
      ...estate.config,
      dns: { ...estate.config.dns, checks: { ...estate.config.dns.checks, caBundle: ca.certPem } },
    };
    await runResync(base, { dryRun: false, trigger: 'bench' });
    const { recordName, hostedZoneId } = base.dns;
    const { endpoints } = served;
    const connectTo = (['primary', 'dr'] as const).flatMap((side) => [
      '--connect-to',
      `${base.clusters[side].endpoint}=127.0.0.1:${endpoints[side].port}`,
    ]);
    const documents = dynamoDbDocumentClient(base.controlRegion);
    const configFile = join(dir, 'drpilot.config.json');
    const batchFile = join(dir, 'change-batch.json');
    log(`runbook bench: ${runs} runbook switches, ${runs} drpilot failovers, as processes`);

    const runbookMs: number[] = [];
    const drpilotMs: number[] = [];
    const drpilotStartMs: number[] = [];
    const awsStartMs: number[] = [];
    const clis = new Set<string>();
    // Other work in the checkout may touch a source between runs: rebuild (untimed) so each run
    // starts the bundle of the current sources, as the bin would after `npm run build:cli`.
    const current = async () => {
      if (chooseCli().kind !== 'bundle') await buildCli();
    };
    const cliNow = () => {
      const chosen = chooseCli();
      return chosen.kind === 'bundle' ? BUNDLE : `sources through tsx: ${chosen.reason}`;
    };
    for (let i = 0; i < runs; i++) {
      // Untimed reset, a TTL of its own per run: moto rejects a CREATE identical to one in its
      // change journal (Route 53 does not).
      const config: DrpilotConfig = { ...base, dns: { ...base.dns, ttl: 30 + i } };
      writeFileSync(configFile, JSON.stringify(config));
      const reset = () =>
        upsertRecord(route53Client(), hostedZoneId, {
          name: recordName,
          type: 'CNAME',
          ttl: 30 + i,
          value: config.clusters.primary.endpoint,
        });
      await reset();
      await documents.send(
        new DeleteCommand({
          TableName: config.stateTable,
          Key: { pk: `cooldown#${stateKeys.dnsRecord(recordName)}`, sk: 'cooldown' },
        }),
      );
      await current();
      clis.add(cliNow());
      const failover = await timed(process.execPath, [
        drpilotBin,
        'failover',
        '--yes',
        '--config',
        configFile,
        '--json',
        '--reason',
        'bench',
        ...connectTo,
      ]);
      const outcome = JSON.parse(failover.stdout) as { outcome: string; reason: string };
      if (outcome.outcome !== 'switched') {
        throw new Error(`drpilot failover run ${i}: ${outcome.outcome}: ${outcome.reason}`);
      }
      drpilotMs.push(failover.ms);

      await reset();
      writeFileSync(
        batchFile,
        JSON.stringify({
          Comment: 'manual failover (runbook)',
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: recordName,
                Type: 'CNAME',
                TTL: 30 + i,
                ResourceRecords: [{ Value: config.clusters.dr.endpoint }],
              },
            },
          ],
        }),
      );
      const started = performance.now();
      const change = await timed(awsCli, [
        'route53',
        'change-resource-record-sets',
        '--hosted-zone-id',
        hostedZoneId,
        '--change-batch',
        `file://${batchFile}`,
        '--output',
        'json',
      ]);
      const changeId = (JSON.parse(change.stdout) as { ChangeInfo: { Id: string } }).ChangeInfo.Id;
      await timed(awsCli, ['route53', 'wait', 'resource-record-sets-changed', '--id', changeId]);
      runbookMs.push(performance.now() - started);

      await current();
      clis.add(cliNow());
      drpilotStartMs.push((await timed(process.execPath, [drpilotBin, '--version'])).ms);
      awsStartMs.push((await timed(awsCli, ['--version'])).ms);
    }
    const runbookMsMedian = median(runbookMs);
    const drpilotMsMedian = median(drpilotMs);
    const drpilotStartMsMedian = median(drpilotStartMs);
    const awsCliStartMsMedian = median(awsStartMs);
    const ratio = drpilotMsMedian / runbookMsMedian;
    const met = ratio <= 1;
    return {
      runs,
      runbookMsMedian,
      drpilotMsMedian,
      drpilotStartMsMedian,
      awsCliStartMsMedian,
      cli: [...clis].join('; '),
      ratio,
      target: '<= 1.0',
      met,
      reason: met
        ? null
        : `a drpilot process spends about ${drpilotStartMsMedian.toFixed(0)} ms starting (${clis.size === 1 && clis.has(BUNDLE) ? 'node loading the bundle and its SDK clients' : 'node, tsx compiling the TypeScript, loading the SDK clients'}: \`drpilot --version\`) before any check, against ${awsCliStartMsMedian.toFixed(0)} ms for each of the runbook's two aws processes; in process the whole checked switch takes the "handler end to end" figure above`,
      emulated: true,
    };
  } finally {
    await served?.close();
    await aws.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatRunbookBench(r: RunbookBenchResult): string[] {
  return [
    `DNS failover against the manual runbook (EMULATED: moto; processes; median of ${r.runs})`,
    `  aws route53 change-resource-record-sets + wait resource-record-sets-changed  ${r.runbookMsMedian.toFixed(0)} ms`,
    `  drpilot failover, every check on                                             ${r.drpilotMsMedian.toFixed(0)} ms`,
    `    (CLI run: ${r.cli}; starting it, \`drpilot --version\`: ${r.drpilotStartMsMedian.toFixed(0)} ms; one \`aws --version\`: ${r.awsCliStartMsMedian.toFixed(0)} ms)`,
    `  ratio ${r.ratio.toFixed(2)}× (target ${r.target}) ${r.met ? 'PASS' : `MISS: ${r.reason}`}`,
  ];
}
