import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/core/config/validate';
import type { AlarmState } from '../../lambdas/core/events/trigger-event';
import { activeSideOf, summarizeStatus } from '../../lambdas/core/status';
import { exampleConfig } from '../support/example-config';

function config() {
  const result = validateConfig(exampleConfig());
  if (!result.ok) throw new Error('example config is invalid');
  return result.config;
}

const noBackups = { recoveryPoints: {}, now: '2026-11-21T12:00:00Z' };

const healthy = new Map<string, AlarmState>([
  ['acme-primary-health', 'OK'],
  ['acme-dr-health', 'OK'],
]);

describe('activeSideOf', () => {
  it.each([
    ['primary.example.com', 'primary'],
    ['primary.example.com.', 'primary'],
    ['DR.Example.com.', 'dr'],
    ['elsewhere.example.com', null],
    [null, null],
  ])('%s → %s', (target, side) => {
    expect(activeSideOf(target, config().clusters)).toBe(side);
  });
});

describe('summarizeStatus', () => {
  it('shows the verified RPO beside the copied one: the newest backup a drill restored, aged to now', () => {
    const report = summarizeStatus(config(), {
      mainRecord: { target: 'primary.example.com', ttl: 30 },
      alarmStates: healthy,
      nodeGroupMembers: new Map(),
      recoveryPoints: {
        dr: {
          newestBackup: 'daily-2',
          completionTimestamp: '2026-11-21T11:00:00Z',
          rpoSeconds: 0,
        },
      },
      verifiedRestores: {
        bySchedule: {
          daily: {
            backup: 'daily-1',
            schedule: 'daily',
            completionTimestamp: '2026-11-20T12:00:00Z',
            verifiedAt: '2026-11-20T12:30:00Z',
            drillId: 'ab12cd',
          },
        },
      },
      now: '2026-11-21T12:00:00Z',
    });
    expect(report.backups).toEqual({
      latest: 'daily-2',
      rpoSeconds: 3600,
      side: 'dr',
      completionTimestamp: '2026-11-21T11:00:00Z',
      verified: {
        backup: 'daily-1',
        schedule: 'daily',
        completionTimestamp: '2026-11-20T12:00:00Z',
        verifiedAt: '2026-11-20T12:30:00Z',
        drillId: 'ab12cd',
        rpoSeconds: 86400,
      },
      versioning: null,
    });
  });

  it('reports the active side, health per alarm and the node groups', () => {
    const report = summarizeStatus(config(), {
      mainRecord: { target: 'dr.example.com', ttl: 30 },
      alarmStates: new Map([
        ['acme-primary-health', 'ALARM'],
        ['acme-dr-health', 'OK'],
      ]),
      nodeGroupMembers: new Map([
        [
          'primary-workers',
          [
            { id: 'i-2', type: 'm6i.xlarge', state: 'running' },
            { id: 'i-1', type: 'm6i.large', state: 'running' },
            { id: 'i-3', type: 'm6i.large', state: 'stopped' },
            { id: 'i-4', type: 'm6i.xlarge', state: 'stopped', stoppedByRollout: true },
          ],
        ],
      ]),
      recoveryPoints: {
        primary: {
          newestBackup: 'daily-20261121',
          completionTimestamp: '2026-11-21T11:40:00Z',
          rpoSeconds: 0,
        },
      },
      now: '2026-11-21T12:00:00Z',
    });
    expect(report.dns).toEqual({
      record: 'main.example.com',
      target: 'dr.example.com',
      ttl: 30,
      activeSide: 'dr',
      healthCheck: {
        intervalSeconds: 30,
        failureThreshold: 3,
        secondsToUnhealthy: 90,
        faster: { intervalSeconds: 10, secondsToUnhealthy: 30, secondsSooner: 60 },
      },
      designedRto: expect.objectContaining({ totalSeconds: 245, targetSeconds: 120, met: false }),
    });
    expect(report.clusters.primary).toMatchObject({ healthy: false, alarmState: 'ALARM' });
    expect(report.clusters.dr).toMatchObject({ healthy: true, alarmState: 'OK' });
    // DR is active, so the figures are about primary, aged from the re-sync's measurement to now
    expect(report.backups).toEqual({
      latest: 'daily-20261121',
      rpoSeconds: 1200,
      side: 'primary',
      completionTimestamp: '2026-11-21T11:40:00Z',
      verified: null,
      versioning: null,
    });
    expect(report.nodeGroups[0]).toMatchObject({
      id: 'primary-workers',
      instanceTypes: ['m6i.large', 'm6i.xlarge'],
    });
    expect(report.nodeGroups[1]).toMatchObject({ id: 'dr-workers', instanceTypes: null });
    // i-3 was stopped by someone else: no warning; i-4 by a rollout that died.
    expect(report.warnings).toEqual([
      `node group primary-workers: i-4 is stopped, left so by a rollout that died; the group's next rollout starts it first (an alarm, or drpilot resize primary-workers); while resize is paused it stays down (docs/runbooks.md, "A stranded node page")`,
    ]);
  });

  it('warns about a missing record, a foreign target, missing alarms and empty groups', () => {
    const missingRecord = summarizeStatus(config(), {
      mainRecord: null,
      alarmStates: new Map(),
      nodeGroupMembers: new Map([['primary-workers', []]]),
      ...noBackups,
    });
    expect(missingRecord.dns.activeSide).toBeNull();
    expect(missingRecord.clusters.primary).toMatchObject({ healthy: null, alarmState: 'MISSING' });
    expect(missingRecord.warnings).toEqual([
      'main.example.com has no CNAME record in zone Z0123456789',
      'health alarm acme-primary-health (primary) does not exist',
      'health alarm acme-dr-health (dr) does not exist',
      'node group primary-workers has no instances',
    ]);

    const foreign = summarizeStatus(config(), {
      mainRecord: { target: 'lb.elsewhere.net', ttl: 60 },
      alarmStates: healthy,
      nodeGroupMembers: new Map(),
      ...noBackups,
    });
    expect(foreign.warnings).toEqual([
      "main.example.com points at lb.elsewhere.net, which is neither cluster's endpoint",
    ]);
  });

  it('treats INSUFFICIENT_DATA as unknown health, not as healthy', () => {
    const report = summarizeStatus(config(), {
      mainRecord: { target: 'primary.example.com', ttl: 30 },
      alarmStates: new Map([
        ['acme-primary-health', 'INSUFFICIENT_DATA'],
        ['acme-dr-health', 'OK'],
      ]),
      nodeGroupMembers: new Map(),
      ...noBackups,
    });
    expect(report.clusters.primary.healthy).toBeNull();
  });

  it('warns when a Velero bucket is not versioned (re-sync then deletes nothing) and reports both states', () => {
    const report = summarizeStatus(config(), {
      mainRecord: { target: 'primary.example.com', ttl: 30 },
      alarmStates: healthy,
      nodeGroupMembers: new Map(),
      bucketVersioning: {
        primary: { bucket: 'acme-velero-eu-west-1', state: 'Enabled' },
        dr: { bucket: 'acme-velero-eu-central-1', state: 'Suspended' },
      },
      ...noBackups,
    });
    expect(report.backups.versioning).toEqual({ primary: 'Enabled', dr: 'Suspended' });
    expect(report.warnings).toEqual([
      'Velero bucket acme-velero-eu-central-1 (dr): versioning is Suspended; re-sync deletes nothing until both buckets have versioning Enabled (see docs/resync.md: versioning and a noncurrent-version expiry)',
    ]);
    const versioned = summarizeStatus(config(), {
      mainRecord: { target: 'primary.example.com', ttl: 30 },
      alarmStates: healthy,
      nodeGroupMembers: new Map(),
      bucketVersioning: {
        primary: { bucket: 'acme-velero-eu-west-1', state: 'Enabled' },
        dr: { bucket: 'acme-velero-eu-central-1', state: 'Enabled' },
      },
      ...noBackups,
    });
    expect(versioned.warnings).toEqual([]);
  });

  it("reports each node group's resize alarms from its region's listing, and a region not read once", () => {
    const report = summarizeStatus(config(), {
      mainRecord: { target: 'primary.example.com', ttl: 30 },
      alarmStates: healthy,
      nodeGroupMembers: new Map(),
      resizeAlarms: new Map<string, { name: string; state: AlarmState }[] | { error: string }>([
        [
          'eu-west-1',
          [
            { name: 'acme-drpilot-resize.primary-workers.up.group', state: 'OK' },
            { name: 'acme-drpilot-resize.primary-workers.down.group', state: 'ALARM' },
            // dr-workers is in eu-central-1: an alarm of that name here is not its alarm.
            { name: 'acme-drpilot-resize.dr-workers.up.i-0abc', state: 'OK' },
          ],
        ],
        ['eu-central-1', { error: 'AccessDenied: not authorized to perform DescribeAlarms' }],
      ]),
      ...noBackups,
    });
    expect(report.nodeGroups.map((g) => [g.id, g.alarms])).toEqual([
      ['primary-workers', { configured: 'auto', inEffect: 'group', alarmCount: 2, state: 'ALARM' }],
      ['dr-workers', null],
    ]);
    expect(report.warnings).toEqual([
      'resize alarms in eu-central-1 not read: AccessDenied: not authorized to perform DescribeAlarms',
    ]);
    // Without a listing (a caller that read none) the field is null and nothing is said.
    const unread = summarizeStatus(config(), {
      mainRecord: { target: 'primary.example.com', ttl: 30 },
      alarmStates: healthy,
      nodeGroupMembers: new Map(),
      ...noBackups,
    });
    expect(unread.nodeGroups.map((g) => g.alarms)).toEqual([null, null]);
    expect(unread.warnings).toEqual([]);
  });

  it('states the health-check interval and what the fast interval would gain; none at 10 s', () => {
    const fast = validateConfig({
      ...exampleConfig(),
      dns: { ...exampleConfig().dns, healthCheckIntervalSeconds: 10 },
    });
    if (!fast.ok) throw new Error('invalid');
    const report = summarizeStatus(fast.config, {
      mainRecord: { target: 'primary.example.com', ttl: 30 },
      alarmStates: healthy,
      nodeGroupMembers: new Map(),
      ...noBackups,
    });
    expect(report.dns.healthCheck).toEqual({
      intervalSeconds: 10,
      failureThreshold: 3,
      secondsToUnhealthy: 30,
      faster: null,
    });
  });
});
