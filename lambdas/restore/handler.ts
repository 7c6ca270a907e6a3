import { assertManualRequestFits } from '../core/events/manual-request-rules';
import { parseTriggerEvent, TriggerEventError } from '../core/events/trigger-event';
import { SCHEDULED_ACTIONS } from '../core/shared-names';
import { withObservability } from '../shared/powertools';
import { restoreEnvironment } from './environment';
import { publishVerifiedRecoveryPoint, runRestoreDrill } from './run-restore';

export class RestoreDrillFailedError extends Error {
  override readonly name = 'RestoreDrillFailedError';
}

const ACTIONS = [SCHEDULED_ACTIONS.restoreDrill, SCHEDULED_ACTIONS.restorePublish] as const;

/**
 * `{ "action": "verify-restore" }` on backups.restoreDrill.schedule and from people (`drpilot
 * verify-restore --via lambda`): one restore drill in the DR cluster. `{ "action":
 * "publish-verified-rpo" }` hourly: the verified RPO aged to now, so its alarm sees a datapoint
 * between drills. A drill that fails throws after it is cleaned up and audited: the invocation
 * lands in the failure queue, whose alarm pages.
 */
export const handler = withObservability(
  'restore',
  async (event: unknown, _context, { logger }) => {
    const trigger = parseTriggerEvent(event, { allowedActions: ACTIONS });
    if (trigger.kind !== 'manual') {
      throw new TriggerEventError(
        'the restore function runs on its schedules and for people ({ "action": "verify-restore" }), not on alarms',
        trigger.source === 'eventbridge' || trigger.source === 'sns'
          ? trigger.source
          : 'alarm-action',
      );
    }
    const { config } = restoreEnvironment();
    assertManualRequestFits(trigger, config);
    if (trigger.action === SCHEDULED_ACTIONS.restorePublish)
      return publishVerifiedRecoveryPoint(config);
    const result = await runRestoreDrill(config, {
      dryRun: trigger.dryRun,
      ...(trigger.backup ? { backup: trigger.backup } : {}),
      trigger: trigger.reason ?? 'manual',
      onProgress: (message) => logger.info(message),
    });
    logger.info('restore drill finished', {
      outcome: result.outcome,
      backup: result.backup?.name ?? null,
      verifiedRpoSeconds: result.verifiedRpo?.overall?.rpoSeconds ?? null,
    });
    if (result.outcome === 'failed') throw new RestoreDrillFailedError(result.reason);
    return result;
  },
);
