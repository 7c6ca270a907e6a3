/**
 * One cluster's Velero as the backup direction reads and changes it: the BackupStorageLocation's
 * `spec.accessMode` and the Schedules' `spec.paused`, through JSON merge patches (the CRDs have no
 * status subresource to keep apart, and a merge patch touches only the field named). Every path
 * is built here, every decision in lambdas/core/backup-direction/.
 */
import type { KubernetesAccess } from '../../core/config/kubernetes-access';
import type {
  AccessMode,
  DirectionStep,
  ObservedVelero,
} from '../../core/backup-direction/plan-direction';
import { openKubeApi } from './cluster-api';
import type { KubeApiClient, KubeStatus } from './kube-api';

const enc = encodeURIComponent;

interface LocationObject {
  metadata: { name: string };
  spec?: { accessMode?: AccessMode };
}

interface ScheduleObject {
  metadata: { name: string };
  spec?: { paused?: boolean };
}

export class VeleroDirectionCluster {
  constructor(
    private readonly api: KubeApiClient,
    readonly namespace: string,
  ) {}

  private path(kind: 'backupstoragelocations' | 'schedules', name?: string): string {
    const base = `/apis/velero.io/v1/namespaces/${enc(this.namespace)}/${kind}`;
    return name === undefined ? base : `${base}/${enc(name)}`;
  }

  /** The named location (absent accessMode is Velero's default, ReadWrite) and every Schedule. */
  async observe(location: string): Promise<ObservedVelero> {
    const [found, schedules] = await Promise.all([
      this.api.getObject<LocationObject>(this.path('backupstoragelocations', location)),
      this.api.listObjects<ScheduleObject>(this.path('schedules')),
    ]);
    return {
      location: found
        ? { name: found.metadata.name, accessMode: found.spec?.accessMode ?? 'ReadWrite' }
        : null,
      schedules: schedules
        .map((s) => ({ name: s.metadata.name, paused: s.spec?.paused === true }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /** Makes one step; throws with the API server's answer when it is refused. */
  async apply(step: DirectionStep): Promise<void> {
    const [path, spec] =
      step.kind === 'location'
        ? [this.path('backupstoragelocations', step.name), { accessMode: step.accessMode }]
        : [this.path('schedules', step.name), { paused: step.paused }];
    const answer = await this.api.call<KubeStatus>('PATCH', path, {
      contentType: 'application/merge-patch+json',
      value: { spec },
    });
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      const status = answer.body as KubeStatus | undefined;
      const detail = status?.message ?? status?.reason ?? '';
      throw new Error(
        `PATCH ${path}: Kubernetes API answered ${answer.statusCode}${detail ? ` (${detail})` : ''}${
          answer.statusCode === 403
            ? `: drpilot's identity needs patch on ${step.kind === 'location' ? 'backupstoragelocations' : 'schedules'}.velero.io in ${this.namespace}`
            : ''
        }`,
      );
    }
  }

  close(): void {
    this.api.close();
  }
}

/** A side's cluster by its configured access (a kubeconfig in Secrets Manager, or EKS with IAM). */
export async function openVeleroDirectionCluster(
  access: KubernetesAccess,
  region: string,
  namespace: string,
): Promise<VeleroDirectionCluster> {
  return new VeleroDirectionCluster(await openKubeApi(access, region), namespace);
}
