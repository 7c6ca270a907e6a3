import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export interface MotoServerOptions {
  /** Extra environment for moto, e.g. `{ MOTO_S3_DEFAULT_MAX_KEYS: '2' }`. */
  env?: Record<string, string>;
  /** Where moto's stderr (its request log) goes in full; by default only a tail is kept. */
  logFile?: string;
  /** How long to wait for moto to answer HTTP. */
  startTimeoutMs?: number;
  /**
   * Python's thread switch interval in moto (default 0.005 s). A tiny value makes request
   * threads interleave often, so a test can show that concurrent conditional writes stay atomic.
   */
  threadSwitchSeconds?: number;
}

export interface MotoServer {
  /** `http://127.0.0.1:PORT`: the value for AWS_ENDPOINT_URL. */
  readonly endpoint: string;
  /** Forgets every resource in every service and region. */
  reset(): Promise<void>;
  /** Kills moto and waits until it is gone. Safe to call twice. */
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const venvPython = join(repoRoot, '.venv', 'bin', 'python');
const motoServerBin = join(repoRoot, '.venv', 'bin', 'moto_server');
const stampFile = join(repoRoot, '.venv', '.requirements-dev.sha256');
const requirementsFile = join(repoRoot, 'requirements-dev.txt');
const setupScript = join(repoRoot, 'scripts', 'setup-venv.sh');

const STDERR_TAIL_LINES = 40;
const BIND_ATTEMPTS = 3;

// moto.server.main is what .venv/bin/moto_server runs. The thread makes moto exit as soon as its
// stdin closes, which happens when we stop it and also when our process dies without cleanup
// (SIGKILL, a crashed test worker), so no orphaned moto outlives its parent.
//
// AWS applies each DynamoDB write and each Route 53 change batch atomically: of two conditional
// writes racing for one lease, exactly one succeeds. moto's server answers requests on threads
// with no lock around its backends (moto/moto_server/werkzeug_app.py, moto/server.py
// \`threaded=True\`), so two conditional PutItems can both pass their check. The wrapper below
// restores AWS's rule by answering DynamoDB and Route 53 requests one at a time (everything else,
// e.g. SQS long polls, stays concurrent).
const MOTO_BOOTSTRAP = `
import os, sys, threading
sys.setswitchinterval(float(os.environ.get('DRPILOT_MOTO_THREAD_SWITCH_SECONDS', '0.005')))
def exit_when_parent_goes():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=exit_when_parent_goes, daemon=True).start()
import moto.server
atomic = threading.Lock()
def atomic_like_aws(app):
    def serve(environ, start_response):
        target = environ.get('HTTP_X_AMZ_TARGET', '')
        path = environ.get('PATH_INFO', '')
        if not (target.startswith('DynamoDB_') or path.startswith('/2013-04-01/')):
            return app(environ, start_response)
        with atomic:
            answer = app(environ, start_response)
            try:
                return [b''.join(answer)]
            finally:
                getattr(answer, 'close', lambda: None)()
    return serve
run_simple = moto.server.run_simple
moto.server.run_simple = lambda host, port, app, **options: run_simple(host, port, atomic_like_aws(app), **options)
moto.server.main(sys.argv[1:])
`;

export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  await ensureVenv();
  let lastError: unknown;
  for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
    const port = await freeLoopbackPort();
    try {
      return await launch(port, options);
    } catch (error) {
      // Another process may grab the port between our probe and moto's bind; try a fresh one.
      if (!(error instanceof MotoStartError) || !error.portInUse) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

/** Runs scripts/setup-venv.sh when .venv is missing or older than requirements-dev.txt. */
export async function ensureVenv(): Promise<void> {
  if (isVenvCurrent()) return;
  await new Promise<void>((resolve, reject) => {
    const setup = spawn('bash', [setupScript], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    setup.on('error', reject);
    setup.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`scripts/setup-venv.sh failed (${signal ?? `exit ${code}`})`));
    });
  });
}

function isVenvCurrent(): boolean {
  if (!existsSync(motoServerBin) || !existsSync(stampFile)) return false;
  const wanted = createHash('sha256').update(readFileSync(requirementsFile)).digest('hex');
  return readFileSync(stampFile, 'utf8').trim() === wanted;
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no free loopback port'))));
    });
  });
}

class MotoStartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
    this.name = 'MotoStartError';
  }
}

async function launch(port: number, options: MotoServerOptions): Promise<MotoServer> {
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(venvPython, ['-c', MOTO_BOOTSTRAP, '-H', '127.0.0.1', '-p', String(port)], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      ...(options.threadSwitchSeconds !== undefined && {
        DRPILOT_MOTO_THREAD_SWITCH_SECONDS: String(options.threadSwitchSeconds),
      }),
      ...options.env,
    },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const stderrTail = captureStderr(child, options.logFile);
  child.stdin?.on('error', () => {}); // EPIPE when moto is already gone: nothing to do
  // 'close' comes after the stderr pipe drained, so the tail is complete by then.
  const gone = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    child.stdin?.end();
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await gone;
    clearTimeout(killTimer);
  };

  try {
    await waitUntilAnswering(endpoint, child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    const tail = stderrTail();
    throw new MotoStartError(
      `${(error as Error).message}\n--- moto stderr (tail) ---\n${tail}`,
      /address already in use/i.test(tail),
    );
  }

  return {
    endpoint,
    stop,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
  };
}

function captureStderr(child: ChildProcess, logFile: string | undefined): () => string {
  const lines: string[] = [];
  let partial = '';
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  child.stderr?.on('data', (chunk: Buffer) => {
    log?.write(chunk);
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.length > STDERR_TAIL_LINES) lines.splice(0, lines.length - STDERR_TAIL_LINES);
  });
  child.stderr?.on('close', () => log?.end());
  return () => [...lines, partial].filter(Boolean).join('\n');
}

async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`moto could not be started: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `moto exited during startup (${child.signalCode ?? `exit ${child.exitCode}`})`,
      );
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/config`, {
        signal: AbortSignal.timeout(1_000),
      });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto did not answer on ${endpoint} within ${timeoutMs} ms`);
}
