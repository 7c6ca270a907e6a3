/**
 * The backup direction follows the active side: after a DNS switch, the side now serving takes
 * Velero backups (its BackupStorageLocation `ReadWrite`, its Schedules unpaused) and the standby
 * side takes none (`ReadOnly`, paused), so its Velero neither writes nor garbage-collects the
 * bucket the re-sync copies into. Pure: from what each cluster showed, decide which objects to
 * change and in which order.
 *
 * Velero's rules this encodes (vmware-tanzu/velero v1.18):
 * - `spec.accessMode` is `ReadOnly` or `ReadWrite`, absent meaning `ReadWrite`
 *   (pkg/apis/velero/v1/backupstoragelocation_types.go; docs api-types/backupstoragelocation.md).
 *   On a ReadOnly location a new Backup fails validation ("backup can't be created because backup
 *   storage location … is currently in read-only mode", pkg/controller/backup_controller.go) and
 *   deletions are refused (backup_deletion_controller.go).
 * - `spec.paused` on a Schedule (`bool`, omitempty: absent means running,
 *   pkg/apis/velero/v1/schedule_types.go); a Schedule unpaused when a run is due backs up at once
 *   unless `skipImmediately`.
 *
 * Order: the standby side first — its Schedules paused, then its location ReadOnly (a run
 * starting in between would fail validation rather than write) — then the active side: its
 * location ReadWrite, then its Schedules unpaused (so the first run finds a writable location).
 * A failback waits until the DR side's newest restorable backup is restorable in the primary's
 * bucket too (the re-sync's restorable rule): until then DR keeps taking backups.
 */
import type { Side } from '../config/sides';

export type AccessMode = 'ReadWrite' | 'ReadOnly';

export interface ObservedVelero {
  /** The configured location, or null when the cluster has none of that name. */
  location: { name: string; accessMode: AccessMode } | null;
  /** Every Schedule in the Velero namespace. */
  schedules: { name: string; paused: boolean }[];
}

/** What a cluster showed, or why it could not be asked. */
export type SideObservation =
  { reachable: true; velero: ObservedVelero } | { reachable: false; error: string };

export interface SideSelection {
  location: string;
  schedules: 'all' | readonly string[];
}

/** For a failback: where the DR side's newest restorable backup is. */
export type BackupHome =
  | {
      /** The DR bucket's newest restorable backup, or null when it holds none. */
      drNewest: { name: string; completionTimestamp: string } | null;
      /** That backup is restorable in the primary's bucket. */
      restorableOnPrimary: boolean;
    }
  | { error: string };

export interface DirectionInput {
  /** The side the main record now points at. */
  active: Side;
  observed: Record<Side, SideObservation>;
  selection: Record<Side, SideSelection>;
  /** Required when `active` is primary. */
  backupHome?: BackupHome;
}

export type DirectionStep =
  | { side: Side; kind: 'schedule'; name: string; paused: boolean }
  | { side: Side; kind: 'location'; name: string; accessMode: AccessMode };

export interface DirectionCheck {
  name: 'backup-home';
  ok: boolean;
  detail: string;
}

export type DirectionPlan =
  | { kind: 'hold'; reason: string; checks: DirectionCheck[] }
  | {
      kind: 'flip';
      /** In the order they must be made; empty when both sides already are as they should be. */
      steps: DirectionStep[];
      /** What keeps a side from being made right: unreachable, a missing location or schedule. */
      problems: { side: Side; detail: string }[];
      checks: DirectionCheck[];
    };

export const standbyOf = (active: Side): Side => (active === 'primary' ? 'dr' : 'primary');

/** Describes a step as a person reads it: `dr: Schedule daily unpaused`. */
export function describeStep(step: DirectionStep): string {
  return step.kind === 'location'
    ? `${step.side}: BackupStorageLocation ${step.name} ${step.accessMode}`
    : `${step.side}: Schedule ${step.name} ${step.paused ? 'paused' : 'unpaused'}`;
}

