import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import type { CliIo } from '../../cli/io';

/** Where a drill writes its report: `report` in a fresh temporary directory (the CLI makes it). */
export const newReportDir = (prefix = 'drpilot-drill-') =>
  join(mkdtempSync(join(tmpdir(), prefix)), 'report');

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
