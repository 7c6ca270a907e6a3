/**
 * The instance types a node group may be changed to, as an IAM condition on
 * `ec2:ModifyInstanceAttribute`. Pure: lib/ builds the policy from it.
 *
 * `ec2:ModifyInstanceAttribute` changes any one attribute of an instance — its user data, its
 * security groups, its shutdown behaviour as much as its type — so a role allowed to call it on a
 * stopped node could make the node run other code as the node's role when it starts. The Service
 * Authorization Reference lists the condition key `ec2:Attribute/${AttributeName}` for the action
 * ("Filters access by an attribute being set on a resource", type String): in a request that sets
 * the instance type, `ec2:Attribute/InstanceType` holds the type being set. A request that sets
 * another attribute carries no `ec2:Attribute/InstanceType` key, and a `StringEquals` /
 * `StringLike` condition on a key the request does not have is false, so the allow does not apply
 * to it: only the instance type may change, and only to a type on the group's ladder. (If AWS did
 * not put the key in the request context, the allow would fail closed — a resize is refused, never
 * a broader right granted.)
 */
import type { NodeGroupConfig } from '../config/schema';
import { instanceFamily, ladderSeed } from './derived-ladder';

/** The condition key that holds the instance type a ModifyInstanceAttribute request sets. */
export const RETYPE_CONDITION_KEY = 'ec2:Attribute/InstanceType';

export interface RetypeCondition {
  /** `StringEquals` for an explicit ladder, `StringLike` (`<family>.*`) for a derived one. */
  operator: 'StringEquals' | 'StringLike';
  values: string[];
}

/**
 * The types a resize (and the restore of the old type) may set: the ladder's types, or every size
 * of the seed's family when the ladder is derived (the sizes come from DescribeInstanceTypes at
 * run time). Restoring a node to its old type is covered too: the planner moves only nodes whose
 * current type is on the effective ladder.
 */
export function retypeCondition(group: Pick<NodeGroupConfig, 'ladder'>): RetypeCondition {
  const seed = ladderSeed(group.ladder);
  if (seed) return { operator: 'StringLike', values: [`${instanceFamily(seed)}.*`] };
  return { operator: 'StringEquals', values: [...new Set(group.ladder)].sort() };
}
