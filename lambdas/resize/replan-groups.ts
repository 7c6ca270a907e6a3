import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { alarmingAlarmNames } from '../adapters/aws/metric-alarms';
import { groupsToReplan } from '../core/resize/replan';
import { resizeAlarmPrefix, SCHEDULED_ACTIONS } from '../core/shared-names';
import type { AdvanceOptions } from './advance-rollout';
import type { ResizeEnvironment } from './environment';
import { startRollout } from './start-rollout';

/** The every-5-minutes re-plan of this region's groups whose member alarms are still in ALARM. */
export async function replanGroups(environment: ResizeEnvironment, options: AdvanceOptions) {
  const { config, region } = environment;
  const alarming = await alarmingAlarmNames(cloudWatchClient(region), resizeAlarmPrefix(config));
  const groups = [];
  for (const { groupId, alarms } of groupsToReplan(config, region, alarming)) {
    const named = alarms.length === 1 ? alarms[0] : `${alarms.length} alarms, first ${alarms[0]}`;
    const result = await startRollout(
      environment,
      {
        groupId,
        request: { kind: 'auto' },
        dryRun: false,
        trigger: `re-plan: ${named} in ALARM`,
        automatic: true,
      },
      options,
    );
    groups.push({ id: groupId, alarms, outcome: result.outcome, reason: result.reason });
  }
  return { action: SCHEDULED_ACTIONS.resizeReplan, groups };
}
