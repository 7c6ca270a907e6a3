import type { NodeGroupConfig } from '../config/schema';
import type { AutoScalingGroupInfo } from './template-observations';

type Tag = { key: string; value: string };

/** How an `asg` group's selector finds its Auto Scaling group: by name, by a tag, or not at all. */
export function autoScalingGroupSelection(
  selector: NodeGroupConfig['selector'],
): { name: string } | { tag: Tag } | { problem: string } {
  if (selector.autoScalingGroupName) return { name: selector.autoScalingGroupName };
  if (selector.tag) return { tag: selector.tag };
  return { problem: 'kind "asg" needs selector.autoScalingGroupName or selector.tag' };
}

/** The one group carrying the selector's tag, or why there is none to take. */
export function chooseTaggedGroup(
  tag: Tag,
  region: string,
  names: readonly string[],
): { name: string } | { problem: string } {
  const [only, ...others] = names;
  if (only && others.length === 0) return { name: only };
  return {
    problem: !only
      ? `no Auto Scaling group in ${region} carries the tag ${tag.key}=${tag.value}`
      : `several Auto Scaling groups carry the tag ${tag.key}=${tag.value} (${names.join(', ')}): name one in selector.autoScalingGroupName`,
  };
}

/** The ids of the group's InService instances, sorted. */
export const inServiceIds = (group: AutoScalingGroupInfo): string[] =>
  group.instances
    .filter((i) => i.lifecycleState === 'InService')
    .map((i) => i.id)
    .sort((a, b) => a.localeCompare(b));
