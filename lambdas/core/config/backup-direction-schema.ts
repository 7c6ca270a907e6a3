/**
 * backups.velero: which Velero BackupStorageLocation and Schedules of each cluster follow the
 * active side after a DNS failover or failback, and how drpilot reaches each cluster's API. The
 * DR cluster may leave its access out and use backups.restoreDrill's.
 */
import { z } from 'zod';
import { NAMESPACE_NAME } from '../restore/names';
import { eksClusterName } from './eks-cluster-name';
import { KUBERNETES_AUTH } from './kubernetes-access';
import type { Side } from './sides';

/** A Kubernetes object name (RFC 1123 subdomain), as Velero's locations and schedules have. */
const OBJECT_NAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const objectName = (what: string) =>
  z.string().regex(OBJECT_NAME, { error: `expected a Kubernetes object name (${what})` });

const veleroSide = z.strictObject({
  auth: z
    .enum(KUBERNETES_AUTH, { error: 'expected "kubeconfig" or "eks"' })
    .optional()
    .describe('how drpilot authenticates to this cluster (see backups.restoreDrill.auth)'),
  kubeconfigSecret: z
    .string()
    .min(1, { error: 'expected a Secrets Manager secret name' })
    .max(512, { error: 'expected at most 512 characters (the Secrets Manager limit)' })
    .optional()
    .describe(
      'Secrets Manager secret (in this cluster\'s region) holding its kubeconfig as JSON (auth "kubeconfig")',
    ),
  clusterName: eksClusterName.optional().describe('the EKS cluster (auth "eks")'),
  namespace: z
    .string()
    .regex(NAMESPACE_NAME, { error: 'expected a Kubernetes namespace name (a DNS label)' })
    .default('velero')
    .describe("the cluster's Velero namespace"),
  location: objectName('the BackupStorageLocation')
    .default('default')
    .describe('the BackupStorageLocation whose spec.accessMode follows the active side'),
  schedules: z
    .union([
      z.literal('all'),
      z
        .array(objectName('a Velero Schedule'))
        .min(1, { error: 'expected at least one schedule name, or "all"' })
        .max(100),
    ])
    .default('all')
    .describe(
      'the Velero Schedules paused on the standby side and unpaused on the active side: "all" in the namespace, or their names',
    ),
});

export const backupDirectionSchema = z
  .strictObject({ primary: veleroSide, dr: veleroSide })
  .describe(
    "each cluster's Velero: after a DNS failover or failback the active side's location becomes ReadWrite and its schedules run, the standby's ReadOnly and paused",
  );

export type BackupDirectionConfig = z.output<typeof backupDirectionSchema>;
export type VeleroSideConfig = BackupDirectionConfig[Side];
