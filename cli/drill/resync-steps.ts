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
    const skipped = first.skipped.map((s) => `${s.name} (${s.reason})`).join('; ');
    return `${first.from} → ${first.to}: ${first.copied.length} backup(s) committed, ${first.objectsCopied} objects, ${formatBytes(first.bytesCopied)}; skipped ${first.skipped.length}: ${skipped}`;
  });

  await steps.run('standby bucket: every backup its Velero can see is restorable', async () => {
    if (!first?.to) throw new Error('no re-sync result');
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
    return `${visible.length} backup(s) visible on ${first.to}, all restorable: ${visible.map((v) => v.name).join(', ')}`;
  });

  await steps.run('re-sync again: nothing new, nothing copied', async () => {
    const second = await runResync(config, { dryRun: false, trigger: 'drill (second run)' });
    if (second.objectsCopied !== 0)
      throw new Error(`copied ${second.objectsCopied} object(s) again`);
    return `outcome ${second.outcome}, 0 objects copied`;
  });

  const rpo = first?.rpo;
  await steps.run('RPO the standby side can restore', async () => {
    if (!rpo || rpo.overall.rpoSeconds === null)
      throw new Error('no restorable backup on the standby side');
    const perSchedule = rpo.schedules
      .map((s) => `${s.schedule}: ${formatDuration(s.rpoSeconds)}`)
      .join(', ');
    return `newest restorable ${rpo.overall.newestBackup}: RPO ${formatDuration(rpo.overall.rpoSeconds)} (${perSchedule})`;
  });
  return rpo?.overall.rpoSeconds ?? null;
}
