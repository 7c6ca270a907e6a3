import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { snsClient } from '../adapters/aws/sdk-clients/sns';
import { notify } from '../adapters/aws/notify';
import { StateStore } from '../adapters/aws/state-store';
import { bucketSide } from '../adapters/aws/velero-bucket';
import {
  openVeleroDirectionCluster,
  type VeleroDirectionCluster,
} from '../adapters/kubernetes/velero-direction';
import {
  describeSide,
  describeStep,
  planDirection,
  type BackupHome,
  type DirectionCheck,
  type DirectionStep,
  type ObservedVelero,
  type SideObservation,
} from '../core/backup-direction/plan-direction';
import { veleroSideAccess } from '../core/config/backup-direction-access';
import type { DrpilotConfig } from '../core/config/schema';
import { SIDES, type Side } from '../core/config/sides';
import { notificationTopicName } from '../core/shared-names';
import { assessSide } from '../resync/assess-side';

export type BackupDirectionOutcome = 'flipped' | 'in-place' | 'held' | 'partial';

export interface BackupDirectionResult {
  /** flipped: changes made, both sides right; in-place: nothing to change; held: a failback
   * waits for DR's newest backup to come home; partial: a side is not as it should be. */
  outcome: BackupDirectionOutcome;
  active: Side;
  reason: string;
  checks: DirectionCheck[];
  /** Every change tried, in order. */
  changes: { change: string; ok: boolean; error?: string }[];
  /** Each side's state after the run, as read or as changed; `unknown: …` when not known. */
  sides: Record<Side, string>;
  /** What kept a side from being made right (an unreachable cluster, a failed or missing object). */
  problems: string[];
  /** The notification could not be sent. */
  warnings: string[];
}

export interface FollowOptions {
  /** The side the main record now points at. */
  active: Side;
  trigger: string;
  notificationTopic?: string;
  onProgress?: (message: string) => void;
}

const message = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

interface OpenSide {
  observation: SideObservation;
  cluster: VeleroDirectionCluster | null;
}

async function openSide(
  config: DrpilotConfig,
  velero: NonNullable<DrpilotConfig['backups']['velero']>,
  side: Side,
): Promise<OpenSide> {
  const access = veleroSideAccess(velero, side, config.backups.restoreDrill);
  if (!access.ok) {
    return { observation: { reachable: false, error: access.message }, cluster: null };
  }
  let cluster: VeleroDirectionCluster | null = null;
  try {
    cluster = await openVeleroDirectionCluster(
      access.access,
      config.clusters[side].region,
      velero[side].namespace,
    );
    return {
      observation: { reachable: true, velero: await cluster.observe(velero[side].location) },
      cluster,
    };
  } catch (error) {
    cluster?.close();
    return { observation: { reachable: false, error: message(error) }, cluster: null };
  }
}

/** Where DR's newest restorable backup is: in DR's bucket, and restorable in the primary's. */
async function observeBackupHome(config: DrpilotConfig): Promise<BackupHome> {
  try {
    const read = (side: Side) =>
      assessSide(bucketSide(config.backups, side), config.backups.acceptPhases, 16, ['backups']);
    const [dr, primary] = await Promise.all([read('dr'), read('primary')]);
    let newest: { name: string; completionTimestamp: string } | null = null;
    for (const a of Object.values(dr.assessments)) {
      if (
        a.restorable &&
        (!newest || Date.parse(a.completionTimestamp) > Date.parse(newest.completionTimestamp))
      ) {
        newest = { name: a.name, completionTimestamp: a.completionTimestamp };
      }
    }
    return {
      drNewest: newest,
      restorableOnPrimary: newest !== null && primary.assessments[newest.name]?.restorable === true,
    };
  } catch (error) {
    return { error: message(error) };
  }
}

/**
 * After a switch of the main record: makes the active side's Velero take backups and the
 * standby's stop (lambdas/core/backup-direction/plan-direction.ts says what and in which order).
 * Never throws: a cluster that cannot be reached, a refused change or a held failback is
 * reported with each side's exact state, audited and paged; the DNS switch stands either way.
 * A failure on the standby side does not keep the active side from being made right: the side
 * serving customers must take backups.
 */
