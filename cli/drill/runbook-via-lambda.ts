import { randomUUID } from 'node:crypto';
import { storeDrillReport } from '../../lambdas/adapters/aws/drill-report-store';
import {
  describeExecution,
  executionHistory,
  startExecution,
  stateMachineArnByName,
} from '../../lambdas/adapters/aws/step-functions';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { reportFromHistory, type HistoryEvent } from '../../lambdas/core/drill/history-steps';
import { drillRunbook, type RunbookInput } from '../../lambdas/core/drill/runbook';
import {
  drillReportBucketName,
  drillReportPrefix,
  drillStateMachineName,
} from '../../lambdas/core/drill/runbook-states';
import type { DrillResult } from './drill-result';
import { drillReportMarkdown } from './report-markdown';
import { drillTimelineSvg } from './report-timeline-svg';
import { REPORT_FILES } from './write-report';

const POLL_MS = 2_000;

/** The drill result of a runbook execution, from its history (what `--via lambda` reports). */
export function resultFromHistory(
  config: DrpilotConfig,
  events: readonly HistoryEvent[],
): DrillResult {
  const report = reportFromHistory(drillRunbook(config), events);
  return {
    scenario: 'runbook',
    ok: report.ok,
    emulated: false,
    steps: report.steps,
    rtoSeconds: report.rtoSeconds,
    rpoSeconds: report.rpoSeconds,
    kubernetesApi: null,
    aksSide: null,
    restore: null,
    undone: report.undone,
  };
}

export interface ViaLambdaDrill {
  result: DrillResult;
  executionArn: string;
  /** Where the report was stored (s3:// URLs). */
  stored: string[];
}

/**
 * `drill runbook --via lambda`: starts the deployed runbook state machine, prints each step as
 * its history shows it finished, and once the execution ends builds the report from the history
 * and stores it (Markdown, SVG timeline, JSON) in the drill report bucket.
 */
export async function runRunbookViaLambda(
  config: DrpilotConfig,
  input: RunbookInput,
  onProgress: (message: string) => void,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<ViaLambdaDrill> {
  const region = config.controlRegion;
  const machine = drillStateMachineName(config);
  const arn = await stateMachineArnByName(region, machine);
  if (!arn) {
    throw new Error(
      `state machine ${machine} is not deployed in ${region}: run cdk deploy first (the control stack holds it)`,
    );
  }
  const name = `drill-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  const executionArn = await startExecution(region, arn, name, input);
  onProgress(`started ${executionArn}`);
  let reported = 0;
  let events: HistoryEvent[];
  for (;;) {
    const { status } = await describeExecution(region, executionArn);
    events = await executionHistory(region, executionArn);
    const { steps } = resultFromHistory(config, events);
    for (const step of steps.slice(reported)) {
      onProgress(`${step.skipped ? '–' : step.ok ? '✓' : '✗'} ${step.name}: ${step.detail}`);
    }
    reported = steps.length;
    if (status !== 'RUNNING') break;
    await sleep(POLL_MS);
  }
  const result = resultFromHistory(config, events);
  const account = arn.split(':')[4] ?? '';
  const prefix = drillReportPrefix(name);
  const stored = await storeDrillReport(region, drillReportBucketName(config, account), [
    {
      key: `${prefix}${REPORT_FILES.markdown}`,
      body: drillReportMarkdown(result, REPORT_FILES.timeline),
      contentType: 'text/markdown; charset=utf-8',
    },
    {
      key: `${prefix}${REPORT_FILES.timeline}`,
      body: drillTimelineSvg(result),
      contentType: 'image/svg+xml',
    },
    {
      key: `${prefix}${REPORT_FILES.json}`,
      body: `${JSON.stringify({ ...result, executionArn }, null, 2)}\n`,
      contentType: 'application/json',
    },
  ]);
  return { result, executionArn, stored };
}
