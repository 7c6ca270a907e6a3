import { join } from 'node:path';
import { expect } from 'vitest';
import type { DrillStep } from '../../cli/drill/drill-result';
import { main } from '../../cli/main';
import type { CliIo } from '../../cli/io';
import { tempDir } from './temp-dir';

/** Where a drill writes its report: `report` in a fresh temporary directory (the CLI makes it). */
export const newReportDir = (prefix = 'drpilot-drill-') => join(tempDir(prefix), 'report');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document --json promises. */
  json: () => any;
  /** The questions asked on the terminal (cli/confirm.ts), in order. */
  questions: string[];
}

/** Runs the CLI in this process, with its own stdout/stderr and environment. */
export async function runCli(
  argv: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** Run as if stdin were a terminal, answering every question with this. */
    terminalAnswer?: string;
  } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const questions: string[] = [];
  const { terminalAnswer } = options;
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: options.env ?? { ...process.env, DRPILOT_CONFIG: undefined },
    cwd: options.cwd ?? process.cwd(),
    ...(terminalAnswer !== undefined
      ? {
          terminal: {
            ask: (question) => {
              questions.push(question);
              return Promise.resolve(terminalAnswer);
            },
          },
        }
      : {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout), questions };
}

/**
 * `drpilot drill <scenario> --embedded --real-k8s --json --report <dir>`, which must pass every
 * step and exit 0 (the failed steps and stderr's end are shown when it does not).
 */
export async function drillRealK8s(scenario: string) {
  const reportDir = newReportDir();
  const run = await runCli([
    'drill',
    scenario,
    '--embedded',
    '--real-k8s',
    '--json',
    '--report',
    reportDir,
  ]);
  const result = run.json();
  const steps: DrillStep[] = result.steps;
  expect(
    steps.filter((s) => !s.ok),
    run.stderr.slice(-4000),
  ).toEqual([]);
  expect(run.code).toBe(0);
  return { run, result, steps, reportDir };
}