export async function followActiveSide(
  config: DrpilotConfig,
  options: FollowOptions,
): Promise<BackupDirectionResult | null> {
  const velero = config.backups.velero;
  if (!velero) return null;
  const progress = options.onProgress ?? (() => undefined);
  progress(`reading both clusters' Velero to make ${options.active} take the backups`);
  const [primary, dr, backupHome] = await Promise.all([
    openSide(config, velero, 'primary'),
    openSide(config, velero, 'dr'),
    options.active === 'primary' ? observeBackupHome(config) : Promise.resolve(undefined),
  ]);
  const sides = { primary, dr };
  /** The planner plans steps only for sides it saw, so a side with a step has a client. */
  const clusterOf = (side: Side): VeleroDirectionCluster => {
    const cluster = sides[side].cluster;
    if (!cluster) throw new Error(`${side} was not reached`);
    return cluster;
  };
  try {
    const plan = planDirection({
      active: options.active,
      observed: { primary: sides.primary.observation, dr: sides.dr.observation },
      selection: { primary: velero.primary, dr: velero.dr },
      ...(backupHome ? { backupHome } : {}),
    });
    const state = (side: Side, applied: readonly DirectionStep[]) => {
      const observation = sides[side].observation;
      return observation.reachable
        ? describeSide(observation.velero, applied)
        : `unknown: not reachable (${observation.error})`;
    };
    if (plan.kind === 'hold') {
      return await report(config, options, {
        outcome: 'held',
        active: options.active,
        reason: plan.reason,
        checks: plan.checks,
        changes: [],
        sides: { primary: state('primary', []), dr: state('dr', []) },
        problems: [],
        warnings: [],
      });
    }

    const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
    const changes: BackupDirectionResult['changes'] = [];
    const applied: Record<Side, DirectionStep[]> = { primary: [], dr: [] };
    const failed = new Set<Side>();
    const auditWarnings: string[] = [];
    const problems = plan.problems.map((p) => `${p.side}: ${p.detail}`);
    for (const step of plan.steps) {
      if (failed.has(step.side)) continue;
      const change = describeStep(step);
      progress(change);
      try {
        await clusterOf(step.side).apply(step);
      } catch (error) {
        failed.add(step.side);
        changes.push({ change, ok: false, error: message(error) });
        problems.push(`${step.side}: ${change} failed: ${message(error)}`);
        continue;
      }
      applied[step.side].push(step);
      changes.push({ change, ok: true });
      await store
        .appendAudit('backup-direction', {
          trigger: options.trigger,
          active: options.active,
          change,
          outcome: 'changed',
        })
        .catch((error: unknown) => {
          auditWarnings.push(`${change} was made but not audited: ${message(error)}`);
        });
    }
    const after = {} as Record<Side, string>;
    for (const side of SIDES) {
      if (!failed.has(side)) {
        after[side] = state(side, applied[side]);
        continue;
      }
      // A change the API server refused or never answered: read what the side holds now.
      const reread = await clusterOf(side)
        .observe(velero[side].location)
        .then((v: ObservedVelero) => describeSide(v, []))
        .catch(
          (error: unknown) =>
            `unknown: re-reading after the failure failed (${message(error)}); before it: ${state(side, applied[side])}`,
        );
      after[side] = reread;
    }
    const made = changes.filter((c) => c.ok).length;
    const outcome: BackupDirectionOutcome =
      problems.length > 0 ? 'partial' : made > 0 ? 'flipped' : 'in-place';
    const reason =
      outcome === 'partial'
        ? `backups do not fully follow ${options.active}: ${problems.join('; ')}`
        : outcome === 'flipped'
          ? `${options.active} takes the backups now (${made} change(s))`
          : `${options.active} already takes the backups: nothing to change`;
    return await report(config, options, {
      outcome,
      active: options.active,
      reason,
      checks: plan.checks,
      changes,
      sides: after,
      problems,
      warnings: auditWarnings,
    });
  } finally {
    sides.primary.cluster?.close();
    sides.dr.cluster?.close();
  }
}

/** Audits the run; pages when a side is not as it should be or a failback is held. */
async function report(
  config: DrpilotConfig,
  options: FollowOptions,
  result: BackupDirectionResult,
): Promise<BackupDirectionResult> {
  const entry = {
    trigger: options.trigger,
    active: result.active,
    outcome: result.outcome,
    reason: result.reason,
    checks: result.checks,
    changes: result.changes,
    sides: result.sides,
    problems: result.problems,
  };
  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  await store.appendAudit('backup-direction', entry).catch((error: unknown) => {
    result.warnings.push(`the backup direction's audit entry was not written: ${message(error)}`);
  });
  if (result.outcome === 'partial' || result.outcome === 'held') {
    const warning = await notify(
      snsClient(config.controlRegion),
      options.notificationTopic ?? notificationTopicName(config),
      `drpilot ${config.name}: BACKUP DIRECTION ${result.outcome.toUpperCase()}`,
      entry,
    );
    if (warning) result.warnings.push(warning);
  }
  return result;
}

/** The lines a DNS switch's result carries about the backup direction. */
export function backupDirectionWarnings(result: BackupDirectionResult | null): string[] {
  if (!result || result.outcome === 'flipped' || result.outcome === 'in-place') {
    return result?.warnings ?? [];
  }
  return [
    `backup direction ${result.outcome}: ${result.reason} (primary: ${result.sides.primary}; dr: ${result.sides.dr})`,
    ...result.warnings,
  ];
}

/**
 * The backup direction after a DNS run: only for the main record (a drill flips the drill record
 * and leaves the backups alone), never on a dry run, and never throwing into the switch.
 */
export async function backupsAfterSwitch(
  config: DrpilotConfig,
  run: { drill: boolean; dryRun: boolean; trigger: string; notificationTopic?: string },
  active: Side,
  onProgress: (message: string) => void,
): Promise<{ result: BackupDirectionResult | null; warnings: string[] }> {
  if (run.drill || run.dryRun || !config.backups.velero) return { result: null, warnings: [] };
  try {
    const result = await followActiveSide(config, {
      active,
      trigger: run.trigger,
      onProgress,
      ...(run.notificationTopic ? { notificationTopic: run.notificationTopic } : {}),
    });
    return { result, warnings: backupDirectionWarnings(result) };
  } catch (error) {
    return {
      result: null,
      warnings: [`the backup direction was not changed: ${message(error)}`],
    };
  }
}
