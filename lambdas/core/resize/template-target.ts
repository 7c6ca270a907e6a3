/*
 * What an `asg` / `eks-managed` rollout acts on once its preconditions hold: plain JSON, handed
 * between the Step Functions steps.
 */

interface TargetBase {
  region: string;
  launchTemplateId: string;
  launchTemplateName: string;
  /** The numbered version the group runs now; the new version copies it. */
  currentVersion: number;
  currentType: string;
  /** The in-service instances at the check: the nodes the rollout replaces. */
  memberInstanceIds: string[];
}

export type TemplateTarget =
  | (TargetBase & { kind: 'asg'; autoScalingGroupName: string })
  | (TargetBase & { kind: 'eks-managed'; clusterName: string; nodegroupName: string });

export type TemplateRolloutCheck =
  { ok: true; target: TemplateTarget } | { ok: false; reason: string };
