import {
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  UpdateNodegroupVersionCommand,
  type EKSClient,
} from '@aws-sdk/client-eks';
import type { NodegroupInfo } from '../../core/resize/template-observations';

/** The node group, or null when the cluster has none of that name. */
export async function describeNodegroup(
  eks: EKSClient,
  clusterName: string,
  nodegroupName: string,
): Promise<NodegroupInfo | null> {
  try {
    const { nodegroup } = await eks.send(
      new DescribeNodegroupCommand({ clusterName, nodegroupName }),
    );
    if (!nodegroup) return null;
    const template = nodegroup.launchTemplate;
    return {
      clusterName,
      nodegroupName,
      status: nodegroup.status ?? '',
      launchTemplate:
        template?.id || template?.name
          ? { id: template.id ?? '', name: template.name ?? '', version: template.version ?? '' }
          : null,
      instanceTypes: nodegroup.instanceTypes ?? [],
      tags: nodegroup.tags ?? {},
      autoScalingGroups: (nodegroup.resources?.autoScalingGroups ?? []).map((g) => g.name ?? ''),
    };
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return null;
    throw error;
  }
}

/**
 * Moves the node group to another version of its own launch template; EKS replaces the nodes,
 * draining each first (PodDisruptionBudgets respected). Returns the update's id.
 */
export async function updateNodegroupLaunchTemplate(
  eks: EKSClient,
  clusterName: string,
  nodegroupName: string,
  launchTemplate: { id: string; version: number },
): Promise<string> {
  const { update } = await eks.send(
    new UpdateNodegroupVersionCommand({
      clusterName,
      nodegroupName,
      launchTemplate: { id: launchTemplate.id, version: String(launchTemplate.version) },
    }),
  );
  if (!update?.id) throw new Error(`UpdateNodegroupVersion on ${nodegroupName} returned no id`);
  return update.id;
}

export interface NodegroupUpdateInfo {
  /** InProgress, Successful, Failed or Cancelled. */
  status: string;
  errors: string[];
}

export async function describeNodegroupUpdate(
  eks: EKSClient,
  clusterName: string,
  nodegroupName: string,
  updateId: string,
): Promise<NodegroupUpdateInfo> {
  const { update } = await eks.send(
    new DescribeUpdateCommand({ name: clusterName, nodegroupName, updateId }),
  );
  return {
    status: update?.status ?? '',
    errors: (update?.errors ?? []).map(
      (e) =>
        `${e.errorCode ?? 'Unknown'}: ${e.errorMessage ?? ''}` +
        (e.resourceIds?.length ? ` (${e.resourceIds.join(', ')})` : ''),
    ),
  };
}
