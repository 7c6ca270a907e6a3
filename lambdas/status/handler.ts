import { parseTriggerEvent, TriggerEventError } from '../core/events/trigger-event';
import { runtimeConfig } from '../shared/environment';
import { withObservability } from '../shared/powertools';
import { readStatus } from './read-status';

/** Answers `{ "action": "status" }` (the CLI's `status --via lambda`) with the estate's status. */
export const handler = withObservability('status', async (event: unknown) => {
  const trigger = parseTriggerEvent(event, { allowedActions: ['status'] });
  if (trigger.kind !== 'manual') {
    throw new TriggerEventError(
      'the status function answers manual { "action": "status" } payloads only, not alarms',
      'manual',
    );
  }
  return readStatus(runtimeConfig());
});
