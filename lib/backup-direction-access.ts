import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  EKS_BACKUP_DIRECTION_GROUP,
  veleroSideAccess,
} from '../lambdas/core/config/backup-direction-access';
import type { KubernetesAccess } from '../lambdas/core/config/kubernetes-access';
import type { DrpilotConfig, Side } from '../lambdas/core/config/schema';
import { names } from './names';
import type { ReactiveFunction } from './reactive-function';

/** How the DNS function reaches a side's cluster for backups.velero, or null when not configured. */
function accessOf(config: DrpilotConfig, side: Side): KubernetesAccess | null {
  const velero = config.backups.velero;
  if (!velero) return null;
  const access = veleroSideAccess(velero, side, config.backups.restoreDrill);
  if (!access.ok) throw new Error(`backups.velero.${access.path.join('.')}: ${access.message}`);
  return access.access;
}

/** The DNS function's role needs a fixed name when a region stack names it in an access entry. */
export function backupDirectionNeedsRoleName(config: DrpilotConfig): boolean {
  return (['primary', 'dr'] as const).some((side) => accessOf(config, side)?.auth === 'eks');
}

/**
 * What the DNS function needs to flip each cluster's Velero: its kubeconfig secret by name, or
 * eks:DescribeCluster on that one cluster (the rights inside come from the access entry's group
 * and the Role in docs/resync.md).
 */
export function grantBackupDirection(reactive: ReactiveFunction, config: DrpilotConfig): void {
  for (const side of ['primary', 'dr'] as const) {
    const access = accessOf(config, side);
    if (!access) continue;
    const region = config.clusters[side].region;
    const sid = side === 'primary' ? 'Primary' : 'Dr';
    reactive.addToRolePolicy(
      access.auth === 'eks'
        ? new iam.PolicyStatement({
            sid: `DescribeVelero${sid}Cluster`,
            actions: ['eks:DescribeCluster'],
            resources: [
              Stack.of(reactive).formatArn({
                service: 'eks',
                region,
                resource: 'cluster',
                resourceName: access.clusterName,
              }),
            ],
          })
        : new iam.PolicyStatement({
            sid: `ReadVelero${sid}Kubeconfig`,
            actions: ['secretsmanager:GetSecretValue'],
            resources: [
              Stack.of(reactive).formatArn({
                service: 'secretsmanager',
                region,
                resource: 'secret',
                // Secrets Manager appends six random characters to a secret's ARN.
                resourceName: `${access.secretName}-??????`,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            ],
          }),
    );
  }
}

/** In a side's region stack: the DNS function's role mapped to the backup-direction group. */
export function backupDirectionAccessEntry(
  scope: Construct,
  config: DrpilotConfig,
  side: Side,
): void {
  const access = accessOf(config, side);
  if (access?.auth !== 'eks') return;
  new eks.CfnAccessEntry(scope, `EksBackupDirectionAccess-${access.clusterName}`, {
    clusterName: access.clusterName,
    principalArn: Stack.of(scope).formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: names.dnsRole(config),
    }),
    kubernetesGroups: [EKS_BACKUP_DIRECTION_GROUP],
    type: 'STANDARD',
  });
}
