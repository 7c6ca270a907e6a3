import { readFileSync, writeFileSync } from 'node:fs';
import { DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { cloudWatchClient } from '../../lambdas/adapters/aws/clients';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

describe('drpilot drill full against an existing estate (not embedded)', () => {
  it('passes on a healthy estate, never touches the alarms, and reports figures as not emulated', async () => {
    const estate = await seedExampleEstate();
    // No TLS endpoints exist for the emulated estate's names, so that one check is turned off.
    const config = JSON.parse(readFileSync(estate.configFile, 'utf8'));
    config.dns.checks.tlsSan = false;
    // Nor is there a DR cluster with Velero to restore into: the restore drill is skipped.
    delete config.backups.restoreDrill;
    writeFileSync(estate.configFile, JSON.stringify(config));

    const run = await runCli(['drill', 'full', '--yes', '--config', estate.configFile, '--json']);
    expect(run.code).toBe(0);
    const result = run.json();
    expect(result).toMatchObject({ ok: true, emulated: false, rtoSeconds: null });
    expect(result.rpoSeconds).toBeGreaterThan(0);
    const names = result.steps.map((s: { name: string }) => s.name);
    expect(names).not.toContain('primary fails: its health alarm goes to ALARM');
    expect(names).toContain('failback during the cooldown is refused (anti-flapping)');
    const failback = result.steps.find(
      (s: { name: string }) => s.name === 'failback: drill.example.com → primary',
    );
    expect(failback.detail).toContain('(forced past the cooldown)');
    expect(
      result.steps.find((s: { name: string }) => s.name.startsWith('restore drill:')),
    ).toMatchObject({ skipped: true, detail: 'skipped: backups.restoreDrill is not configured' });
    expect(result.steps.slice(-2)).toMatchObject([
      {
        name: 'resize primary-workers: what its alarm would do now (dry run)',
        ok: true,
        detail: expect.stringMatching(/^refused: no cpu datapoints/),
      },
      { name: 'resize dr-workers: what its alarm would do now (dry run)', ok: true },
    ]);
    const alarms = await cloudWatchClient('us-east-1').send(new DescribeAlarmsCommand({}));
    expect(alarms.MetricAlarms?.map((a) => a.StateValue)).toEqual(['OK', 'OK']);
  });

  it('fails with exit 1 and names the problem when a cluster is unhealthy', async () => {
    const estate = await seedExampleEstate();
    await cloudWatchClient('us-east-1').send(
      new SetAlarmStateCommand({
        AlarmName: 'acme-dr-health',
        StateValue: 'ALARM',
        StateReason: 'test',
      }),
    );
    const run = await runCli(['drill', 'full', '--yes', '--config', estate.configFile, '--json']);
    expect(run.code).toBe(1);
    const result = run.json();
    expect(result.ok).toBe(false);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ ok: false, detail: 'dr is not healthy (ALARM)' });
  });
});
