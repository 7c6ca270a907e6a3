import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillResolverIpsOf } from '../support/drill-resolver-ips';
import { newReportDir, runCli } from '../support/run-cli';

// A whole emulated estate per drill (moto, Azurite, the ARM fakes, seeding): on a loaded machine one
// takes up to a minute, the failover test runs two.
const DRILL_TIMEOUT_MS = 180_000;

describe('drpilot drill full --embedded', () => {
  it(
    'seeds an emulated estate, runs every available step and writes the report',
    async () => {
      const reportDir = newReportDir();
      const endpointBefore = process.env.AWS_ENDPOINT_URL;
      const run = await runCli(['drill', 'full', '--embedded', '--json', '--report', reportDir]);

      expect(run.code, failedSteps(run.stdout) + run.stderr.slice(-4000)).toBe(0);
      const result = run.json();
      expect(result).toMatchObject({
        scenario: 'full',
        ok: true,
        emulated: true,
      });
      expect(result.rtoSeconds).toBeGreaterThan(0);
      expect(result.rpoSeconds).toBeGreaterThan(0);
      expect(result.rpoSeconds).toBeLessThan(25 * 60);
      // Setup first, then the runbook's steps (lambdas/core/drill/runbook.ts) with the drill's own
      // checks around them (cli/drill/full-drill.ts).
      expect(
        result.steps.filter((s: { phase?: string }) => s.phase === 'setup').map(stepName),
      ).toEqual([
        'start emulated AWS (moto)',
        'seed the two-region estate',
        'serve both endpoints over TLS with drill certificates',
        'attach the AKS side: its Function app in process behind a signed-event receiver, resolver endpoints, tunnel alarms',
      ]);
      expect(result.steps.map(stepName)).toEqual([
        'start emulated AWS (moto)',
        'seed the two-region estate',
        'serve both endpoints over TLS with drill certificates',
        'attach the AKS side: its Function app in process behind a signed-event receiver, resolver endpoints, tunnel alarms',
        'read status: main record, health alarms, node groups',
        'lease: exactly one of 5 concurrent claims wins',
        'audit: the drill is on record',
        'preflight',
        'scale up dr-workers (skipped)',
        're-sync',
        'standby bucket: every backup its Velero can see is restorable',
        're-sync again: nothing new, nothing copied',
        'RPO the standby side can restore',
        'restore drill: the newest restorable backup into scratch namespaces of the DR cluster (skipped)',
        'primary fails: its health alarm goes to ALARM',
        'switch to dr',
        'verify DNS and TLS',
        'verify: the record serves from dr',
        'AKS told',
        'AKS confirmed',
        "AKS: the Function app follows the switch to dr — events handler, dnsReconcile, internal.example.com forwarded to dr's resolver",
        "AKS, private-resolver mode: dnsReconcile follows the switch to dr — the ruleset's rule for internal.example.com → dr's resolvers, another team's rule untouched",
        'primary recovers and takes a new backup',
        'failback during the cooldown is refused (anti-flapping)',
        'switch back to primary',
        'verify: the record serves from primary again',
        "AKS: the Function app follows the switch to primary — events handler, dnsReconcile, internal.example.com forwarded to primary's resolver",
        "AKS, private-resolver mode: dnsReconcile follows the switch to primary — the ruleset's rule for internal.example.com → primary's resolvers, another team's rule untouched",
        "the AKS side heard every switch: dns.failover, then the new side's resolver.ips",
        "status shows the AKS Function app's state (signed GET /api/state)",
        'tunnel 203.0.113.10 of vpn-0abc1234 drops: warning, DNS not gated',
        'tunnel 203.0.113.11 drops too: both down, paged',
        'both tunnels recover',
        'the receiver is down for one event: it stays pending, then arrives on the next run in seq order',
        "tunnel flap seen from both sides: Azure's gateway connection has both tunnels down while AWS's tunnel.state says up — the ruleset rewrite is held",
        "Azure's gateway connection recovers: the held rewrite is applied, the rule back on the active side's resolvers",
        "status shows the AKS side's ruleset (its rules, linked to the cluster's VNet) and the tunnels as AWS and Azure see them",
        'resize: a Kubernetes API with a node per primary-workers instance, kubeconfig in Secrets Manager',
        'resize: publish CPUUtilization above scaleUpAt for primary-workers',
        'resize: plan (dry run, nothing touched)',
        'resize: roll out primary-workers, one drained node at a time',
        expect.stringMatching(
          /^resize: node i-\w+ drained, stopped, retyped, started, Ready, uncordoned$/,
        ),
        'resize: primary-workers types after the rollout',
        'resize: PodDisruptionBudget shop/web respected',
        'resize: a second resize right after is refused (cooldown)',
      ]);
      for (const step of result.steps) {
        expect(step.ok).toBe(true);
        expect(Date.parse(step.endedAt)).toBeGreaterThanOrEqual(Date.parse(step.startedAt));
      }
      expect(result.undone).toEqual([]);
      expect(result.steps[4].detail).toContain('active side primary via primary.example.com');
      expect(result.steps[15].detail).toMatch(/^switched: drill\.example\.com now points at dr/);
      expect(result.steps[24].detail).toContain('checks overridden by --force');
      expect(result.steps[13]).toMatchObject({
        skipped: true,
        detail: expect.stringMatching(
          /^skipped: not emulated: a restore is proved by a real Velero server only/,
        ),
      });
      expect(result.restore).toBeNull();
      expect(result.steps[17].detail).toContain(
        'main.example.com → primary.example.com (TTL 30) untouched',
      );
      // The AKS step runs the Function app's own handlers; `npm test` builds CoreDNS, so it answers.
      const ips = drillResolverIpsOf(result.steps);
      expect(result.steps[20].detail).toMatch(
        new RegExp(
          `accepted by the events handler \\(202, applied\\); dnsReconcile .* answered drpilot-drill\\.internal\\.example\\.com → (${ips.dr.join('|')}) \\(dr's resolver; primary's not asked\\)$`,
        ),
      );
      expect(result.steps[21].detail).toMatch(
        new RegExp(
          `dnsReconcile \\(private-resolver\\) ×1 from the queue: applied; PUT drpilot-internal-example-com-\\w+ If-None-Match: \\* → 201; .* → ${ips.dr[0]}:53, ${ips.dr[1]}:53; onprem-corp .* untouched: same etag, never written$`,
        ),
      );
      expect(result.steps[27].detail).toMatch(
        new RegExp(`If-Match → 200; .* → ${ips.primary[0]}:53, ${ips.primary[1]}:53;`),
      );
      // The flap as both clouds see it: Azure's view alone holds the rewrite; its recovery applies it.
      expect(result.steps[34].detail).toMatch(
        /^tunnelHealth: AWS up, Azure down; .*\(reconcile queued\); .*dnsReconcile \(private-resolver\) ×\d+ from the queue: skipped(, skipped)*, held; rule \S+ left at the hand edit 10\.66\.0\.53:53, no write$/,
      );
      expect(result.steps[35].detail).toMatch(
        new RegExp(
          `^tunnelHealth: AWS up, Azure up; DNS rewrites not held \\(reconcile queued\\); dnsReconcile \\(private-resolver\\) ×1 from the queue: applied; PUT \\S+ If-Match → 200; .* → ${ips.primary[0]}:53, ${ips.primary[1]}:53;`,
        ),
      );
      expect(result.steps[36].detail).toMatch(
        /^last reconcile \(private-resolver\) applied; ruleset \S+ linked to the cluster's VNet; .*tunnels AWS up since .*, Azure up since .*rg-vpn\/drill-to-aws: Connected/,
      );
      expect(result.steps[29].detail).toMatch(
        /^200 in \d+ ms from https:\/\/127\.0\.0\.1:\d+\/api\/state: active primary \(eu-west-1, drill\.example\.com\)/,
      );
      expect(result.steps[10].detail).toMatch(/^primary → dr: 2 backup\(s\) committed/);
      expect(result.steps[10].detail).toContain('.tar.gz is missing');
      expect(run.stderr).toContain('… seed the two-region estate');
      expect(process.env.AWS_ENDPOINT_URL).toBe(endpointBefore);

      const markdown = readFileSync(join(reportDir, 'drill-report.md'), 'utf8');
      expect(markdown).toContain('# drpilot drill: full');
      expect(markdown).toContain('against emulated clouds (moto)');
      expect(markdown).toContain('![timeline](drill-timeline.svg)');
      expect(markdown).toContain(
        'ARM (ruleset, gateway connection) by stateful fakes, no ARM emulator exists',
      );
      expect(markdown).toContain('| 6 | lease: exactly one of 5 concurrent claims wins | ok |');
      expect(markdown).toContain(
        '| 41 | resize: roll out primary-workers, one drained node at a time | ok |',
      );
      const svg = readFileSync(join(reportDir, 'drill-timeline.svg'), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.match(/<rect [^>]*fill="#2e9d5b"/g)).toHaveLength(43);
      expect(JSON.parse(readFileSync(join(reportDir, 'drill-result.json'), 'utf8'))).toEqual(
        result,
      );
    },
    DRILL_TIMEOUT_MS,
  );

  it(
    'prints a human-readable summary by default',
    async () => {
      const run = await runCli(['drill', 'full', '--embedded']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^drill full: PASSED \(emulated clouds/);
      expect(run.stdout).toContain('✓ audit: the drill is on record');
      expect(run.stdout).toContain('✓ resize: a second resize right after is refused (cooldown)');
    },
    DRILL_TIMEOUT_MS,
  );

  it('drills the re-sync alone', async () => {
    const run = await runCli(['drill', 'resync', '--embedded', '--json']);
    expect(run.code).toBe(0);
    const result = run.json();
    expect(result).toMatchObject({ scenario: 'resync', ok: true, emulated: true });
    expect(result.steps.map((s: { name: string }) => s.name)).toContain(
      'RPO the standby side can restore',
    );
    expect(result.steps.map((s: { name: string }) => s.name)).not.toContain(
      'audit: the drill is on record',
    );
  });

  it(
    'drills a failover alone, and a failover of the customer-facing record with --live',
    async () => {
      const failover = (await runCli(['drill', 'failover', '--embedded', '--json'])).json();
      expect(failover).toMatchObject({ scenario: 'failover', ok: true });
      const names = failover.steps.map((s: { name: string }) => s.name);
      expect(names).toContain('failover: drill.example.com → dr');
      expect(names).not.toContain('failback: drill.example.com → primary');
      expect(failover.rtoSeconds).toBeGreaterThan(0);

      const live = (await runCli(['drill', 'failback', '--embedded', '--live', '--json'])).json();
      expect(live.ok).toBe(true);
      expect(live.steps.map((s: { name: string }) => s.name)).toContain(
        'failover: main.example.com → dr',
      );
    },
    DRILL_TIMEOUT_MS,
  );

  it('refuses an unknown scenario with exit 2', async () => {
    expect((await runCli(['drill', 'meltdown', '--embedded'])).code).toBe(2);
  });
});

/** A step's name, marked when it was skipped. */
function stepName(step: { name: string; skipped?: boolean }): string {
  return step.skipped ? `${step.name} (skipped)` : step.name;
}

/** The steps that failed, from the drill's JSON, so a red run says why without a rerun. */
function failedSteps(stdout: string): string {
  try {
    const { steps } = JSON.parse(stdout) as {
      steps: { name: string; ok: boolean; detail: string }[];
    };
    return steps
      .filter((s) => !s.ok)
      .map((s) => `failed step: ${s.name}: ${s.detail}\n`)
      .join('');
  } catch {
    return `stdout: ${stdout.slice(-2000)}\n`;
  }
}
