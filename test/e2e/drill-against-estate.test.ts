import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudWatchClient, route53Client } from '../../lambdas/adapters/aws/clients';
import { readRecord } from '../../lambdas/adapters/aws/route53-records';
import {
  serveClusterEndpoints,
  type ClusterEndpoints,
} from '../../cli/embedded/tls/cluster-endpoints';
import { createDrillCa } from '../../cli/embedded/tls/drill-certificates';
import { useMoto } from '../support/moto';
import { newReportDir, runCli } from '../support/run-cli';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

let served: ClusterEndpoints | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

/** The estate's config as a drill against it runs: no DR cluster with Velero to restore into. */
function withoutRestoreDrill(
  configFile: string,
  change: (config: { dns: { checks: Record<string, unknown> } }) => void = () => {},
) {
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  delete config.backups.restoreDrill;
  change(config);
  writeFileSync(configFile, JSON.stringify(config));
}

/** `drpilot drill full --yes --json` against the estate in `configFile`. */
const drillFull = (configFile: string, ...extra: string[]) =>
  runCli(['drill', 'full', '--yes', '--config', configFile, '--json', ...extra]);

/** The drill's steps up to and including the runbook's check of the switch. */
const THROUGH_VERIFY = [
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
];

/** The drill record and the main one on primary, both health alarms still OK (never set). */
async function expectBothRecordsOnPrimaryAlarmsUntouched(zone: string) {
  const route53 = route53Client();
  for (const name of ['drill.example.com', 'main.example.com']) {
    expect((await readRecord(route53, zone, name, 'CNAME'))?.values).toEqual([
      'primary.example.com',
    ]);
  }
  const alarms = await cloudWatchClient('us-east-1').send(new DescribeAlarmsCommand({}));
  expect(alarms.MetricAlarms?.map((a) => a.StateValue)).toEqual(['OK', 'OK']);
}

describe('drpilot drill full against an existing estate (not embedded, --via local)', () => {
  it('passes when both endpoints serve TLS covering the main name, reached through --connect-to', async () => {
    const estate = await seedExampleEstate();
    // Both clusters' ingress on 127.0.0.1 with certificates from a CA the config trusts
    // (dns.checks.caBundle), covering each endpoint's name and the main and drill names; this
    // machine cannot resolve the endpoints' names, so --connect-to says where they are.
    const ca = await createDrillCa();
    served = await serveClusterEndpoints(estate.config, ca);
    withoutRestoreDrill(estate.configFile, (config) => {
      config.dns.checks.caBundle = ca.certPem;
    });
    const connectTo = (['primary', 'dr'] as const).flatMap((side) => [
      '--connect-to',
      `${estate.config.clusters[side].endpoint}=127.0.0.1:${served!.endpoints[side].port}`,
    ]);

    const run = await drillFull(estate.configFile, ...connectTo);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const result = run.json();
    expect(result).toMatchObject({ scenario: 'full', ok: true, emulated: false, undone: [] });
    expect(result.steps.every((s: { ok: boolean }) => s.ok)).toBe(true);
    expect(result.steps.map((s: { name: string }) => s.name)).toEqual([
      ...THROUGH_VERIFY,
      'verify: the record serves from dr',
      'failback during the cooldown is refused (anti-flapping)',
      'switch back to primary',
      'verify: the record serves from primary again',
      'resize primary-workers: what its alarm would do now (dry run)',
      'resize dr-workers: what its alarm would do now (dry run)',
    ]);
    // The record read from Route 53, and dr's endpoint reached with SNI = the main name.
    expect(result.steps.find((s: { name: string }) => s.name === 'verify DNS and TLS').detail).toBe(
      'verified: drill.example.com points at dr (dr.example.com), whose certificate covers main.example.com',
    );
    expect(result.rpoSeconds).toBeGreaterThan(0);
    // Switched and back for real: the drill record is on primary again, the main one never moved.
    await expectBothRecordsOnPrimaryAlarmsUntouched(estate.config.dns.hostedZoneId);
  });

  it.each([
    [['full', '--embedded'], '--embedded serves its own: choose one'],
    [['runbook', '--via', 'lambda'], 'the deployed functions resolve names themselves'],
    [['resync'], '`drill resync` runs none'],
  ])('refuses --connect-to with %j as a usage error', async (args, message) => {
    const run = await runCli([
      'drill',
      ...args,
      '--json',
      '--connect-to',
      'dr.example.com=127.0.0.1:8443',
    ]);
    expect(run.code).toBe(2);
    expect(run.json().error.message).toContain(message);
  });

  it('refuses a bad --connect-to mapping as a usage error', async () => {
    const run = await runCli(['drill', 'full', '--connect-to', 'dr.example.com=127.0.0.1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--connect-to expects NAME=ADDRESS:PORT');
  });

  it('runs the runbook: a switch it cannot verify stops the run and is undone, the alarms never touched', async () => {
    const estate = await seedExampleEstate();
    // The emulated estate's endpoints do not exist: the switch's own TLS check is turned off, and
    // the runbook's `verify DNS and TLS` (which always probes the endpoint) fails — a real fault.
    // The restore drill is skipped.
    withoutRestoreDrill(estate.configFile, (config) => {
      config.dns.checks.tlsSan = false;
    });

    const reportDir = newReportDir('drpilot-estate-drill-');
    const run = await drillFull(estate.configFile, '--report', reportDir);
    expect(run.code).toBe(1);
    const result = run.json();
    expect(result).toMatchObject({ scenario: 'full', ok: false, emulated: false });
    // The report says what was undone.
    expect(readFileSync(join(reportDir, 'drill-report.md'), 'utf8')).toContain(
      '## Undone (the failed run put back what the runbook marks reversible)\n\n- undo: switch back to primary: ok',
    );
    expect(result.rpoSeconds).toBeGreaterThan(0);
    expect(result.steps.map((s: { name: string }) => s.name)).toEqual([
      ...THROUGH_VERIFY,
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
    await expectBothRecordsOnPrimaryAlarmsUntouched(estate.config.dns.hostedZoneId);
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
    const run = await drillFull(estate.configFile);
    expect(run.code).toBe(1);
    const result = run.json();
    expect(result.ok).toBe(false);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ ok: false, detail: 'dr is not healthy (ALARM)' });
  });
});
