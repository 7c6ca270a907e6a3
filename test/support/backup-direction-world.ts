/**
 * Two "clusters" for the backup direction in the real k8s world: one Velero namespace per side
 * (Velero's own CRDs, no Velero server), a BackupStorageLocation and Schedules in each, and per
 * side drpilot's identity — a ServiceAccount bound to the README's Role — whose kubeconfig is a
 * secret in moto's Secrets Manager, as a user stores it.
 */
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { tokenKubeconfigJson, type KubeAdmin } from '../../cli/embedded/kube-admin';
import { installVeleroCrds } from '../../cli/emulator/velero-server';
import { secretsManagerClient } from '../../lambdas/adapters/aws/clients';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import type { AccessMode } from '../../lambdas/core/backup-direction/plan-direction';
import type { DrpilotConfig, Side } from '../../lambdas/core/config/schema';
import { validateConfig } from '../../lambdas/core/config/validate';
import type { SharedK8sWorld } from './k8s-world';
import { veleroForTests } from './velero';

/** The README's Role: what drpilot needs in each cluster's Velero namespace, and no more. */
export const BACKUP_DIRECTION_RULES = [
  { apiGroups: ['velero.io'], resources: ['backupstoragelocations'], verbs: ['get', 'patch'] },
  { apiGroups: ['velero.io'], resources: ['schedules'], verbs: ['list', 'patch'] },
];

export interface VeleroSideSeed {
  accessMode: AccessMode;
  schedules: { name: string; paused: boolean }[];
  /** The Role's rules instead of the README's (to inject a refusal). */
  rules?: typeof BACKUP_DIRECTION_RULES;
  /** Store a kubeconfig for an API server nobody answers at. */
  unreachable?: boolean;
}

export const installCrds = async (admin: KubeAdmin) =>
  installVeleroCrds(admin, await veleroForTests());

const secretName = (namespace: string, side: Side) => `acme/drpilot/${namespace}-${side}-kube`;

/**
 * Seeds both sides under `prefix` (namespaces `<prefix>-primary`, `<prefix>-dr`) and returns the
 * config with backups.velero pointing at them, through the config's own validation.
 */
export async function seedVeleroSides(
  admin: KubeAdmin,
  world: SharedK8sWorld,
  config: DrpilotConfig,
  prefix: string,
  sides: Record<Side, VeleroSideSeed>,
): Promise<{ config: DrpilotConfig; namespaces: Record<Side, string> }> {
  const namespaces = { primary: `${prefix}-primary`, dr: `${prefix}-dr` };
  for (const side of ['primary', 'dr'] as const) {
    const namespace = namespaces[side];
    const seed = sides[side];
    await admin.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
    await admin.create(`/apis/velero.io/v1/namespaces/${namespace}/backupstoragelocations`, {
      apiVersion: 'velero.io/v1',
      kind: 'BackupStorageLocation',
      metadata: { name: 'default' },
      spec: {
        provider: 'aws',
        default: true,
        accessMode: seed.accessMode,
        objectStorage: { bucket: config.backups.buckets[side].bucket },
        config: { region: config.clusters[side].region },
      },
    });
    for (const schedule of seed.schedules) {
      await admin.create(`/apis/velero.io/v1/namespaces/${namespace}/schedules`, {
        apiVersion: 'velero.io/v1',
        kind: 'Schedule',
        metadata: { name: schedule.name },
        spec: {
          schedule: '0 * * * *',
          paused: schedule.paused,
          template: { includedNamespaces: ['*'], ttl: '720h0m0s' },
        },
      });
    }
    await admin.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'drpilot' },
    });
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'drpilot-backup-direction' },
      rules: seed.rules ?? BACKUP_DIRECTION_RULES,
    });
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'drpilot-backup-direction' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'drpilot-backup-direction',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'drpilot', namespace }],
    });
    const kubeconfig = tokenKubeconfigJson({
      // Port 1 on loopback: refused at once, as an API server that is down.
      server: seed.unreachable ? 'https://127.0.0.1:1' : world.server,
      caData: parseKubeconfig(world.adminKubeconfig).caData!,
      cluster: `drpilot-test-${side}`,
      user: 'drpilot',
      token: await admin.serviceAccountToken(namespace, 'drpilot'),
      context: side,
    });
    await secretsManagerClient(config.clusters[side].region).send(
      new CreateSecretCommand({ Name: secretName(prefix, side), SecretString: kubeconfig }),
    );
  }
  const document = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  document['backups']!['velero'] = {
    primary: { kubeconfigSecret: secretName(prefix, 'primary'), namespace: namespaces.primary },
    dr: { kubeconfigSecret: secretName(prefix, 'dr'), namespace: namespaces.dr },
  };
  const validated = validateConfig(document);
  if (!validated.ok) throw new Error(`config is invalid: ${JSON.stringify(validated.errors)}`);
  return { config: validated.config, namespaces };
}

/** What a side's Velero objects hold now, read as the admin. */
export async function veleroState(
  admin: KubeAdmin,
  namespace: string,
): Promise<{ accessMode: string | undefined; schedules: Record<string, boolean> }> {
  const location = await admin.get<{ spec: { accessMode?: string } }>(
    `/apis/velero.io/v1/namespaces/${namespace}/backupstoragelocations/default`,
  );
  const schedules = await admin.list<{ metadata: { name: string }; spec: { paused?: boolean } }>(
    `/apis/velero.io/v1/namespaces/${namespace}/schedules`,
  );
  return {
    accessMode: location.spec.accessMode,
    schedules: Object.fromEntries(schedules.map((s) => [s.metadata.name, s.spec.paused === true])),
  };
}
