import { spawn } from 'node:child_process';
import { basename } from 'node:path';

/** What a project setup script exits with when it is not set up and `--no-build` forbade a build. */
const NOT_SET_UP_EXIT = 3;

/**
 * Runs one of the project's setup scripts (`scripts/setup-*.sh`), which print `name=<path>` lines
 * on stdout, and answers those lines as a map; `build: false` passes `--no-build`, and its exit 3
 * rejects with `notSetUp()`. The script's progress goes to this process's stderr unless `quiet`.
 */
export function runSetupScript(
  script: string,
  options: { build: boolean; quiet?: boolean; notSetUp: () => Error },
): Promise<Map<string, string>> {
  const name = `scripts/${basename(script)}`;
  return new Promise((resolve, reject) => {
    const setup = spawn('bash', [script, ...(options.build ? [] : ['--no-build'])], {
      stdio: ['ignore', 'pipe', options.quiet ? 'ignore' : 'inherit'],
    });
    let stdout = '';
    setup.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    setup.on('error', reject);
    setup.on('close', (code, signal) => {
      if (code === NOT_SET_UP_EXIT) {
        reject(options.notSetUp());
        return;
      }
      if (code !== 0) {
        reject(new Error(`${name} failed (${signal ?? `exit ${code}`})`));
        return;
      }
      resolve(
        new Map(
          stdout
            .split('\n')
            .filter((line) => line.includes('='))
            .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
        ),
      );
    });
  });
}
