import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli';

describe('drpilot drill full --embedded', () => {
  it('seeds an emulated estate, runs every available step and writes the report', async () => {
    const reportDir = join(mkdtempSync(join(tmpdir(), 'drpilot-drill-')), 'report');
    const endpointBefore = process.env.AWS_ENDPOINT_URL;
    const run = await runCli(['drill', 'full', '--embedded', '--json', '--report', reportDir]);

    expect(run.code).toBe(0);
    const result = run.json();
    expect(result).toMatchObject({
      scenario: 'full',
      ok: true,
      emulated: true,
      rtoSeconds: null,
      rpoSeconds: null,
    });
    expect(result.steps.map((s: { name: string }) => s.name)).toEqual([
      'start emulated AWS (moto)',
      'seed the two-region estate',
      'read status: main record, health alarms, node groups',
      'lease: exactly one of 5 concurrent claims wins',
      'audit: the drill is on record',
    ]);
    for (const step of result.steps) {
      expect(step.ok).toBe(true);
      expect(Date.parse(step.endedAt)).toBeGreaterThanOrEqual(Date.parse(step.startedAt));
    }
    expect(result.steps[2].detail).toContain('active side primary via primary.example.com');
    expect(result.pending).toHaveLength(3);
    expect(run.stderr).toContain('… seed the two-region estate');
    expect(process.env.AWS_ENDPOINT_URL).toBe(endpointBefore);

    const markdown = readFileSync(join(reportDir, 'drill-report.md'), 'utf8');
    expect(markdown).toContain('# drpilot drill: full');
    expect(markdown).toContain('against emulated clouds (moto)');
    expect(markdown).toContain('![timeline](drill-timeline.svg)');
    expect(markdown).toContain('| 4 | lease: exactly one of 5 concurrent claims wins | ok |');
    expect(markdown).toContain('## Not yet drilled');
    const svg = readFileSync(join(reportDir, 'drill-timeline.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect [^>]*fill="#2e9d5b"/g)).toHaveLength(5);
    expect(JSON.parse(readFileSync(join(reportDir, 'drill-result.json'), 'utf8'))).toEqual(result);
  });

  it('prints a human-readable summary by default', async () => {
    const run = await runCli(['drill', 'full', '--embedded']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^drill full: PASSED \(emulated clouds/);
    expect(run.stdout).toContain('✓ audit: the drill is on record');
    expect(run.stdout).toContain('not drilled yet: failover and failback');
  });

  it('refuses scenarios whose capability has not landed, and unknown ones, with exit 2', async () => {
    const failover = await runCli(['drill', 'failover', '--embedded']);
    expect(failover.code).toBe(2);
    expect(failover.stderr).toContain('drill failover is not available yet');
    expect((await runCli(['drill', 'meltdown', '--embedded'])).code).toBe(2);
  });
});
