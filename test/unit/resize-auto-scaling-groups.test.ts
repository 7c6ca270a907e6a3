import { describe, expect, it } from 'vitest';
import {
  autoScalingGroupSelection,
  chooseTaggedGroup,
  inServiceIds,
} from '../../lambdas/core/resize/auto-scaling-groups';

const TAG = { key: 'drpilot:group', value: 'workers' };

describe("an asg group's Auto Scaling group", () => {
  it.each([
    [
      'a name wins over a tag',
      { autoScalingGroupName: 'workers-asg', tag: TAG },
      { name: 'workers-asg' },
    ],
    ['a tag is looked up', { tag: TAG }, { tag: TAG }],
    [
      'neither is a problem',
      {},
      { problem: 'kind "asg" needs selector.autoScalingGroupName or selector.tag' },
    ],
  ])('selection: %s', (_, selector, expected) => {
    expect(autoScalingGroupSelection(selector)).toEqual(expected);
  });

  it.each([
    ['one group carries the tag', ['workers-asg'], { name: 'workers-asg' }],
    [
      'none does',
      [],
      { problem: 'no Auto Scaling group in eu-west-1 carries the tag drpilot:group=workers' },
    ],
    [
      'several do',
      ['a', 'b'],
      {
        problem:
          'several Auto Scaling groups carry the tag drpilot:group=workers (a, b): name one in selector.autoScalingGroupName',
      },
    ],
  ])('by tag: %s', (_, names, expected) => {
    expect(chooseTaggedGroup(TAG, 'eu-west-1', names)).toEqual(expected);
  });

  it('members: the InService instances, sorted by id', () => {
    const instance = (id: string, lifecycleState: string) => ({
      id,
      type: 'm6i.large',
      zone: 'eu-west-1a',
      lifecycleState,
    });
    expect(
      inServiceIds({
        name: 'workers-asg',
        launchTemplate: null,
        launchConfigurationName: null,
        mixedInstances: null,
        tags: {},
        instances: [
          instance('i-3', 'InService'),
          instance('i-2', 'Pending'),
          instance('i-1', 'InService'),
          instance('i-4', 'Terminating:Wait'),
        ],
      }),
    ).toEqual(['i-1', 'i-3']);
  });
});
