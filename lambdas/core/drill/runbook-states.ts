/**
 * Names shared by the deployed runbook state machine (lib/drill-runbook.ts) and what reads its
 * executions (`drill runbook --via lambda`, core/drill/history-steps.ts). Pure.
 */
import type { DrpilotConfig } from '../config/schema';

/** The state machine of the control region that runs the drill runbook. */
export function drillStateMachineName(config: Pick<DrpilotConfig, 'name'>): string {
  return `${config.name}-drpilot-drill-runbook`;
}

/** States that are not steps of the runbook. */
export const RUNBOOK_STATES = {
  start: 'read the input',
  passed: 'drill passed',
  failed: 'drill failed',
} as const;

/** A step's key in the execution's data (`$.results.<key>`): its id with every other character as `_`. */
export function resultKey(id: string): string {
  return id.replace(/[^A-Za-z0-9]/g, '_');
}

/**
 * The bucket drill reports are stored in, `<name>-drpilot-drills-<account>` (bucket names are
 * global; the account keeps them apart, the name keeps within S3's 63 characters).
 */
export function drillReportBucketName(
  config: Pick<DrpilotConfig, 'name'>,
  account: string,
): string {
  return `${config.name}-drpilot-drills-${account}`;
}

/** Where one execution's report goes in that bucket: `drills/<execution name>/`. */
export function drillReportPrefix(executionName: string): string {
  return `drills/${executionName}/`;
}
