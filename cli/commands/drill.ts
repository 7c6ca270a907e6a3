import { fileURLToPath } from 'node:url';
import { Argument, type Command } from 'commander';
import type { CommandContext } from '../command-context';
import { confirmed } from '../confirm';
import { parseConfigText } from '../../lambdas/core/config/config-file';
import { resolverWith, type ConnectTo } from '../../lambdas/adapters/tls/connect-to';
import { DRILL_SCENARIOS, type DrillResult, type DrillScenario } from '../drill/drill-result';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';
import { collectConnectTo } from './dns';
import { readFileSync } from 'node:fs';

const EMBEDDED_CONFIG = fileURLToPath(
  new URL('../../drpilot.config.example.json', import.meta.url),
);

interface DrillFlags {
  embedded: boolean;
  live: boolean;
  realK8s: boolean;
  scaleUp: boolean;
  report?: string;
  connectTo?: ConnectTo;
}

function renderDrill(result: DrillResult, reportFile: string | null): string {
  const lines = [
    `drill ${result.scenario}: ${result.ok ? 'PASSED' : 'FAILED'}${result.emulated ? ' (emulated clouds: figures are not production figures)' : ''}`,
    ...(result.kubernetesApi ? [`  Kubernetes API: ${result.kubernetesApi}`] : []),
    ...(result.aksSide ? [`  AKS side: ${result.aksSide}`] : []),
    ...result.steps.map((step) => {
      const seconds = (Date.parse(step.endedAt) - Date.parse(step.startedAt)) / 1000;
      const mark = step.skipped ? '–' : step.ok ? '✓' : '✗';
      const setup = step.phase === 'setup' ? ' [setup]' : '';
      return `  ${mark} ${step.name}${setup} (${seconds.toFixed(2)} s)\n      ${step.detail}`;
    }),
  ];
  if (result.undone?.length) {
    lines.push(
      `  undone: ${result.undone.map((u) => `${u.name}${u.ok ? '' : ' (FAILED)'}`).join('; ')}`,
    );
  }
  if (reportFile) lines.push(`report: ${reportFile}`);
  return lines.join('\n');
}

export function registerDrill(program: Command, context: CommandContext): void {
  program
    .command('drill')
    .description('run a DR drill and report steps, timings, RTO and RPO')
    .addArgument(new Argument('<scenario>', 'what to drill').choices(DRILL_SCENARIOS))
    .option(
      '--embedded',
      'drill against an emulated two-region estate (moto), seeded from the config',
      false,
    )
    .option('--live', 'flip the customer-facing record instead of dns.drillRecordName', false)
    .option(
      '--real-k8s',
      'with --embedded: drain through a real kube-apiserver + kwok (npm run setup:k8s) instead of the fake Kubernetes API, and restore with real Velero servers (npm run setup:velero)',
      false,
    )
    .option(
      '--scale-up',
      'runbook: scale the DR node groups up one rung first (scaled down again when a later step fails)',
      false,
    )
    .option(
      '--connect-to <name=address:port>',
      'against an estate: where the TLS checks connect for an endpoint name (repeatable; SNI and certificate checks unchanged)',
      collectConnectTo,
    )
    .option(
      '--report <dir>',
      'write drill-report.md, drill-timeline.svg and drill-result.json here',
    )
    .action(async (scenario: DrillScenario, flags: DrillFlags, command: Command) => {
      const { io, options, output } = context.for(command);
      const usage = usageProblem(scenario, flags, options.via);
      if (usage) {
        output.result(
          { error: { kind: 'usage', message: usage } },
          () => `drpilot drill: ${usage}`,
        );
        return context.exit(ExitCode.usage);
      }
      const config =
        flags.embedded && !options.config && !io.env.DRPILOT_CONFIG
          ? embeddedConfig()
          : configOrReport(options, io, output);
      if (!config) return context.exit(ExitCode.usage);
      if (!(await confirmed(context, command))) return;

      if (options.via === 'lambda') {
        const { runRunbookViaLambda } = await import('../drill/runbook-via-lambda');
        const { writeDrillReport } = await import('../drill/write-report');
        const ran = await runRunbookViaLambda(
          config,
          { drill: !flags.live, scaleUp: flags.scaleUp },
          (message) => output.progress(message),
        );
        for (const url of ran.stored) output.progress(`stored ${url}`);
        const reportFile = flags.report ? writeDrillReport(flags.report, ran.result) : null;
        output.result(ran.result, () => renderDrill(ran.result, reportFile));
        return context.exit(ran.result.ok ? ExitCode.done : ExitCode.failed);
      }
      // Loaded on use: the drill brings the emulators and the Function app (seconds to load).
      const { runDrill } = await import('../drill/run-drill');
      const { runRunbookDrill } = await import('../drill/run-runbook-drill');
      const { writeDrillReport } = await import('../drill/write-report');
      const onProgress = (message: string) => output.progress(message);
      const resolver = flags.connectTo ? resolverWith(flags.connectTo) : undefined;
      const result =
        scenario === 'runbook'
          ? await runRunbookDrill({
              config,
              embedded: flags.embedded,
              live: flags.live,
              scaleUp: flags.scaleUp,
              ...(resolver ? { resolver } : {}),
              onProgress,
            })
          : await runDrill({
              scenario,
              config,
              embedded: flags.embedded,
              live: flags.live,
              realKubernetes: flags.realK8s,
              ...(resolver ? { resolver } : {}),
              onProgress,
            });
      const reportFile = flags.report ? writeDrillReport(flags.report, result) : null;
      output.result(result, () => renderDrill(result, reportFile));
      context.exit(result.ok ? ExitCode.done : ExitCode.failed);
    });
}

function usageProblem(
  scenario: DrillScenario,
  flags: DrillFlags,
  via: 'local' | 'lambda',
): string | null {
  if (flags.realK8s && !flags.embedded)
    return '--real-k8s drills the embedded estate: add --embedded';
  if (flags.scaleUp && scenario !== 'runbook') return '--scale-up is a step of `drill runbook`';
  if (via === 'lambda' && scenario !== 'runbook')
    return '--via lambda runs the deployed runbook state machine: use `drill runbook --via lambda`';
  if (flags.connectTo && ['resize', 'resync', 'restore'].includes(scenario))
    return `--connect-to steers TLS checks, and \`drill ${scenario}\` runs none`;
  if (flags.connectTo && flags.embedded)
    return "--connect-to points the TLS checks at an estate's endpoints; --embedded serves its own: choose one";
  if (flags.connectTo && via === 'lambda')
    return '--connect-to steers TLS checks run in this process; the deployed functions resolve names themselves: drop it with --via lambda';
  if (via === 'lambda' && flags.embedded)
    return '--via lambda runs in the deployed account; --embedded runs in this process: choose one';
  return null;
}

function embeddedConfig() {
  const loaded = parseConfigText(readFileSync(EMBEDDED_CONFIG, 'utf8'), EMBEDDED_CONFIG);
  if (!loaded.ok)
    throw new Error(`the embedded example config is invalid: ${JSON.stringify(loaded.errors)}`);
  return loaded.config;
}
