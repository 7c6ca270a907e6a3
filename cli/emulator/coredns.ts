import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from './moto-server';

const SETUP_SCRIPT = fileURLToPath(new URL('../../scripts/setup-coredns.sh', import.meta.url));

/**
 * The pinned CoreDNS the project's setup builds (`scripts/setup-coredns.sh`, cached outside the
 * clone). `build: true` builds it when missing (tests; `npm test` runs the script first);
 * `build: false` only looks and answers null when it is not there (the embedded drill never waits
 * for a Go build).
 */
export function corednsBinary(options: { build: boolean } = { build: true }): string | null {
  try {
    const out = execFileSync('bash', [SETUP_SCRIPT, ...(options.build ? [] : ['--no-build'])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return out.trim().split('\n').at(-1) as string;
  } catch (error) {
    if (!options.build && (error as { status?: number }).status === 3) return null;
    throw error;
  }
}

export interface CoreDnsRun {
  port: number;
  /** `CoreDNS-1.15.0`, as it printed on start. */
  version: string;
  /** What CoreDNS printed. */
  output(): string;
  stop(): Promise<void>;
}

export type CoreDnsStart = { loaded: true; run: CoreDnsRun } | { loaded: false; output: string };

/**
 * Runs CoreDNS on a free loopback port with `corefile` and, beside it, `custom/` holding
 * `customFiles` — the layout AKS mounts coredns-custom into (/etc/coredns/custom). A config that
 * does not load makes CoreDNS exit; one that does prints its server list and version.
 */
export async function startCoreDns(
  corefile: string,
  customFiles: Record<string, string>,
  options: { binary?: string } = {},
): Promise<CoreDnsStart> {
  const binary = options.binary ?? (corednsBinary({ build: true }) as string);
  const dir = await mkdtemp(join(tmpdir(), 'drpilot-coredns-'));
  await mkdir(join(dir, 'custom'));
  await writeFile(join(dir, 'Corefile'), corefile);
  for (const [name, text] of Object.entries(customFiles)) {
    await writeFile(join(dir, 'custom', name), text);
  }
  const port = await freeLoopbackPort();
  const child = spawn(binary, ['-conf', 'Corefile', '-dns.port', String(port)], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null) done();
    child.once('exit', () => done());
    child.once('error', () => done());
  });
  const version = await new Promise<string | null>((done) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // CoreDNS prints "CoreDNS-<version>" once every server is listening.
      const printed = /CoreDNS-\d+\.\d+\.\d+/.exec(output);
      if (printed) done(printed[0]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => done(null));
  });
  if (!version) {
    await rm(dir, { recursive: true, force: true });
    return { loaded: false, output };
  }
  return {
    loaded: true,
    run: {
      port,
      version,
      output: () => output,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      },
    },
  };
}

/**
 * AKS's default Corefile, as AKS ships it in the `coredns` ConfigMap (kube-system) and reconciles
 * it (robbiezhang/AKS-Runbooks, coredns/1.aks-customization/Note.md; the `.server`/`.override`
 * naming convention: MicrosoftDocs/azure-docs articles/aks/coredns-custom.md):
 *
 *     .:53 {
 *         errors
 *         ready
 *         health
 *         kubernetes cluster.local in-addr.arpa ip6.arpa {
 *           pods insecure
 *           fallthrough in-addr.arpa ip6.arpa
 *         }
 *         prometheus :9153
 *         forward . /etc/resolv.conf
 *         cache 30
 *         loop
 *         reload
 *         loadbalance
 *         import custom/*.override
 *     }
 *     import custom/*.server
 *
 * Here, outside a cluster, with only what cannot run on this machine changed: no `kubernetes`
 * plugin (it needs an API server), no `ready`/`health`/`prometheus` (fixed ports), `.` instead of
 * `.:53` so `-dns.port` puts the server on a free port, and the upstream is a stub "Azure DNS" on
 * loopback instead of /etc/resolv.conf, so nothing leaves the machine. The two imports — what
 * drpilot's entries plug into — are exactly AKS's.
 */
export function aksStyleCorefile(azureDns: string): string {
  return [
    '. {',
    '    errors',
    `    forward . ${azureDns}:53`,
    '    cache 30',
    '    loop',
    '    reload',
    '    loadbalance',
    '    import custom/*.override',
    '}',
    'import custom/*.server',
    '',
  ].join('\n');
}
