import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newReportDir, runCli } from '../support/run-cli';

// A whole emulated estate (moto, Azurite, seeding): on a loaded machine up to a minute.
const DRILL_TIMEOUT_MS = 180_000;

describe('drpilot drill runbook --embedded', () => {
  it(
    "runs the runbook's steps through the functions' handlers and writes the report",
    async () => {
      const reportDir = newReportDir('drpilot-runbook-');
      const run = await runCli(['drill', 'runbook', '--embedded', '--json', '--report', reportDir]);
      const result = run.json();
      const failed = result.steps?.filter((s: { ok: boolean }) => !s.ok) ?? [];
      expect(run.code, JSON.stringify(failed) + run.stderr.slice(-2000)).toBe(0);
      expect(result).toMatchObject({ scenario: 'runbook', ok: true, emulated: true, undone: [] });
      const measured = result.steps.filter((s: { phase?: string }) => s.phase !== 'setup');
      expect(
        measured.map((s: { name: string; skipped?: boolean }) =>
          s.skipped ? `${s.name} (skipped)` : s.name,
        ),
      ).toEqual([
        'preflight',
        'scale up dr-workers (skipped)',
        're-sync',
        'restore drill (skipped)',
        'switch to dr',
        'verify DNS and TLS',
        'AKS told',
        'AKS confirmed',
        'switch back to primary',
      ]);
      expect(result.rtoSeconds).toBeGreaterThan(0);
      expect(result.rpoSeconds).toBeGreaterThan(0);
      expect(readFileSync(join(reportDir, 'drill-report.md'), 'utf8')).toContain(
        '# drpilot drill: runbook',
      );
      console.log(
        measured.map((s: { name: string; detail: string }) => `${s.name}: ${s.detail}`).join('\n'),
      );
    },
    DRILL_TIMEOUT_MS,
  );

  it.each([
    [['drill', 'failover', '--via', 'lambda'], /use `drill runbook --via lambda`/],
    [['drill', 'runbook', '--via', 'lambda', '--embedded'], /choose one/],
    [['drill', 'full', '--embedded', '--scale-up'], /--scale-up is a step of `drill runbook`/],
  ])('%j is a usage error that touches nothing', async (argv, message) => {
    const run = await runCli([...argv, '--json']);
    expect(run.code).toBe(2);
    expect(run.json().error.message).toMatch(message);
  });
});
