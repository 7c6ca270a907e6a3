/**
 * The restore drill's plan: which backup, into which scratch namespaces, with which exclusions and
 * modifier rules, under which deadlines, and what counts as a verified restore. Pure: the
 * executor (lambdas/restore/) observes the DR side's bucket and cluster, calls this, and carries
 * the plan out through the adapters.
 *
 * What the plan asks of Velero (a `velero.io/v1` Restore, pkg/apis/velero/v1/restore_types.go):
 * - `includedNamespaces` the backup's namespaces less the excluded ones, and `namespaceMapping`
 *   `<ns>` → `<ns>-drill-<id>`: never into the original namespaces, never into one that exists;
 * - `includeClusterResources: false`: a drill changes nothing cluster-wide in the DR cluster;
 * - `excludedResources`: Ingresses (DR's ingress controller and external-dns would publish their
 *   hosts) and external-dns's DNSEndpoints, plus what the config adds;
 * - a `labelSelector` leaving out external-dns's own objects (`app.kubernetes.io/name` or `app`
 *   `external-dns`: a second external-dns in DR would fight over the records);
 * - a resource modifier (ConfigMap, `version: v1`, internal/resourcemodifiers) that labels every
 *   restored object `drpilot.io/drill=<id>` and removes external-dns's hostname annotations from
 *   Services. Its rules name the **source** namespaces: Velero applies modifiers before the
 *   namespace mapping (measured with Velero v1.18.3, ../shared/recipes/velero-server.md). The
 *   rules are written as JSON, which is YAML (Velero reads them with sigs.k8s.io/yaml).
 */
import type { RestoreDrillConfig } from '../config/restore-drill-schema';
import type { BackupAssessment, RestorableBackup } from '../resync/restorable';
import {
  DRILL_ID,
  DRILL_LABEL,
  MODIFIER_KEY,
  modifierConfigMapName,
  NAMESPACE_NAME,
  restoreName,
  scratchNamespace,
} from './names';

/** Never restored, whatever the backup holds: the cluster's own namespaces. */
export const ALWAYS_EXCLUDED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

/** Never restored: what would make DR publish the source's hosts. */
export const ALWAYS_EXCLUDED_RESOURCES = [
  'ingresses.networking.k8s.io',
  'dnsendpoints.externaldns.k8s.io',
];

/** external-dns's own objects, as its Helm chart (`app.kubernetes.io/name`) or its docs (`app`) label them. */
export const EXTERNAL_DNS_LABELS = ['app.kubernetes.io/name', 'app'];

/** The annotations that make external-dns publish a Service's name. */
export const EXTERNAL_DNS_ANNOTATIONS = [
  'external-dns.alpha.kubernetes.io/hostname',
  'external-dns.alpha.kubernetes.io/internal-hostname',
];

export type BackupChoice = { ok: true; backup: RestorableBackup } | { ok: false; reason: string };

function newer(a: RestorableBackup | undefined, b: RestorableBackup): RestorableBackup {
  if (!a) return b;
  const diff = Date.parse(b.completionTimestamp) - Date.parse(a.completionTimestamp);
  return diff > 0 || (diff === 0 && b.name > a.name) ? b : a;
}

/**
 * The backup to restore: the one asked for, which must be restorable on the DR side, or the
 * newest restorable one there (the re-sync's restorable rule, the newest completion time).
 */
export function chooseBackup(input: {
  assessments: readonly BackupAssessment[];
  requested?: string;
  bucket: string;
}): BackupChoice {
  if (input.requested !== undefined) {
    const found = input.assessments.find((a) => a.name === input.requested);
    if (!found) {
      return {
        ok: false,
        reason: `backup ${input.requested} is not in the DR side's bucket ${input.bucket}`,
      };
    }
    if (!found.restorable) {
      return {
        ok: false,
        reason: `backup ${input.requested} in ${input.bucket} is not restorable: ${found.reasons.join('; ')}`,
      };
    }
    return { ok: true, backup: found };
  }
  let newest: RestorableBackup | undefined;
  for (const a of input.assessments) if (a.restorable) newest = newer(newest, a);
  if (!newest) {
    const seen = input.assessments.length;
    return {
      ok: false,
      reason: `the DR side's bucket ${input.bucket} holds no restorable backup${seen > 0 ? ` (${seen} backup(s), none restorable)` : ''}: run the re-sync first`,
    };
  }
  return { ok: true, backup: newest };
}

export interface RestoreDrillDeadlines {
  /** For the Backup to appear in the DR cluster (Velero's backup sync). */
  backupSyncMs: number;
  /** For the Restore to reach a final phase. */
  restoreMs: number;
  /** For the restored Deployments to become Available. */
  deploymentsAvailableMs: number;
  /** For the Restore, the ConfigMap and the scratch namespaces to be gone. */
  cleanupMs: number;
}

/** A velero.io/v1 Restore as the drill creates it. */
export interface RestoreManifest {
  apiVersion: 'velero.io/v1';
  kind: 'Restore';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    backupName: string;
    includedNamespaces: string[];
    namespaceMapping: Record<string, string>;
    excludedResources: string[];
    includeClusterResources: false;
    labelSelector: {
      matchExpressions: { key: string; operator: 'NotIn'; values: string[] }[];
    };
    resourceModifier: { kind: 'ConfigMap'; name: string };
  };
}

export interface ConfigMapManifest {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  data: Record<string, string>;
}

export interface RestoreDrillPlan {
  drillId: string;
  veleroNamespace: string;
  backup: {
    name: string;
    schedule: string | null;
    phase: string;
    completionTimestamp: string;
  };
  /** Source namespace → scratch namespace, sorted by source. */
  mapping: { source: string; scratch: string }[];
  /** Namespaces of the backup the drill leaves out, and why. */
  skippedNamespaces: { name: string; reason: string }[];
  restore: RestoreManifest;
  modifiers: ConfigMapManifest;
  deadlines: RestoreDrillDeadlines;
  /** Restore phases that count as verified. */
  acceptPhases: string[];
}

