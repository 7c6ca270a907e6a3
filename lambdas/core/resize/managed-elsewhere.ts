/**
 * Why an instance must not be resized by stopping it, or null when it may be. An instance of an
 * Auto Scaling group or one Karpenter launched is replaced, not restarted, while it is stopped
 * (the group's or Karpenter's health checks see a stopped node as failed), so drpilot refuses.
 */
export function managedElsewhere(tags: Readonly<Record<string, string>>): string | null {
  const asg = tags['aws:autoscaling:groupName'];
  if (asg) return `belongs to Auto Scaling group ${asg}: resize the group (kind "asg") instead`;
  const karpenter = Object.keys(tags).find(
    (key) => key.startsWith('karpenter.sh/') || key.startsWith('karpenter.k8s.aws/'),
  );
  if (karpenter)
    return `launched by Karpenter (tag ${karpenter}): Karpenter would replace it while stopped`;
  if (tags['eks:nodegroup-name']) {
    return `belongs to EKS managed node group ${tags['eks:nodegroup-name']}: use kind "eks-managed"`;
  }
  return null;
}
