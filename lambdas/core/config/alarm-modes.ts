/**
 * How a node group's resize alarms cover its members (config `nodeGroups[].alarms`):
 * `members` one up/down pair per member, `group` one pair on the CloudWatch agent's rollup over
 * the group's dimension, `auto` the rollup once CloudWatch lists it, else per member.
 */
export const ALARM_MODES = ['auto', 'group', 'members'] as const;
export type AlarmMode = (typeof ALARM_MODES)[number];
