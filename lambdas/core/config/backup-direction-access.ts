/**
 * The rules over backups.velero that the DNS function applies at run time as well as at synth:
 * kept apart from its zod schema so the function's bundle does not carry zod (the schema runs at
 * synth only; the bundle embeds the config it validated).
 */
import type { BackupDirectionConfig } from './backup-direction-schema';
import {
  kubernetesAccess,
  type KubernetesAccess,
  type KubernetesAccessInput,
} from './kubernetes-access';
import type { Side } from './sides';

const hasAccess = (block: KubernetesAccessInput) =>
  block.auth !== undefined ||
  block.kubeconfigSecret !== undefined ||
  block.clusterName !== undefined;

/**
 * The access drpilot uses for a side's cluster: its own block's, or — for the DR side with none —
 * backups.restoreDrill's. `path` is relative to backups.velero.
 */
export function veleroSideAccess(
  velero: BackupDirectionConfig,
  side: Side,
  restoreDrill: KubernetesAccessInput | undefined,
): { ok: true; access: KubernetesAccess } | { ok: false; path: string[]; message: string } {
  const block = velero[side];
  if (!hasAccess(block)) {
    if (side === 'dr' && restoreDrill) {
      const inherited = kubernetesAccess(restoreDrill);
      if (inherited.ok) return inherited;
    }
    return {
      ok: false,
      path: [side, 'kubeconfigSecret'],
      message:
        side === 'dr'
          ? 'required (or clusterName with auth "eks"), unless backups.restoreDrill names the DR cluster'
          : 'required (or clusterName with auth "eks"): drpilot flips this cluster\'s Velero through its API',
    };
  }
  const own = kubernetesAccess(block);
  return own.ok ? own : { ...own, path: [side, ...own.path] };
}

/** Rules across backups.velero's fields; paths are relative to backups.velero. */
export function backupDirectionIssues(
  velero: BackupDirectionConfig,
  restoreDrill: KubernetesAccessInput | undefined,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const side of ['primary', 'dr'] as const) {
    const access = veleroSideAccess(velero, side, restoreDrill);
    if (!access.ok) issues.push({ path: access.path, message: access.message });
    const { schedules } = velero[side];
    if (schedules !== 'all') {
      schedules.forEach((name, i) => {
        if (schedules.indexOf(name) !== i)
          issues.push({ path: [side, 'schedules', i], message: `lists "${name}" twice` });
      });
    }
  }
  return issues;
}

/** The Kubernetes group the DNS function's EKS access entry maps to; the Role in docs/resync.md binds it. */
export const EKS_BACKUP_DIRECTION_GROUP = 'drpilot-backup-direction';
