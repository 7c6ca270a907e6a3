import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/core/config/validate';
import { groupsToReplan } from '../../lambdas/core/resize/replan';
import { resizeAlarmName } from '../../lambdas/core/shared-names';
import { exampleConfig } from '../support/example-config';

const result = validateConfig(exampleConfig());
if (!result.ok) throw new Error('example config invalid');
const config = result.config;
const name = (group: string, direction: 'up' | 'down', member: string) =>
  resizeAlarmName(config, group, direction, member) ?? '';

describe('groupsToReplan: the groups of a region whose member alarms are still in ALARM', () => {
  it('names each group of the region once, with its alarms in ALARM, sorted', () => {
    const alarming = [
      name('primary-workers', 'up', 'i-2'),
      name('primary-workers', 'up', 'i-1'),
      name('dr-workers', 'up', 'i-9'),
    ];
    expect(groupsToReplan(config, 'eu-west-1', alarming)).toEqual([
      {
        groupId: 'primary-workers',
        alarms: [name('primary-workers', 'up', 'i-1'), name('primary-workers', 'up', 'i-2')],
      },
    ]);
    expect(groupsToReplan(config, 'eu-central-1', alarming)).toEqual([
      { groupId: 'dr-workers', alarms: [name('dr-workers', 'up', 'i-9')] },
    ]);
  });

  it('ignores alarms of groups no longer configured and names that are not resize alarms', () => {
    const alarming = [name('retired', 'up', 'i-1'), 'acme-primary-health', 'someone-else'];
    expect(groupsToReplan(config, 'eu-west-1', alarming)).toEqual([]);
  });

  it('nothing in ALARM, nothing to plan', () => {
    expect(groupsToReplan(config, 'eu-west-1', [])).toEqual([]);
  });
});
