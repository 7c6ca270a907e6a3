/**
 * A lock held across processes on this machine, for a resource only one process may use at a
 * time (the Velero server: its metrics server always binds :8080). It is util-linux `flock` on a
 * file: a helper process takes the lock, says so, and holds it until its stdin closes. The kernel
 * drops a flock lock with the last descriptor, so the lock goes when we release it, when this
 * process dies (the helper's stdin closes, and `setpriv --pdeathsig KILL` kills it) or when the
 * helper is killed — never left behind by a crashed test worker.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface MachineLock {
  /** Releases the lock; idempotent. */
  release(): Promise<void>;
}

export class MachineLockTimeoutError extends Error {
  override readonly name = 'MachineLockTimeoutError';
}

export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/**
 * Waits up to `timeoutMs` for the lock on `file` (created if missing). `what` names the holder's
 * purpose in the timeout error.
 */
export async function acquireMachineLock(
  file: string,
  options: { timeoutMs: number; what: string; onWait?: () => void },
): Promise<MachineLock> {
  const flock = findOnPath('flock');
  if (!flock) throw new Error(`flock (util-linux) is needed to take the ${options.what} lock`);
  const setpriv = findOnPath('setpriv');
  const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  // --close: the shell and cat do not inherit the lock descriptor, so only flock holds it.
  const args = ['--close', '--wait', String(seconds), file, '-c', 'echo locked; exec cat'];
  const [command, argv] = setpriv
    ? [setpriv, ['--pdeathsig', 'KILL', '--', flock, ...args]]
    : [flock, args];
  const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  const waiting = setTimeout(() => options.onWait?.(), 1_000);
  const locked = await new Promise<boolean>((resolve) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('locked')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  clearTimeout(waiting);
  if (!locked) {
    const code = await exited;
    throw new MachineLockTimeoutError(
      `the ${options.what} lock (${file}) was not free within ${seconds} s (flock exit ${code})`,
    );
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let released: Promise<void> | undefined;
  return {
    release: () =>
      (released ??= (async () => {
        process.removeListener('exit', killOnExit);
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      })()),
  };
}
