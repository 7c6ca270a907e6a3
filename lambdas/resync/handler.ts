import { parseTriggerEvent, TriggerEventError } from '../core/events/trigger-event';
import { withObservability } from '../shared/powertools';
import { runtimeConfig } from '../shared/environment';
import { runResync } from './run-resync';

export class ResyncFailedError extends Error {
  override readonly name = 'ResyncFailedError';
}

/**
 * Started every 5 minutes, when Velero writes a velero-backup.json in either bucket (both as
 * `{ "action": "resync", "reason": … }` from EventBridge), and by people (`drpilot resync --via
 * lambda`). A run with failed steps throws after it is audited, so asynchronous invocations are
 * retried and finally land in the failure queue instead of passing silently.
 */
export const handler = withObservability('resync', async (event: unknown, _context, { logger }) => {
  const trigger = parseTriggerEvent(event, { allowedActions: ['resync'] });
  if (trigger.kind !== 'manual') {
    throw new TriggerEventError(
      'the resync function runs on its schedule, on S3 events and for people ({ "action": "resync" }), not on alarms',
      trigger.source === 'eventbridge' || trigger.source === 'sns'
        ? trigger.source
        : 'alarm-action',
    );
  }
  const result = await runResync(runtimeConfig(), {
    dryRun: trigger.dryRun,
    ...(trigger.backup ? { backup: trigger.backup } : {}),
    trigger: trigger.reason ?? 'manual',
    onProgress: (message) => logger.info(message),
  });
  logger.info('resync finished', {
    outcome: result.outcome,
    copied: result.copied.length,
    rpoSeconds: result.rpoSeconds,
  });
  if (result.outcome === 'failed') {
    throw new ResyncFailedError(
      `${result.reason}: ${result.failures
        .map((f) => `${f.key}: ${f.message}`)
        .slice(0, 5)
        .join('; ')}`,
    );
  }
  return result;
});
