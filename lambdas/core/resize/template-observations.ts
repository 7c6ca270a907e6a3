/*
 * What the adapters observe of Auto Scaling groups, EKS node groups and launch templates: the
 * facts the template-rollout rules (template-preconditions.ts) decide from.
 */

export interface LaunchTemplateRef {
  id: string;
  name: string;
  /** A number, `$Latest` or `$Default`, as the group references it. */
  version: string;
}

/** What drpilot reads of an Auto Scaling group. */
export interface AutoScalingGroupInfo {
  name: string;
  /** The launch template the group references directly (not through a MixedInstancesPolicy). */
  launchTemplate: LaunchTemplateRef | null;
  launchConfigurationName: string | null;
  /** Present when the group has a MixedInstancesPolicy. */
  mixedInstances: {
    launchTemplate: LaunchTemplateRef | null;
    /** Instance types (or "instance requirements") that override the template's. */
    overrides: string[];
  } | null;
  tags: Record<string, string>;
  instances: Array<{ id: string; type: string; zone: string; lifecycleState: string }>;
}

export interface LifecycleHook {
  name: string;
  transition: string;
}

export interface InstanceRefreshInfo {
  id: string;
  /** Pending, InProgress, Successful, Failed, Cancelling, Cancelled, RollbackInProgress, … */
  status: string;
  statusReason: string | null;
  percentageComplete: number | null;
}

/** What drpilot reads of an EKS managed node group. */
export interface NodegroupInfo {
  clusterName: string;
  nodegroupName: string;
  /** ACTIVE, UPDATING, DEGRADED, … */
  status: string;
  launchTemplate: LaunchTemplateRef | null;
  /** The types set on the node group itself; empty when the launch template sets the type. */
  instanceTypes: string[];
  tags: Record<string, string>;
  /** The Auto Scaling groups EKS runs the nodes in. */
  autoScalingGroups: string[];
}

/** What drpilot reads of one launch template version. */
export interface LaunchTemplateVersion {
  launchTemplateId: string;
  launchTemplateName: string;
  versionNumber: number;
  instanceType: string | null;
  imageId: string | null;
  /** The instance profile's ARN or name, when the template sets one. */
  instanceProfile: string | null;
}

/** EC2's answer to a DryRun request: `DryRunOperation` means the caller may do it. */
export type DryRunAnswer = { allowed: true } | { allowed: false; code: string; message: string };
