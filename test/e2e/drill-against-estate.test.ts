import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { cloudWatchClient, route53Client } from '../../lambdas/adapters/aws/clients';
import { readRecord } from '../../lambdas/adapters/aws/route53-records';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

describe('drpilot drill full against an existing estate (not embedded, --via local)', () => {
  it('runs the runbook: a switch it cannot verify stops the run and is undone, the alarms never touched', async () => {
    const estate = await seedExampleEstate();
    // The emulated estate's endpoints do not exist: the switch's own TLS check is turned off, and
    // the runbook's `verify DNS and TLS` (which always probes the endpoint) fails — a real fault.
    const config = JSON.parse(readFileSync(estate.configFile, 'utf8'));
    config.dns.checks.tlsSan = false;
    // Nor is there a DR cluster with Velero to restore into: the restore drill is skipped.
    delete config.backups.restoreDrill;
    writeFileSync(estate.configFile, JSON.stringify(config));

    const reportDir = join(mkdtempSync(join(tmpdir(), 'drpilot-estate-drill-')), 'report');
    const run = await runCli([
      'drill',
      'full',
      '--yes',
      '--config',
      estate.configFile,
      '--json',
      '--report',
      reportDir,
    ]);
    expect(run.code).toBe(1);
    const result = run.json();
    expect(result).toMatchObject({ scenario: 'full', ok: false, emulated: false });
    // The report says what was undone.
    expect(readFileSync(join(reportDir, 'drill-report.md'), 'utf8')).toContain(
      '## Undone (the failed run put back what the runbook marks reversible)\n\n- undo: switch back to primary: ok',
    );
    expect(result.rpoSeconds).toBeGreaterThan(0);
    expect(result.steps.map((s: { name: string }) => s.name)).toEqual([
      'read status: main record, health alarms, node groups',
      'lease: exactly one of 5 concurrent claims wins',
      'audit: the drill is on record',
      'preflight',
      'scale up dr-workers',
      're-sync',
      'standby bucket: every backup its Velero can see is restorable',
      're-sync again: nothing new, nothing copied',
      'RPO the standby side can restore',
      'restore drill: the newest restorable backup into scratch namespaces of the DR cluster',
      'switch to dr',
      'verify DNS and TLS',
      'undo: switch back to primary',
    ]);
    expect(
      result.steps.find((s: { name: string }) => s.name.startsWith('restore drill:')),
    ).toMatchObject({ skipped: true, detail: 'skipped: backups.restoreDrill is not configured' });
    expect(result.steps.at(-2)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /^verifiedSide is null, expected "dr" \(could not resolve dr\.example\.com/,
      ),
    });
    expect(result.undone).toEqual([{ name: 'undo: switch back to primary', ok: true }]);
    // Undone for real: the drill record is back on primary, the main one never moved.
    const route53 = route53Client();
    const zone = estate.config.dns.hostedZoneId;
    expect((await readRecord(route53, zone, 'drill.example.com', 'CNAME'))?.values).toEqual([
      'primary.example.com',
    ]);
    expect((await readRecord(route53, zone, 'main.example.com', 'CNAME'))?.values).toEqual([
      'primary.example.com',
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
