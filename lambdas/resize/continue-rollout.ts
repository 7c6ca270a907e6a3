import type { DrpilotConfig } from '../core/config/schema';
import { TriggerEventError } from '../core/events/trigger-event';
import { checkRolloutShape, judgeRolloutLease } from '../core/resize/rollout-trust';
import { resizeScope } from '../core/shared-names';
import { advanceRollout, type AdvanceOptions } from './advance-rollout';
import { finishRollout } from './finish-rollout';
import { resizeContext } from './resize-context';
import type { ResizeResult, RolloutState } from './rollout-state';

/**
 * A rollout state sent back by the state machine — or by anyone allowed to invoke the function:
 * carried on only when well formed and matching the group's lease, else rejected with no write.
 */
export async function continueRollout(
  config: DrpilotConfig,
  event: unknown,
  options: AdvanceOptions,
): Promise<RolloutState | ResizeResult> {
  const reject = (message: string, issues: { path: string; message: string }[] = []) =>
    new TriggerEventError(`rollout state rejected: ${message}`, 'rollout-state', issues);
  const checked = checkRolloutShape(event);
  if (!checked.ok) {
    throw reject(checked.issues.map((i) => `${i.path}: ${i.message}`).join('; '), checked.issues);
  }
  const { state } = checked;
  const group = config.nodeGroups.find((g) => g.id === state.groupId);
  if (!group) {
    throw reject(`groupId: "${state.groupId}" is not a configured node group`, [
      { path: 'groupId', message: 'not a configured node group' },
    ]);
  }
  const { store } = resizeContext(config, group, options.now);
  const judged = judgeRolloutLease(state, await store.readLease(resizeScope(state.groupId)));
  if (!judged.ok) throw reject(judged.reason, [{ path: 'lease', message: judged.reason }]);
  // Checked above: the shape RolloutState describes, with the lease this rollout holds.
  const rollout = event as RolloutState;
  if (rollout.done || rollout.error) return finishRollout(config, rollout, options);
  return advanceRollout(config, rollout, options);
}
