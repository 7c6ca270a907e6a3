import { Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** The ARN of an EKS cluster by name, in `region` (default: the stack's). */
export function eksClusterArn(scope: Construct, clusterName: string, region?: string): string {
  return Stack.of(scope).formatArn({
    service: 'eks',
    resource: 'cluster',
    resourceName: clusterName,
    ...(region ? { region } : {}),
  });
}

/**
 * `eks:DescribeCluster` on exactly one cluster: where its API is and which CA signed it. The
 * token itself needs no IAM right (it is a presigned sts:GetCallerIdentity, which every principal
 * may call); what the principal may do in the cluster is its access entry's Kubernetes group.
 */
export function describeClusterStatement(
  scope: Construct,
  sid: string,
  clusterName: string,
  region?: string,
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions: ['eks:DescribeCluster'],
    resources: [eksClusterArn(scope, clusterName, region)],
  });
}

/**
 * An EKS access entry mapping `principalArn` to one Kubernetes group (no access policy: the
 * ClusterRole in docs/resize.md bound to that group is all it may do). One per principal and cluster, as
 * EKS allows; a second call for the same pair returns the first entry.
 */
export function eksAccessEntry(
  scope: Construct,
  props: { clusterName: string; principalArn: string; kubernetesGroup: string },
): eks.CfnAccessEntry {
  const id = `EksAccess-${props.clusterName}`;
  const existing = scope.node.tryFindChild(id);
  if (existing) return existing as eks.CfnAccessEntry;
  return new eks.CfnAccessEntry(scope, id, {
    clusterName: props.clusterName,
    principalArn: props.principalArn,
    kubernetesGroups: [props.kubernetesGroup],
    type: 'STANDARD',
  });
}
