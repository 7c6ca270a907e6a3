/**
 * The DR cluster as the restore drill reads and changes it: Velero's Backup and Restore objects,
 * the drill's modifier ConfigMap, namespaces and Deployments. Plain object calls through the
 * project's own client (kube-api.ts); every path is built here, every decision is elsewhere.
 */
import type {
  BackupObjectView,
  DeploymentView,
  RestoreStatusView,
} from '../../core/restore/restore-outcome';
import type { ConfigMapManifest, RestoreManifest } from '../../core/restore/plan-restore';
import type { KubernetesAccess } from '../../core/config/kubernetes-access';
import { openKubeApi } from './cluster-api';
import type { KubeApiClient } from './kube-api';

const enc = encodeURIComponent;

export interface RestoreObjectView {
  metadata: { name: string; deletionTimestamp?: string; finalizers?: string[] };
  status?: RestoreStatusView;
}

export class VeleroCluster {
  constructor(
    private readonly api: KubeApiClient,
    /** The Velero namespace: where Backups, Restores and the modifier ConfigMap live. */
    readonly veleroNamespace: string,
  ) {}

  private velero(kind: 'backups' | 'restores', name?: string): string {
    const base = `/apis/velero.io/v1/namespaces/${enc(this.veleroNamespace)}/${kind}`;
    return name === undefined ? base : `${base}/${enc(name)}`;
  }

  private configMaps(name?: string): string {
    const base = `/api/v1/namespaces/${enc(this.veleroNamespace)}/configmaps`;
    return name === undefined ? base : `${base}/${enc(name)}`;
  }

  async namespaceNames(): Promise<string[]> {
    const items = await this.api.listObjects<{ metadata: { name: string } }>('/api/v1/namespaces');
    return items.map((n) => n.metadata.name);
  }

  /** The namespace, or null; one being deleted still counts (it has a deletionTimestamp). */
  namespace(
    name: string,
  ): Promise<{ metadata: { name: string; deletionTimestamp?: string } } | null> {
    return this.api.getObject(`/api/v1/namespaces/${enc(name)}`);
  }

  deleteNamespace(name: string): Promise<'deleted' | 'gone'> {
    return this.api.deleteObject(`/api/v1/namespaces/${enc(name)}`);
  }

  backup(name: string): Promise<BackupObjectView | null> {
    return this.api.getObject<BackupObjectView>(this.velero('backups', name));
  }

  createModifiers(manifest: ConfigMapManifest): Promise<unknown> {
    return this.api.createObject(this.configMaps(), manifest);
  }

  modifiers(name: string): Promise<unknown> {
    return this.api.getObject(this.configMaps(name));
  }

  deleteModifiers(name: string): Promise<'deleted' | 'gone'> {
    return this.api.deleteObject(this.configMaps(name));
  }

  createRestore(manifest: RestoreManifest): Promise<RestoreObjectView> {
    return this.api.createObject<RestoreObjectView>(this.velero('restores'), manifest);
  }

  restore(name: string): Promise<RestoreObjectView | null> {
    return this.api.getObject<RestoreObjectView>(this.velero('restores', name));
  }

  /**
   * Deletes the Restore. Velero's restore controller holds it with the finalizer
   * `restores.velero.io/external-resources-finalizer` until it has deleted the restore's files
   * under `restores/<name>/` in the bucket (pkg/controller/restore_controller.go
   * deleteExternalResources, v1.18), so the object is gone only once they are.
   */
  deleteRestore(name: string): Promise<'deleted' | 'gone'> {
    return this.api.deleteObject(this.velero('restores', name));
  }

  deployments(namespace: string): Promise<DeploymentView[]> {
    return this.api.listObjects<DeploymentView>(
      `/apis/apps/v1/namespaces/${enc(namespace)}/deployments`,
    );
  }

  close(): void {
    this.api.close();
  }
}

/** The DR cluster by the drill's access: a kubeconfig in Secrets Manager or EKS with IAM. */
export async function openVeleroCluster(
  access: KubernetesAccess,
  region: string,
  veleroNamespace: string,
): Promise<VeleroCluster> {
  return new VeleroCluster(await openKubeApi(access, region), veleroNamespace);
}
