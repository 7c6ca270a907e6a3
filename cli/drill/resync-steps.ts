import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { bucketSide } from '../../lambdas/adapters/aws/velero-bucket';
import { assessSide } from '../../lambdas/resync/assess-side';
import { runResync, type ResyncResult } from '../../lambdas/resync/run-resync';
import { formatBytes, formatDuration } from '../format';
import type { StepRecorder } from './step-recorder';

/**
 * Re-sync drill: copy every restorable backup to the standby side, prove the standby side shows
 * only restorable backups (what its Velero would import), prove a second run copies nothing,
 * and measure the RPO the standby side can restore. Returns that RPO.
 */
export async function runResyncSteps(
  steps: StepRecorder,
  config: DrpilotConfig,
): Promise<number | null> {
  let first: ResyncResult | undefined;
  await steps.run('re-sync: copy every restorable Velero backup to the standby side', async () => {
    first = await runResync(config, { dryRun: false, trigger: 'drill' });
    if (first.outcome === 'failed' || first.outcome === 'refused') {
      throw new Error(`${first.outcome}: ${first.reason ?? ''}`);
    }
    return describeCopy(first);
  });
  if (first) await runResyncChecks(steps, config, first);
  return first?.rpo?.overall.rpoSeconds ?? null;
}

/** What a re-sync copied and what it skipped, and why. */
function describeCopy(result: ResyncResult): string {
  const skipped = result.skipped.map((s) => `${s.name} (${s.reason})`).join('; ');
  return `${result.from} → ${result.to}: ${result.copied.length} backup(s) committed, ${result.objectsCopied} objects, ${formatBytes(result.bytesCopied)}; skipped ${result.skipped.length}: ${skipped}`;
}

/**
 * After a re-sync that copied (`first`, as runResync or the resync function answered): the standby
 * side shows only restorable backups, a second run copies nothing, and the standby side has an RPO.
 */
export async function runResyncChecks(
  steps: StepRecorder,
  config: DrpilotConfig,
  first: ResyncResult,
  options: { withCopy: boolean } = { withCopy: false },
): Promise<void> {
  await steps.run('standby bucket: every backup its Velero can see is restorable', async () => {
    if (!first.to) throw new Error('the re-sync named no standby side');
    const standby = await assessSide(
      bucketSide(config.backups, first.to),
      config.backups.acceptPhases,
      16,
    );
    const visible = Object.values(standby.assessments);
    const broken = visible.filter((a) => !a.restorable);
    if (broken.length > 0) {
      throw new Error(`not restorable on ${first.to}: ${broken.map((b) => b.name).join(', ')}`);
    }
    const all = `${visible.length} backup(s) visible on ${first.to}, all restorable: ${visible.map((v) => v.name).join(', ')}`;
    // When the resync function copied (the runbook's step says only its outcome), what it copied.
    return options.withCopy ? `${describeCopy(first)}; ${all}` : all;
  });

  await steps.run('re-sync again: nothing new, nothing copied', async () => {
    const second = await runResync(config, { dryRun: false, trigger: 'drill (second run)' });
    if (second.objectsCopied !== 0)
      throw new Error(`copied ${second.objectsCopied} object(s) again`);
    return `outcome ${second.outcome}, 0 objects copied`;
  });

  const rpo = first.rpo;
  await steps.run('RPO the standby side can restore', async () => {
    if (!rpo || rpo.overall.rpoSeconds === null)
      throw new Error('no restorable backup on the standby side');
    const perSchedule = rpo.schedules
      .map((s) => `${s.schedule}: ${formatDuration(s.rpoSeconds)}`)
      .join(', ');
    return `newest restorable ${rpo.overall.newestBackup}: RPO ${formatDuration(rpo.overall.rpoSeconds)} (${perSchedule})`;
  });
}
