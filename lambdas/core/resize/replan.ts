import type { DrpilotConfig, Side } from '../config/schema';
import { parseResizeAlarmName } from '../shared-names';

/**
 * The node groups of `region` to plan again, and why: those with a member alarm still in ALARM.
 * An alarm invokes the resize only on its transition, so a rollout that ended without moving a
 * node (a drain a PodDisruptionBudget kept blocking, a step that failed) would otherwise wait for
 * the alarm to go OK and back. The planner, lease and cooldown decide what a re-plan does.
 */
export function groupsToReplan(
  config: DrpilotConfig,
  region: string,
  alarmingNames: readonly string[],
): { groupId: string; alarms: string[] }[] {
  const inRegion = config.nodeGroups.filter(
    (g) => config.clusters[g.cluster as Side].region === region,
  );
  return inRegion
    .map((group) => ({
      groupId: group.id,
      alarms: alarmingNames
        .filter((name) => parseResizeAlarmName(config, name)?.groupId === group.id)
        .sort(),
    }))
    .filter((g) => g.alarms.length > 0);
}