function judgeBackupHome(home: BackupHome | undefined): DirectionCheck {
  if (!home) return { name: 'backup-home', ok: false, detail: 'not observed' };
  if ('error' in home) {
    return { name: 'backup-home', ok: false, detail: `could not read the buckets: ${home.error}` };
  }
  if (!home.drNewest) {
    return {
      name: 'backup-home',
      ok: true,
      detail: "the DR side's bucket holds no restorable backup: nothing to bring home",
    };
  }
  const { name, completionTimestamp } = home.drNewest;
  return home.restorableOnPrimary
    ? {
        name: 'backup-home',
        ok: true,
        detail: `DR's newest backup ${name} (${completionTimestamp}) is restorable in the primary's bucket`,
      }
    : {
        name: 'backup-home',
        ok: false,
        detail: `DR's newest backup ${name} (${completionTimestamp}) is not yet restorable in the primary's bucket: run the re-sync (DR → primary), then fail back again`,
      };
}

/** The steps that bring one reachable side to its role, and what keeps it from getting there. */
function sideSteps(
  side: Side,
  role: 'active' | 'standby',
  velero: ObservedVelero,
  selection: SideSelection,
): { steps: DirectionStep[]; problems: string[] } {
  const problems: string[] = [];
  const wanted: AccessMode = role === 'active' ? 'ReadWrite' : 'ReadOnly';
  const paused = role === 'standby';
  const byName = new Map(velero.schedules.map((s) => [s.name, s]));
  const selected =
    selection.schedules === 'all'
      ? velero.schedules
      : selection.schedules.flatMap((name) => {
          const found = byName.get(name);
          if (!found) problems.push(`Schedule ${name} not found`);
          return found ? [found] : [];
        });
  const scheduleSteps: DirectionStep[] = selected
    .filter((s) => s.paused !== paused)
    .map((s) => ({ side, kind: 'schedule', name: s.name, paused }));
  let locationSteps: DirectionStep[] = [];
  if (!velero.location) {
    problems.push(`BackupStorageLocation ${selection.location} not found`);
  } else if (velero.location.accessMode !== wanted) {
    locationSteps = [{ side, kind: 'location', name: velero.location.name, accessMode: wanted }];
  }
  if (role === 'standby') return { steps: [...scheduleSteps, ...locationSteps], problems };
  // Unpausing schedules whose location is missing only makes backups that fail validation.
  return { steps: velero.location ? [...locationSteps, ...scheduleSteps] : [], problems };
}

export function planDirection(input: DirectionInput): DirectionPlan {
  const checks: DirectionCheck[] = [];
  if (input.active === 'primary') {
    const check = judgeBackupHome(input.backupHome);
    checks.push(check);
    if (!check.ok) {
      return {
        kind: 'hold',
        reason: `backups stay with DR: ${check.detail}`,
        checks,
      };
    }
  }
  const steps: DirectionStep[] = [];
  const problems: { side: Side; detail: string }[] = [];
  const standby = standbyOf(input.active);
  for (const [side, role] of [
    [standby, 'standby'],
    [input.active, 'active'],
  ] as const) {
    const observed = input.observed[side];
    if (!observed.reachable) {
      problems.push({ side, detail: `cluster not reachable: ${observed.error}` });
      continue;
    }
    const planned = sideSteps(side, role, observed.velero, input.selection[side]);
    steps.push(...planned.steps);
    problems.push(...planned.problems.map((detail) => ({ side, detail })));
  }
  return { kind: 'flip', steps, problems, checks };
}

/** A side's state after `applied` steps, as a person reads it. */
export function describeSide(velero: ObservedVelero, applied: readonly DirectionStep[]): string {
  const location = velero.location
    ? `BackupStorageLocation ${velero.location.name} ${
        applied.findLast((s) => s.kind === 'location')?.accessMode ?? velero.location.accessMode
      }`
    : 'no BackupStorageLocation';
  const schedules = velero.schedules.map((s) => {
    const step = applied.findLast((a) => a.kind === 'schedule' && a.name === s.name);
    const paused = step?.kind === 'schedule' ? step.paused : s.paused;
    return `${s.name} ${paused ? 'paused' : 'running'}`;
  });
  return `${location}; Schedules: ${schedules.length ? schedules.join(', ') : 'none'}`;
}
