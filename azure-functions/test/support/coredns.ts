import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './free-port';

const SETUP_SCRIPT = resolve(import.meta.dirname, '../../../scripts/setup-coredns.sh');

/** The pinned CoreDNS the project's setup builds (a quick no-op once built). */
export function corednsBinary(): string {
  const out = execFileSync('bash', [SETUP_SCRIPT], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out.trim().split('\n').at(-1) as string;
}

export interface CoreDnsRun {
  port: number;
  /** What CoreDNS printed. */
  output(): string;
  stop(): Promise<void>;
}

export type CoreDnsStart = { loaded: true; run: CoreDnsRun } | { loaded: false; output: string };

/**
 * Runs CoreDNS on a free loopback port with `corefile` and, beside it, `custom/` holding
 * `customFiles` — the layout AKS mounts coredns-custom into (/etc/coredns/custom). A config that
 * does not load makes CoreDNS exit; one that does prints its server list.
 */
export async function startCoreDns(
  corefile: string,
  customFiles: Record<string, string>,
): Promise<CoreDnsStart> {
  const dir = await mkdtemp(join(tmpdir(), 'drpilot-coredns-'));
  await mkdir(join(dir, 'custom'));
  await writeFile(join(dir, 'Corefile'), corefile);
  for (const [name, text] of Object.entries(customFiles)) {
    await writeFile(join(dir, 'custom', name), text);
  }
  const port = await freePort();
  const child = spawn(corednsBinary(), ['-conf', 'Corefile', '-dns.port', String(port)], {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const started = await new Promise<boolean>((done) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // CoreDNS prints "CoreDNS-<version>" once every server is listening.
      if (/CoreDNS-\d+\.\d+\.\d+/.test(output)) done(true);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => done(false));
  });
  if (!started) {
    await rm(dir, { recursive: true, force: true });
    return { loaded: false, output };
  }
  return {
    loaded: true,
    run: {
      port,
      output: () => output,
      stop: async () => {
        if (child.exitCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      },
    },
  };
}
