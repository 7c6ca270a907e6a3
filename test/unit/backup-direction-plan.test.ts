import { describe, expect, it } from 'vitest';
import {
  describeStep,
  planDirection,
  type DirectionInput,
  type ObservedVelero,
} from '../../lambdas/core/backup-direction/plan-direction';
import { validateConfig } from '../../lambdas/core/config/validate';
import { describeEntry, HISTORY_SCOPES } from '../../lambdas/core/history/audit-history';
import { exampleConfig } from '../support/example-config';

const serving: ObservedVelero = {
  location: { name: 'default', accessMode: 'ReadWrite' },
  schedules: [
    { name: 'daily', paused: false },
    { name: 'hourly', paused: false },
  ],
};
const standing: ObservedVelero = {
  location: { name: 'default', accessMode: 'ReadOnly' },
  schedules: [{ name: 'daily', paused: true }],
};
const all = { location: 'default', schedules: 'all' } as const;
const home = (restorableOnPrimary: boolean) => ({
  drNewest: { name: 'daily-2', completionTimestamp: '2026-12-01T10:00:00Z' },
  restorableOnPrimary,
});

function plan(input: Partial<DirectionInput> & Pick<DirectionInput, 'active'>) {
  return planDirection({
    observed: {
      primary: { reachable: true, velero: serving },
      dr: { reachable: true, velero: standing },
    },
    selection: { primary: all, dr: all },
    ...input,
  });
}

const steps = (p: ReturnType<typeof planDirection>) =>
  p.kind === 'flip' ? p.steps.map(describeStep) : p.kind;

describe('planDirection', () => {
  it('failover: the standby (primary) paused then ReadOnly, then DR ReadWrite then unpaused', () => {
    expect(steps(plan({ active: 'dr' }))).toEqual([
      'primary: Schedule daily paused',
      'primary: Schedule hourly paused',
      'primary: BackupStorageLocation default ReadOnly',
      'dr: BackupStorageLocation default ReadWrite',
      'dr: Schedule daily unpaused',
    ]);
  });

  it('failback waits for DR’s newest backup to be restorable on primary', () => {
    const observed = {
      primary: { reachable: true, velero: standing },
      dr: { reachable: true, velero: serving },
    } as const;
    const held = plan({ active: 'primary', observed, backupHome: home(false) });
    expect(held).toMatchObject({
      kind: 'hold',
      reason: expect.stringMatching(/^backups stay with DR: DR's newest backup daily-2 .* not yet/),
    });
    expect(
      plan({ active: 'primary', observed, backupHome: { error: 'AccessDenied' } }),
    ).toMatchObject({
      kind: 'hold',
      reason: expect.stringMatching(/could not read the buckets: AccessDenied/),
    });
    expect(plan({ active: 'primary', observed })).toMatchObject({ kind: 'hold' });
    expect(steps(plan({ active: 'primary', observed, backupHome: home(true) }))).toEqual([
      'dr: Schedule daily paused',
      'dr: Schedule hourly paused',
      'dr: BackupStorageLocation default ReadOnly',
      'primary: BackupStorageLocation default ReadWrite',
      'primary: Schedule daily unpaused',
    ]);
    const nothingInDr = { drNewest: null, restorableOnPrimary: false };
    expect(plan({ active: 'primary', observed, backupHome: nothingInDr })).toMatchObject({
      kind: 'flip',
      checks: [{ name: 'backup-home', ok: true }],
    });
  });

  it('is idempotent: sides already right plan no step', () => {
    expect(
      plan({
        active: 'dr',
        observed: {
          primary: { reachable: true, velero: standing },
          dr: { reachable: true, velero: { ...serving } },
        },
      }),
    ).toEqual({ kind: 'flip', steps: [], problems: [], checks: [] });
  });

  it('an unreachable side is a problem, not a guess; the other side is still planned', () => {
    const p = plan({
      active: 'dr',
      observed: {
        primary: { reachable: false, error: 'connect ECONNREFUSED' },
        dr: { reachable: true, velero: standing },
      },
    });
    expect(steps(p)).toEqual([
      'dr: BackupStorageLocation default ReadWrite',
      'dr: Schedule daily unpaused',
    ]);
    expect(p).toMatchObject({
      problems: [{ side: 'primary', detail: 'cluster not reachable: connect ECONNREFUSED' }],
    });
  });

  it('named schedules only; a missing schedule or location is a problem; no unpausing without a location', () => {
    const p = plan({
      active: 'dr',
      selection: {
        primary: { location: 'default', schedules: ['hourly', 'weekly'] },
        dr: { location: 'main', schedules: 'all' },
      },
      observed: {
        primary: { reachable: true, velero: serving },
        dr: { reachable: true, velero: { ...standing, location: null } },
      },
    });
    expect(steps(p)).toEqual([
      'primary: Schedule hourly paused',
      'primary: BackupStorageLocation default ReadOnly',
    ]);
    expect(p).toMatchObject({
      problems: [
        { side: 'primary', detail: 'Schedule weekly not found' },
        { side: 'dr', detail: 'BackupStorageLocation main not found' },
      ],
    });
  });
});

describe('backups.velero in the config', () => {
  const withVelero = (velero: unknown, drill = true) => {
    const document = exampleConfig();
    if (!drill) delete document['backups'].restoreDrill;
    document['backups'].velero = velero;
    return validateConfig(document);
  };

  it('DR without its own access uses backups.restoreDrill’s; defaults are filled', () => {
    const result = withVelero({ primary: { kubeconfigSecret: 'acme/primary-kube' }, dr: {} });
    expect(result.ok && result.config.backups.velero).toEqual({
      primary: {
        kubeconfigSecret: 'acme/primary-kube',
        namespace: 'velero',
        location: 'default',
        schedules: 'all',
      },
      dr: { namespace: 'velero', location: 'default', schedules: 'all' },
    });
  });

  it('names what is wrong', () => {
    const result = withVelero({ primary: {}, dr: { schedules: ['daily', 'daily'] } }, false);
    expect(result.ok ? [] : result.errors).toEqual([
      {
        path: 'backups.velero.primary.kubeconfigSecret',
        message: expect.stringMatching(/^required .*flips this cluster's Velero/),
      },
      {
        path: 'backups.velero.dr.kubeconfigSecret',
        message: expect.stringMatching(/unless backups.restoreDrill names the DR cluster/),
      },
      { path: 'backups.velero.dr.schedules[1]', message: 'lists "daily" twice' },
    ]);
  });
});

describe('drpilot history --job backup-direction', () => {
  it('reads the backup direction’s audit scope, one line per change', () => {
    expect(HISTORY_SCOPES['backup-direction']).toBe('backup-direction');
    const entry = { id: 'a', at: '2026-12-02T09:00:00Z', change: 'dr: Schedule daily unpaused' };
    expect(describeEntry('backup-direction', { ...entry, outcome: 'changed' })).toBe(
      'dr: Schedule daily unpaused',
    );
    expect(
      describeEntry('backup-direction', {
        id: 'b',
        at: entry.at,
        active: 'primary',
        reason: 'backups stay with DR: …',
      }),
    ).toBe('backups follow primary: backups stay with DR: …');
  });
});
