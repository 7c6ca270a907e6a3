import { createInterface } from 'node:readline/promises';

/** What a command may touch of its process, so tests run the CLI in-process with their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where a question can be asked (cli/confirm.ts): absent when stdin is not a terminal. */
  terminal?: { ask: (question: string) => Promise<string> };
}

/**
 * The process's own streams, with stdout kept for the command's result: whatever else writes to
 * process.stdout while a command runs — the handler code's Powertools logs when it runs
 * in-process, a library's notice — goes to stderr, so `--json` prints one JSON document.
 */
export function processIo(): CliIo {
  const writeResult = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  return {
    stdout: (text) => void writeResult(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    ...(process.stdin.isTTY ? { terminal: { ask: askOnTerminal } } : {}),
  };
}

/** The question on stderr (stdout is kept for the result), the answer from stdin. */
async function askOnTerminal(question: string): Promise<string> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-C at the prompt is a "no"; left alone, readline would only pause stdin.
  const interrupted = new AbortController();
  terminal.on('SIGINT', () => interrupted.abort());
  try {
    return await terminal.question(question, { signal: interrupted.signal });
  } catch {
    return '';
  } finally {
    terminal.close();
  }
}
