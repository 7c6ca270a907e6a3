import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from '../../lambdas/adapters/aws/sdk-clients/secrets-manager';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import type { RestoreDrillPlan } from '../../lambdas/core/restore/plan-restore';
import { k8sWorldBinaries } from '../emulator/k8s-world-binaries';
import { startK8sWorld, type K8sWorld } from '../emulator/k8s-world';
import { installVelero, startVeleroServer, type VeleroServer } from '../emulator/velero-server';
import { veleroBinaries, type VeleroBinaries } from '../emulator/velero-server-binaries';
import { KubeAdmin } from './kube-admin';
import { createKwokNodes } from './kwok-nodes';
import { createRestoreIdentity } from './restore-identity';
import {
  backupWithVelero,
  createShop,
  inspectScratch,
  type BackupStatus,
  type ScratchSnapshot,
} from './velero-workloads';

/** The namespace the embedded primary cluster's Velero runs in (the DR one is the config's). */
export const PRIMARY_VELERO_NAMESPACE = 'velero-primary';
export const SHOP_NAMESPACE = 'shop';
const NODE_LABELS = { 'drpilot.io/embedded': 'restore-drill' };

/** The embedded restore drill's world: one real cluster standing in for both sides. */
export interface VeleroDrillWorld {
  /** `kube-apiserver v1.37.2 + kwok, Velero v1.18.3 + velero-plugin-for-aws v1.14.3` */
  readonly description: string;
  /** The backup the primary's Velero took, and what it counted. */
  readonly backup: { name: string; status: BackupStatus };
  /** The DR side's Velero (ReadOnly location on the DR bucket) and drpilot's identity there. */
  startDr(): Promise<string>;
  /** What the scratch namespaces hold, read as admin before the drill cleans them up. */
  inspect(plan: RestoreDrillPlan): Promise<ScratchSnapshot[]>;
  close(): Promise<void>;
}

/** Velero and the Kubernetes world are both set up (never built here): the real drill can run. */
export async function veleroDrillAvailable(): Promise<
  { ok: true; velero: VeleroBinaries } | { ok: false; reason: string }
> {
  try {
    await k8sWorldBinaries({ build: false });
    return { ok: true, velero: await veleroBinaries({ build: false, quiet: true }) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:TZ]/g, '')
    .slice(0, 14);
}

/**
 * A real Kubernetes world (kube-apiserver + kwok) for both clusters, the shop namespace on kwok
 * nodes, and the primary's real Velero, which backs the shop up into the primary bucket in moto
 * and stops (one Velero server per machine). The DR side starts later (`startDr`), after the
 * re-sync has copied the backup. Both clusters are one API server here: the primary's Velero
 * works in `velero-primary`, the DR's in backups.restoreDrill.veleroNamespace.
 */
export async function startVeleroDrillWorld(
  config: DrpilotConfig,
  velero: VeleroBinaries,
  options: { s3Url: string; onProgress: (message: string) => void },
): Promise<VeleroDrillWorld> {
  const drill = config.backups.restoreDrill;
  if (!drill) throw new Error('the embedded restore drill needs backups.restoreDrill');
  const world: K8sWorld = await startK8sWorld({
    binaries: await k8sWorldBinaries({ build: false }),
    onProgress: options.onProgress,
  });
  const admin = KubeAdmin.fromKubeconfig(world.adminKubeconfig);
  let drServer: VeleroServer | undefined;
  const close = async () => {
    await drServer?.stop();
    admin.close();
    await world.stop();
  };
  try {
    await createKwokNodes(admin, [
      { name: 'restore-a', labels: NODE_LABELS },
      { name: 'restore-b', labels: NODE_LABELS },
    ]);
    await createShop(admin, {
      namespace: SHOP_NAMESPACE,
      nodeSelector: NODE_LABELS,
      readyDelay: '1s',
    });
    await installVelero(admin, velero, {
      namespace: PRIMARY_VELERO_NAMESPACE,
      location: {
        ...config.backups.buckets.primary,
        s3Url: options.s3Url,
        accessMode: 'ReadWrite',
      },
    });
    const primary = await startVeleroServer({
      binaries: velero,
      kubeconfig: world.adminKubeconfig,
      namespace: PRIMARY_VELERO_NAMESPACE,
      onProgress: options.onProgress,
    });
    const name = `shop-${stamp(new Date())}`;
    let status: BackupStatus;
    try {
      status = await backupWithVelero(admin, {
        veleroNamespace: PRIMARY_VELERO_NAMESPACE,
        name,
        namespaces: [SHOP_NAMESPACE],
        schedule: 'daily',
      });
    } finally {
      await primary.stop();
    }
    return {
      description: `${world.description}, ${primary.description}`,
      backup: { name, status },
      async startDr() {
        await installVelero(admin, velero, {
          namespace: drill.veleroNamespace,
          location: { ...config.backups.buckets.dr, s3Url: options.s3Url, accessMode: 'ReadOnly' },
          primeLocation: true,
        });
        drServer = await startVeleroServer({
          binaries: velero,
          kubeconfig: world.adminKubeconfig,
          namespace: drill.veleroNamespace,
          onProgress: options.onProgress,
        });
        await admin.create('/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'drpilot' },
        });
        const identity = await createRestoreIdentity(admin, {
          server: world.server,
          caData: parseKubeconfig(world.adminKubeconfig).caData ?? '',
          namespace: 'drpilot',
          veleroNamespace: drill.veleroNamespace,
        });
        await secretsManagerClient(config.clusters.dr.region).send(
          new CreateSecretCommand({
            Name: drill.kubeconfigSecret,
            SecretString: identity.kubeconfigJson,
          }),
        );
        return `Velero ${drill.veleroNamespace} (pid ${drServer.pid}) on ${config.backups.buckets.dr.bucket}, ReadOnly; drpilot's identity ${identity.username} (the rights docs/restore-drill.md lists) in ${drill.kubeconfigSecret}`;
      },
      inspect: (plan) => inspectScratch(admin, plan),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
