/**
 * The backup direction follows the active side, against the real kube-apiserver with Velero's own
 * CRDs (no Velero server): each side's BackupStorageLocation and Schedules in its own namespace,
 * reached through a kubeconfig in moto's Secrets Manager by an identity holding only the
 * Role in docs/resync.md, after a DNS switch on moto.
 */
import type { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { snsClient } from '../../lambdas/adapters/aws/clients';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { stateKeys } from '../../lambdas/core/state-keys';
import { runSwitch } from '../../lambdas/dns/run-switch';
import { renderSwitch } from '../../cli/commands/dns';
import {
  BACKUP_DIRECTION_RULES,
  installCrds,
  seedVeleroSides,
  veleroState,
  type VeleroSideSeed,
} from '../support/backup-direction-world';
import { useDnsEstate, writeBackup, type DnsEstate } from '../support/dns-estate';
import { useK8sWorld } from '../support/k8s-world';
import { useMoto } from '../support/moto';

useMoto();
const seedEstate = useDnsEstate();
const k8s = useK8sWorld();

beforeAll(async () => {
  await installCrds(k8s.admin);
}, 120_000);

const seededNamespaces: string[] = [];
afterEach(async () => {
  for (const name of seededNamespaces.splice(0))
    await k8s.admin.delete(`/api/v1/namespaces/${name}`);
});

/** Subjects of what is published to the notification topic from now on. */
function capturePages(): string[] {
  const subjects: string[] = [];
  snsClient('us-east-1').middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'PublishCommand')
        subjects.push((args.input as PublishCommand['input']).Subject ?? '');
      return result;
    },
    { step: 'initialize', name: 'capturePages' },
  );
  return subjects;
}

const PRIMARY_ACTIVE: Record<'primary' | 'dr', VeleroSideSeed> = {
  primary: {
    accessMode: 'ReadWrite',
    schedules: [
      { name: 'daily', paused: false },
      { name: 'hourly', paused: false },
    ],
  },
  dr: { accessMode: 'ReadOnly', schedules: [{ name: 'daily', paused: true }] },
};

async function estateWith(sides: Record<'primary' | 'dr', VeleroSideSeed>): Promise<{
  estate: DnsEstate;
  config: DrpilotConfig;
  namespaces: Record<'primary' | 'dr', string>;
}> {
  const estate = await seedEstate();
  const tenant = await k8s.tenant();
  const seeded = await seedVeleroSides(
    k8s.admin,
    k8s.world,
    estate.config,
    tenant.namespace,
    sides,
  );
  seededNamespaces.push(seeded.namespaces.primary, seeded.namespaces.dr);
  return { estate, ...seeded };
}

