/** What a command may touch of its process, so tests run the CLI in-process with their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
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
  };
}
