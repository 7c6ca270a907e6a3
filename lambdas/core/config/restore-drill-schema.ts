import { z } from 'zod';
import { NAMESPACE_NAME } from '../restore/names';
import { eksClusterName } from './eks-cluster-name';
import { KUBERNETES_AUTH, kubernetesAccess } from './kubernetes-access';

/** The phases a finished Velero Restore may end in that can count as a verified restore. */
export const ACCEPTABLE_RESTORE_PHASES = ['Completed', 'PartiallyFailed'] as const;

/**
 * An EventBridge schedule expression: `rate(<n> <unit>)` (singular unit for 1, as EventBridge
 * requires) or `cron(<six fields>)`.
 */
export const SCHEDULE_EXPRESSION =
  /^(rate\((1 (minute|hour|day)|[1-9]\d{0,5} (minutes|hours|days))\)|cron\(\S+( \S+){5}\))$/;

/** A Kubernetes resource as `velero restore --exclude-resources` takes it: `ingresses`, `certificates.cert-manager.io`. */
const RESOURCE_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

const namespaceName = z
  .string()
  .regex(NAMESPACE_NAME, { error: 'expected a Kubernetes namespace name (a DNS label)' });

const bounded = (min: number, max: number, fallback: number) =>
  z
    .int()
    .min(min, { error: `expected between ${min} and ${max} seconds` })
    .max(max, { error: `expected between ${min} and ${max} seconds` })
    .default(fallback);

/** backups.restoreDrill: the DR cluster's Velero, and how the scheduled restore drill runs. */
export const restoreDrillSchema = z.strictObject({
  auth: z
    .enum(KUBERNETES_AUTH, { error: 'expected "kubeconfig" or "eks"' })
    .optional()
    .describe(
      'how the drill authenticates to the DR cluster: "eks" (a short-lived IAM token; the CDK gives the restore role an EKS access entry) or "kubeconfig" (kubeconfigSecret); default: "eks" when only clusterName is set',
    ),
  kubeconfigSecret: z
    .string()
    .min(1, { error: 'expected a Secrets Manager secret name' })
    .max(512, { error: 'expected at most 512 characters (the Secrets Manager limit)' })
    .optional()
    .describe(
      'Secrets Manager secret (in the DR cluster\'s region) holding the DR cluster\'s kubeconfig, as JSON (auth "kubeconfig")',
    ),
  clusterName: eksClusterName
    .optional()
    .describe('the DR EKS cluster, in the DR region (auth "eks")'),
  veleroNamespace: namespaceName.default('velero').describe("the DR cluster's Velero namespace"),
  schedule: z
    .string()
    .regex(SCHEDULE_EXPRESSION, {
      error:
        'expected an EventBridge schedule expression such as rate(7 days) or cron(0 3 ? * SUN *)',
    })
    .default('rate(7 days)')
    .describe('when the deployed function runs the restore drill (EventBridge expression)'),
  acceptPhases: z
    .array(
      z.enum(ACCEPTABLE_RESTORE_PHASES, {
        error: 'expected "Completed" or "PartiallyFailed": other phases restored nothing usable',
      }),
    )
    .min(1, { error: 'expected at least one phase' })
    .max(ACCEPTABLE_RESTORE_PHASES.length)
    .default(['Completed'])
    .describe(
      "restore phases that count as verified (PartiallyFailed is reported with Velero's errors either way)",
    ),
  backupSyncSeconds: bounded(10, 600, 180).describe(
    "how long to wait for the DR cluster's Velero to sync the backup from its bucket (its sync runs at most once a minute)",
  ),
  restoreSeconds: bounded(10, 720, 420).describe('how long the Restore may take to finish'),
  deploymentAvailableSeconds: bounded(0, 600, 120).describe(
    'how long the restored Deployments may take to become Available',
  ),
  cleanupSeconds: bounded(10, 300, 120).describe(
    'how long deleting the Restore, the modifier ConfigMap and the scratch namespaces may take',
  ),
  excludedNamespaces: z
    .array(namespaceName)
    .max(50)
    .default([])
    .describe(
      'source namespaces never restored, besides kube-system, kube-public, kube-node-lease and the Velero namespace',
    ),
  excludedResources: z
    .array(
      z.string().regex(RESOURCE_NAME, {
        error: 'expected a resource such as certificates.cert-manager.io',
      }),
    )
    .max(50)
    .default([])
    .describe(
      'resources never restored, besides Ingresses and external-dns DNSEndpoints (e.g. services when LoadBalancers would cost)',
    ),
  verifiedRpoAlarmSeconds: z
    .int()
    .positive({ error: 'expected a number of seconds > 0' })
    .default(8 * 86400)
    .describe('alarm when the newest backup a drill actually restored is older than this'),
});

export type RestoreDrillConfig = z.output<typeof restoreDrillSchema>;

/** The interval of a `rate(…)` expression in seconds; null for a cron expression. */
export function scheduleIntervalSeconds(expression: string): number | null {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!match) return null;
  const unit = { minute: 60, hour: 3600, day: 86400 }[match[2] as 'minute' | 'hour' | 'day'];
  return Number(match[1]) * unit;
}

/** What one drill may take at most: every deadline in turn (the function has 15 minutes). */
export function restoreDrillBudgetSeconds(drill: RestoreDrillConfig): number {
  return (
    drill.backupSyncSeconds +
    drill.restoreSeconds +
    drill.deploymentAvailableSeconds +
    drill.cleanupSeconds
  );
}

/** The Lambda's 15 minutes, less a minute for listing, planning, reporting and publishing. */
export const RESTORE_DRILL_MAX_BUDGET_SECONDS = 14 * 60;

/** Rules across the restore drill's fields; paths are relative to backups.restoreDrill. */
export function restoreDrillIssues(
  drill: RestoreDrillConfig,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const access = kubernetesAccess(drill);
  if (!access.ok) issues.push({ path: access.path, message: access.message });
  const budget = restoreDrillBudgetSeconds(drill);
  if (budget > RESTORE_DRILL_MAX_BUDGET_SECONDS) {
    issues.push({
      path: ['restoreSeconds'],
      message: `backupSyncSeconds + restoreSeconds + deploymentAvailableSeconds + cleanupSeconds is ${budget} s; at most ${RESTORE_DRILL_MAX_BUDGET_SECONDS} s fit into one run of the function (15 minutes)`,
    });
  }
  const interval = scheduleIntervalSeconds(drill.schedule);
  if (interval !== null && interval < 3600) {
    issues.push({
      path: ['schedule'],
      message: `runs every ${interval} s: a restore drill more often than hourly is load on the DR cluster, not a check`,
    });
  }
  if (interval !== null && interval >= drill.verifiedRpoAlarmSeconds) {
    issues.push({
      path: ['verifiedRpoAlarmSeconds'],
      message: `must exceed the schedule's interval (${interval} s), or the verified-RPO alarm fires between two drills that both pass`,
    });
  }
  drill.excludedNamespaces.forEach((name, i) => {
    if (drill.excludedNamespaces.indexOf(name) !== i)
      issues.push({ path: ['excludedNamespaces', i], message: `lists "${name}" twice` });
  });
  return issues;
}