describe('the backup direction follows the active side (real kube-apiserver, Velero CRDs)', () => {
  it('failover: DR ReadWrite with its schedules running, primary ReadOnly and paused, standby first; idempotent', async () => {
    const { estate, config, namespaces } = await estateWith(PRIMARY_ACTIVE);
    const pages = capturePages();

    const result = await runSwitch(config, estate.options({ action: 'failover' }));

    expect(result).toMatchObject({ outcome: 'switched', to: 'dr', warnings: [] });
    expect(result.backupDirection).toMatchObject({
      outcome: 'flipped',
      active: 'dr',
      changes: [
        { change: 'primary: Schedule daily paused', ok: true },
        { change: 'primary: Schedule hourly paused', ok: true },
        { change: 'primary: BackupStorageLocation default ReadOnly', ok: true },
        { change: 'dr: BackupStorageLocation default ReadWrite', ok: true },
        { change: 'dr: Schedule daily unpaused', ok: true },
      ],
      sides: {
        primary: 'BackupStorageLocation default ReadOnly; Schedules: daily paused, hourly paused',
        dr: 'BackupStorageLocation default ReadWrite; Schedules: daily running',
      },
      problems: [],
    });
    expect(await veleroState(k8s.admin, namespaces.primary)).toEqual({
      accessMode: 'ReadOnly',
      schedules: { daily: true, hourly: true },
    });
    expect(await veleroState(k8s.admin, namespaces.dr)).toEqual({
      accessMode: 'ReadWrite',
      schedules: { daily: false },
    });
    const audit = await estate.store().recentAudit('backup-direction');
    expect(audit.filter((e) => e['outcome'] === 'changed').map((e) => e['change'])).toHaveLength(5);
    expect(pages.filter((s) => s.includes('BACKUP DIRECTION'))).toEqual([]);
    expect(renderSwitch(result)).toContain('\n  backups: dr takes the backups now (5 change(s))');

    // A person asking again: the record stays, the backups are already right, nothing changes.
    const again = await runSwitch(config, estate.options({ action: 'failover' }));
    expect(again).toMatchObject({ outcome: 'noop', warnings: [] });
    expect(again.backupDirection).toMatchObject({ outcome: 'in-place', changes: [] });
    expect(await veleroState(k8s.admin, namespaces.dr)).toEqual({
      accessMode: 'ReadWrite',
      schedules: { daily: false },
    });
  }, 120_000);

  it('failback: held until DR’s newest backup is restorable on primary, then DR first, then primary', async () => {
    const { estate, config, namespaces } = await estateWith(PRIMARY_ACTIVE);
    const pages = capturePages();
    expect(await runSwitch(config, estate.options({ action: 'failover' }))).toMatchObject({
      outcome: 'switched',
    });
    const failedOverAt = await estate
      .store()
      .readValue<string>(stateKeys.dnsLastFailover(config.dns.recordName));
    const failoverMs = Date.parse(failedOverAt!);
    // Taken in DR after the failover and copied home; then one more that is only in DR.
    await writeBackup(config, 'dr', 'daily-dr-1', new Date(failoverMs + 2000));
    await writeBackup(config, 'primary', 'daily-dr-1', new Date(failoverMs + 2000));
    await writeBackup(config, 'dr', 'daily-dr-2', new Date(failoverMs + 4000));
    const afterCooldown = new Date(failoverMs + (config.dns.cooldownSeconds + 60) * 1000);

    const back = await runSwitch(
      config,
      estate.options({ action: 'failback', now: () => afterCooldown }),
    );

    expect(back).toMatchObject({ outcome: 'switched', to: 'primary' });
    expect(back.backupDirection).toMatchObject({
      outcome: 'held',
      changes: [],
      checks: [
        {
          name: 'backup-home',
          ok: false,
          detail: expect.stringMatching(
            /^DR's newest backup daily-dr-2 .* is not yet restorable in the primary's bucket/,
          ),
        },
      ],
    });
    expect(back.warnings).toEqual([
      expect.stringMatching(/^backup direction held: backups stay with DR: .*daily-dr-2/),
    ]);
    expect(pages).toContain('drpilot acme: BACKUP DIRECTION HELD');
    expect(await veleroState(k8s.admin, namespaces.dr)).toEqual({
      accessMode: 'ReadWrite',
      schedules: { daily: false },
    });
    expect(await veleroState(k8s.admin, namespaces.primary)).toMatchObject({
      accessMode: 'ReadOnly',
    });

    // The backup comes home; the person fails back again: the record stays, the backups flip.
    await writeBackup(config, 'primary', 'daily-dr-2', new Date(failoverMs + 4000));
    const again = await runSwitch(
      config,
      estate.options({ action: 'failback', now: () => afterCooldown }),
    );
    expect(again).toMatchObject({ outcome: 'noop', warnings: [] });
    expect(again.backupDirection).toMatchObject({
      outcome: 'flipped',
      active: 'primary',
      changes: [
        { change: 'dr: Schedule daily paused', ok: true },
        { change: 'dr: BackupStorageLocation default ReadOnly', ok: true },
        { change: 'primary: BackupStorageLocation default ReadWrite', ok: true },
        { change: 'primary: Schedule daily unpaused', ok: true },
        { change: 'primary: Schedule hourly unpaused', ok: true },
      ],
    });
    expect(await veleroState(k8s.admin, namespaces.primary)).toEqual({
      accessMode: 'ReadWrite',
      schedules: { daily: false, hourly: false },
    });
    expect(await veleroState(k8s.admin, namespaces.dr)).toEqual({
      accessMode: 'ReadOnly',
      schedules: { daily: true },
    });
  }, 120_000);

  it('a drill flips the drill record and leaves both clusters’ Velero alone', async () => {
    const { estate, config, namespaces } = await estateWith(PRIMARY_ACTIVE);

    const result = await runSwitch(config, estate.options({ action: 'failover', drill: true }));

    expect(result).toMatchObject({ outcome: 'switched', recordName: config.dns.drillRecordName });
    expect(result.backupDirection).toBeNull();
    expect(await veleroState(k8s.admin, namespaces.primary)).toEqual({
      accessMode: 'ReadWrite',
      schedules: { daily: false, hourly: false },
    });
    expect(await estate.store().recentAudit('backup-direction')).toEqual([]);
  }, 120_000);

  it('an unreachable primary is reported and paged, not guessed; DR is still made right and the switch stands', async () => {
    const { estate, config, namespaces } = await estateWith({
      ...PRIMARY_ACTIVE,
      primary: { ...PRIMARY_ACTIVE.primary, unreachable: true },
    });
    const pages = capturePages();

    const result = await runSwitch(config, estate.options({ action: 'failover' }));

    expect(result).toMatchObject({ outcome: 'switched', to: 'dr' });
    expect(await estate.record()).toMatchObject({ target: 'dr.example.com' });
    expect(result.backupDirection).toMatchObject({
      outcome: 'partial',
      changes: [
        { change: 'dr: BackupStorageLocation default ReadWrite', ok: true },
        { change: 'dr: Schedule daily unpaused', ok: true },
      ],
      sides: {
        primary: expect.stringMatching(/^unknown: not reachable \(.*127\.0\.0\.1:1/),
        dr: 'BackupStorageLocation default ReadWrite; Schedules: daily running',
      },
      problems: [expect.stringMatching(/^primary: cluster not reachable: /)],
    });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^backup direction partial: .*primary: unknown: not reachable/),
    ]);
    expect(pages).toContain('drpilot acme: BACKUP DIRECTION PARTIAL');
    expect(await veleroState(k8s.admin, namespaces.dr)).toEqual({
      accessMode: 'ReadWrite',
      schedules: { daily: false },
    });
    // Nobody touched the primary's objects (the seeded state, as the API server holds it).
    expect(await veleroState(k8s.admin, namespaces.primary)).toEqual({
      accessMode: 'ReadWrite',
      schedules: { daily: false, hourly: false },
    });
    const [summary] = await estate.store().recentAudit('backup-direction', 1);
    expect(summary).toMatchObject({ outcome: 'partial', active: 'dr' });
  }, 120_000);

  it('injected fault: DR refuses the schedule patch after its location changed; each side’s exact state is said and paged', async () => {
    const { estate, config, namespaces } = await estateWith({
      ...PRIMARY_ACTIVE,
      dr: {
        ...PRIMARY_ACTIVE.dr,
        // RBAC without patch on schedules: the location changes, the schedule is refused.
        rules: [
          BACKUP_DIRECTION_RULES[0]!,
          { apiGroups: ['velero.io'], resources: ['schedules'], verbs: ['list'] },
        ],
      },
    });
    const pages = capturePages();

    const result = await runSwitch(config, estate.options({ action: 'failover' }));

    expect(result).toMatchObject({ outcome: 'switched', to: 'dr' });
    expect(result.backupDirection).toMatchObject({
      outcome: 'partial',
      changes: [
        { change: 'primary: Schedule daily paused', ok: true },
        { change: 'primary: Schedule hourly paused', ok: true },
        { change: 'primary: BackupStorageLocation default ReadOnly', ok: true },
        { change: 'dr: BackupStorageLocation default ReadWrite', ok: true },
        {
          change: 'dr: Schedule daily unpaused',
          ok: false,
          error: expect.stringMatching(/answered 403 .*needs patch on schedules\.velero\.io/),
        },
      ],
      sides: {
        primary: 'BackupStorageLocation default ReadOnly; Schedules: daily paused, hourly paused',
        dr: 'BackupStorageLocation default ReadWrite; Schedules: daily paused',
      },
    });
    expect(pages).toContain('drpilot acme: BACKUP DIRECTION PARTIAL');
    expect(await veleroState(k8s.admin, namespaces.dr)).toEqual({
      accessMode: 'ReadWrite',
      schedules: { daily: true },
    });
  }, 120_000);
});