export type RestoreDrillPlanning =
  { ok: true; plan: RestoreDrillPlan } | { ok: false; reason: string };

export interface PlanRestoreDrillInput {
  drillId: string;
  backup: RestorableBackup;
  /** The namespaces the backup holds (its resource list). */
  backupNamespaces: readonly string[];
  /** Every namespace that exists in the DR cluster now. */
  existingNamespaces: readonly string[];
  drill: RestoreDrillConfig;
}

/** The modifier rules, as JSON text (valid YAML): the label on everything, external-dns off Services. */
export function modifierRules(drillId: string, sources: readonly string[]): string {
  const merge = (patch: unknown) => ({ patchData: JSON.stringify(patch) });
  return `${JSON.stringify(
    {
      version: 'v1',
      resourceModifierRules: [
        {
          // A glob with '.' as separator (gobwas/glob): ** matches every group resource.
          conditions: { groupResource: '**', namespaces: [...sources] },
          mergePatches: [merge({ metadata: { labels: { [DRILL_LABEL]: drillId } } })],
        },
        {
          conditions: { groupResource: 'services', namespaces: [...sources] },
          // A JSON merge patch removes a key set to null (RFC 7386).
          mergePatches: [
            merge({
              metadata: {
                annotations: Object.fromEntries(EXTERNAL_DNS_ANNOTATIONS.map((a) => [a, null])),
              },
            }),
          ],
        },
      ],
    },
    null,
    2,
  )}\n`;
}

export function planRestoreDrill(input: PlanRestoreDrillInput): RestoreDrillPlanning {
  const { drillId, backup, drill } = input;
  if (!DRILL_ID.test(drillId)) {
    return { ok: false, reason: `drill id "${drillId}" is not 4–12 lower-case letters or digits` };
  }
  const excluded = new Map<string, string>();
  for (const name of ALWAYS_EXCLUDED_NAMESPACES) excluded.set(name, "the cluster's own");
  excluded.set(drill.veleroNamespace, "Velero's namespace");
  for (const name of drill.excludedNamespaces)
    excluded.set(name, 'backups.restoreDrill.excludedNamespaces');

  const skippedNamespaces: { name: string; reason: string }[] = [];
  const sources: string[] = [];
  for (const name of [...new Set(input.backupNamespaces)].sort()) {
    const why = excluded.get(name);
    if (why) skippedNamespaces.push({ name, reason: why });
    else if (!NAMESPACE_NAME.test(name))
      skippedNamespaces.push({ name, reason: 'not a namespace name' });
    else sources.push(name);
  }
  if (sources.length === 0) {
    const held = input.backupNamespaces.length
      ? ` (it holds ${[...input.backupNamespaces].sort().join(', ')})`
      : ' (it holds no namespaced object)';
    return {
      ok: false,
      reason: `backup ${backup.name} holds no namespace the drill may restore${held}`,
    };
  }

  const mapping = sources.map((source) => ({ source, scratch: scratchNamespace(source, drillId) }));
  const existing = new Set(input.existingNamespaces);
  const originals = new Set(input.backupNamespaces);
  const seen = new Map<string, string>();
  for (const { source, scratch } of mapping) {
    const other = seen.get(scratch);
    if (other !== undefined) {
      return {
        ok: false,
        reason: `namespaces ${other} and ${source} would both be restored into ${scratch} (names cut to 63 characters)`,
      };
    }
    seen.set(scratch, source);
    if (originals.has(scratch)) {
      return {
        ok: false,
        reason: `scratch namespace ${scratch} is a namespace of the backup: a drill never restores into the original namespaces`,
      };
    }
    if (existing.has(scratch)) {
      return {
        ok: false,
        reason: `scratch namespace ${scratch} already exists in the DR cluster: a drill never restores into an existing namespace`,
      };
    }
  }

  const labels = { [DRILL_LABEL]: drillId };
  const configMap = modifierConfigMapName(drillId);
  const second = 1000;
  return {
    ok: true,
    plan: {
      drillId,
      veleroNamespace: drill.veleroNamespace,
      backup: {
        name: backup.name,
        schedule: backup.schedule,
        phase: backup.phase,
        completionTimestamp: backup.completionTimestamp,
      },
      mapping,
      skippedNamespaces,
      restore: {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name: restoreName(drillId), namespace: drill.veleroNamespace, labels },
        spec: {
          backupName: backup.name,
          includedNamespaces: sources,
          namespaceMapping: Object.fromEntries(mapping.map((m) => [m.source, m.scratch])),
          excludedResources: [
            ...new Set([...ALWAYS_EXCLUDED_RESOURCES, ...drill.excludedResources]),
          ],
          includeClusterResources: false,
          labelSelector: {
            matchExpressions: EXTERNAL_DNS_LABELS.map((key) => ({
              key,
              operator: 'NotIn' as const,
              values: ['external-dns'],
            })),
          },
          resourceModifier: { kind: 'ConfigMap', name: configMap },
        },
      },
      modifiers: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: configMap, namespace: drill.veleroNamespace, labels },
        data: { [MODIFIER_KEY]: modifierRules(drillId, sources) },
      },
      deadlines: {
        backupSyncMs: drill.backupSyncSeconds * second,
        restoreMs: drill.restoreSeconds * second,
        deploymentsAvailableMs: drill.deploymentAvailableSeconds * second,
        cleanupMs: drill.cleanupSeconds * second,
      },
      acceptPhases: [...drill.acceptPhases],
    },
  };
}
