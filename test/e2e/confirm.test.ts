import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { upsertRecord } from '../../cli/embedded/seed-dns';
import { route53Client, s3Client } from '../../lambdas/adapters/aws/clients';
import { listObjects } from '../../lambdas/adapters/aws/s3-objects';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

const BIN = fileURLToPath(new URL('../../cli/drpilot.mjs', import.meta.url));
const DR_BUCKET = 'acme-velero-eu-central-1';
/** Seeding moto and starting the bin take seconds each; minutes on a loaded machine. */
const SLOW_MACHINE_MS = 240_000;

/** What a resync would have copied into the DR bucket: empty while nothing has changed. */
async function drKeys(): Promise<string[]> {
  return (await listObjects(s3Client('eu-central-1'), DR_BUCKET, '')).map((o) => o.key);
}

interface Spawned {
  code: number | null;
  output: string;
}

/**
 * The real bin, on a pseudo-terminal when `answer` is given (util-linux `script` allocates one
 * and passes what we write to it on; the answer is written once the prompt shows), else with
 * stdin a pipe.
 */
function drpilot(args: string[], answer?: string): Promise<Spawned> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const child =
    answer === undefined
      ? spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let answered = false;
  const read = (chunk: Buffer) => {
    output += chunk.toString();
    if (answer !== undefined && !answered && output.includes('[y/N]')) {
      answered = true;
      child.stdin.write(`${answer}\n`);
    }
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      child.stdin.destroy();
      resolve({ code, output });
    }),
  );
}

describe('confirmation before changing the estate', () => {
  it(
    'without a terminal: exit 2 asking for --yes, nothing changed; --yes goes ahead',
    async () => {
      const { configFile } = await seedExampleEstate();
      const human = await runCli(['resync', '--config', configFile]);
      expect(human.code).toBe(2);
      expect(human.stdout).toContain('there is no terminal to ask on: add --yes');
      const json = await runCli(['resync', '--config', configFile, '--json']);
      expect(json.code).toBe(2);
      expect(json.json().error).toMatchObject({
        kind: 'usage',
        message: expect.stringMatching(/--yes/),
      });
      expect(await drKeys()).toEqual([]);

      const dry = await runCli(['resync', '--config', configFile, '--dry-run']);
      expect(dry.code).toBe(0);
      const yes = await runCli(['resync', '--config', configFile, '--yes', '--json']);
      expect(yes.json()).toMatchObject({ outcome: 'copied' });
    },
    SLOW_MACHINE_MS,
  );

  it(
    'on a terminal: shows the dry run, asks once; "n" exits 3 and changes nothing, "y" acts',
    async () => {
      const { configFile } = await seedExampleEstate();
      const declined = await runCli(['resync', '--config', configFile, '--json'], {
        terminalAnswer: 'n',
      });
      expect(declined.code).toBe(3);
      expect(declined.questions).toEqual(['Go ahead with drpilot resync? [y/N] ']);
      expect(JSON.parse(declined.stderr.slice(declined.stderr.indexOf('{')))).toMatchObject({
        outcome: 'dry-run',
        copied: [expect.any(String), expect.any(String)],
      });
      expect(declined.json()).toEqual({
        outcome: 'declined',
        message: 'not confirmed: nothing changed',
      });
      expect(await drKeys()).toEqual([]);

      const empty = await runCli(['resync', '--config', configFile], { terminalAnswer: '' });
      expect(empty.code).toBe(3);
      expect(await drKeys()).toEqual([]);

      const accepted = await runCli(['resync', '--config', configFile], { terminalAnswer: 'y' });
      expect(accepted.code, accepted.stderr).toBe(0);
      expect(accepted.stderr).toContain('would copy 2 backup(s)');
      expect(accepted.stdout).toContain('2 backup(s) committed');
      expect(await drKeys()).not.toEqual([]);
    },
    SLOW_MACHINE_MS,
  );

  it(
    'a plan that is refused is the answer: nothing asked, its exit code',
    async () => {
      const { configFile, config } = await seedExampleEstate();
      await upsertRecord(route53Client(), config.dns.hostedZoneId, {
        name: config.dns.recordName,
        type: 'CNAME',
        ttl: 30,
        value: 'elsewhere.example.net',
      });
      const run = await runCli(['resync', '--config', configFile, '--json'], {
        terminalAnswer: 'y',
      });
      expect(run.code).toBe(3);
      expect(run.questions).toEqual([]);
      expect(run.json()).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining('elsewhere.example.net'),
      });
      expect(await drKeys()).toEqual([]);
    },
    SLOW_MACHINE_MS,
  );

  it(
    'drill against the real estate asks with what it touches; --embedded never asks',
    async () => {
      const { configFile } = await seedExampleEstate();
      const piped = await runCli(['drill', 'failover', '--live', '--config', configFile]);
      expect(piped.code).toBe(2);
      expect(piped.stdout).toContain('drill changes the real estate');
      const declined = await runCli(['drill', 'failover', '--live', '--config', configFile], {
        terminalAnswer: 'no',
      });
      expect(declined.code).toBe(3);
      expect(declined.stderr).toContain(
        'drill failover against the estate in the config (not an emulator): it re-syncs backups to the standby side, then points the customer-facing record (dns.recordName, --live) at DR.',
      );
      expect(declined.questions).toEqual(['Go ahead with drpilot drill? [y/N] ']);
      expect(await drKeys()).toEqual([]);
      const usage = await runCli(['drill', 'meltdown', '--embedded'], { terminalAnswer: 'y' });
      expect(usage.questions).toEqual([]);
    },
    SLOW_MACHINE_MS,
  );

  it(
    'the real bin on a pseudo-terminal: "n" and Ctrl-C change nothing, "y" resyncs; no terminal is exit 2',
    async () => {
      const { configFile } = await seedExampleEstate();
      const piped = await drpilot(['resync', '--config', configFile]);
      expect(piped.code).toBe(2);
      expect(piped.output).toContain('add --yes');
      expect(await drKeys()).toEqual([]);

      const no = await drpilot(['resync', '--config', configFile], 'n');
      expect(no.output).toContain('Go ahead with drpilot resync? [y/N]');
      expect(no.output).toContain('would copy 2 backup(s)');
      expect(no.code, no.output).toBe(3);
      expect(await drKeys()).toEqual([]);

      const interrupted = await drpilot(['resync', '--config', configFile], '\x03');
      expect(interrupted.code, interrupted.output).toBe(3);
      expect(interrupted.output).toContain('not confirmed: nothing changed');
      expect(await drKeys()).toEqual([]);

      const yes = await drpilot(['resync', '--config', configFile], 'y');
      expect(yes.code, yes.output).toBe(0);
      expect(yes.output).toContain('2 backup(s) committed');
      expect(await drKeys()).not.toEqual([]);
    },
    SLOW_MACHINE_MS,
  );
});
