/**
 * What the restore drill's test world backs up and restores, as users run it (seed 002): a shop
 * with a Deployment, its ConfigMap, a Service that external-dns publishes, an Ingress, and
 * external-dns itself — plus two workloads that cannot be restored in time: pods that never turn
 * Ready, and pods carrying Velero's post-restore exec hook annotations that wait for a container
 * that never runs (the Restore then stays `Finalizing`, Velero v1.18 restore finalizer
 * `WaitRestoreExecHook`). Also: a Backup through the real Velero, and a look into the scratch
 * namespaces before the drill cleans them up.
 */
import { POD_READY_DELAY_ANNOTATION } from '../emulator/k8s-world';
import type { KubeAdmin } from './kube-admin';
import { DRILL_LABEL } from '../../lambdas/core/restore/names';
import {
  EXTERNAL_DNS_ANNOTATIONS,
  type RestoreDrillPlan,
} from '../../lambdas/core/restore/plan-restore';

export const EXTERNAL_DNS_HOSTNAME = 'external-dns.alpha.kubernetes.io/hostname';

interface Json {
  [key: string]: unknown;
}

interface Meta {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

function deployment(
  name: string,
  replicas: number,
  options: {
    labels?: Record<string, string>;
    podAnnotations?: Record<string, string>;
    nodeSelector: Record<string, string>;
  },
): Json {
  const labels = { app: name, ...options.labels };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels,
          ...(options.podAnnotations ? { annotations: options.podAnnotations } : {}),
        },
        spec: {
          nodeSelector: options.nodeSelector,
          // kwok runs no containers; the image is never pulled.
          containers: [{ name, image: `registry.invalid/${name}:1` }],
          terminationGracePeriodSeconds: 1,
        },
      },
    },
  };
}

async function waitAvailable(admin: KubeAdmin, namespace: string, name: string): Promise<void> {
  await admin.until(`Deployment ${namespace}/${name} Available`, async () => {
    const d = await admin.get<{
      spec: { replicas: number };
      status?: { availableReplicas?: number };
    }>(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
    return (d.status?.availableReplicas ?? 0) >= d.spec.replicas ? true : undefined;
  });
}

export interface ShopInput {
  namespace: string;
  /** The pods run only on nodes with these labels. */
  nodeSelector: Record<string, string>;
  /** kwok turns a restored pod Ready this long after it is bound (a Go duration). */
  readyDelay?: string;
}

/**
 * The shop: Deployment `web` (2 replicas) with ConfigMap `web-config`, Service `web` that
 * external-dns publishes as `shop.primary.example.com`, Ingress `web`, and external-dns's own
 * Deployment (labelled as its Helm chart does). Waits until both Deployments are Available.
 */
export async function createShop(admin: KubeAdmin, input: ShopInput): Promise<void> {
  const { namespace, nodeSelector } = input;
  const ns = `/api/v1/namespaces/${namespace}`;
  const apps = `/apis/apps/v1/namespaces/${namespace}/deployments`;
  await admin.create('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace, labels: { team: 'shop' } },
  });
  await admin.create(`${ns}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web-config' },
    data: { GREETING: 'hello', TIER: 'gold' },
  });
  const podAnnotations = input.readyDelay
    ? { [POD_READY_DELAY_ANNOTATION]: input.readyDelay }
    : undefined;
  await admin.create(
    apps,
    deployment('web', 2, { nodeSelector, ...(podAnnotations ? { podAnnotations } : {}) }),
  );
  await admin.create(
    apps,
    deployment('external-dns', 1, {
      nodeSelector,
      labels: { 'app.kubernetes.io/name': 'external-dns' },
    }),
  );
  await admin.create(`${ns}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      annotations: { [EXTERNAL_DNS_HOSTNAME]: 'shop.primary.example.com' },
    },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  await admin.create(`/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses`, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web' },
    spec: {
      rules: [
        {
          host: 'shop.primary.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'web', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  });
  await waitAvailable(admin, namespace, 'web');
  await waitAvailable(admin, namespace, 'external-dns');
}

/**
 * A namespace whose one Deployment cannot be restored in time: `never-ready` pods stay un-Ready
 * for an hour (kwok); `hooked` pods also carry Velero's post-restore exec hook annotations
 * (`post.hook.restore.velero.io/*`, wait-for-ready, wait-timeout 1h), so the Restore waits in
 * `Finalizing` for a container that never runs. Not waited for: it is never Available.
 */
export async function createStuckWorkload(
  admin: KubeAdmin,
  input: {
    namespace: string;
    nodeSelector: Record<string, string>;
    kind: 'never-ready' | 'hooked';
  },
): Promise<void> {
  const { namespace, kind } = input;
  await admin.create('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  const hooks: Record<string, string> =
    kind === 'hooked'
      ? {
          'post.hook.restore.velero.io/container': 'stuck',
          'post.hook.restore.velero.io/command': '["/bin/true"]',
          'post.hook.restore.velero.io/wait-for-ready': 'true',
          'post.hook.restore.velero.io/wait-timeout': '1h',
        }
      : {};
  await admin.create(
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
    deployment('stuck', 1, {
      nodeSelector: input.nodeSelector,
      podAnnotations: { [POD_READY_DELAY_ANNOTATION]: '1h', ...hooks },
    }),
  );
}

export interface BackupStatus {
  phase?: string;
  completionTimestamp?: string;
  progress?: { itemsBackedUp?: number; totalItems?: number };
  errors?: number;
  warnings?: number;
}

/**
 * `velero backup create <name> --include-namespaces …` through the API: a Backup the running
 * Velero server takes into its location; waits until it is final and returns its status.
 */
export async function backupWithVelero(
  admin: KubeAdmin,
  input: { veleroNamespace: string; name: string; namespaces: string[]; schedule?: string },
): Promise<BackupStatus> {
  const path = `/apis/velero.io/v1/namespaces/${input.veleroNamespace}/backups`;
  await admin.create(path, {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: {
      name: input.name,
      ...(input.schedule ? { labels: { 'velero.io/schedule-name': input.schedule } } : {}),
    },
    spec: { includedNamespaces: input.namespaces, storageLocation: 'default', ttl: '720h0m0s' },
  });
  const status = await admin.until(
    `Backup ${input.name} final`,
    async () => {
      const backup = await admin.get<{ status?: BackupStatus }>(`${path}/${input.name}`);
      const phase = backup.status?.phase ?? '';
      return ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'].includes(phase)
        ? (backup.status ?? {})
        : undefined;
    },
    { timeoutMs: 120_000, pollMs: 200 },
  );
  if (status.phase !== 'Completed') {
    throw new Error(`Backup ${input.name} ended ${status.phase}: ${JSON.stringify(status)}`);
  }
  return status;
}

export interface ScratchSnapshot {
  namespace: string;
  deployments: string[];
  configMaps: string[];
  services: string[];
  ingresses: string[];
  /** Objects above that carry drpilot.io/drill=<id>. */
  labelled: number;
  /** Objects above in all. */
  objects: number;
  /** Services still carrying an external-dns hostname annotation. */
  externalDnsAnnotated: string[];
}

/** What a restore put into each scratch namespace (read as admin, before the cleanup). */
export async function inspectScratch(
  admin: KubeAdmin,
  plan: RestoreDrillPlan,
): Promise<ScratchSnapshot[]> {
  const snapshots: ScratchSnapshot[] = [];
  for (const { scratch } of plan.mapping) {
    const list = (path: string) => admin.list<Meta>(path);
    const deployments = await list(`/apis/apps/v1/namespaces/${scratch}/deployments`);
    const configMaps = (await list(`/api/v1/namespaces/${scratch}/configmaps`)).filter(
      (c) => c.metadata.name !== 'kube-root-ca.crt',
    );
    const services = await list(`/api/v1/namespaces/${scratch}/services`);
    const ingresses = await list(`/apis/networking.k8s.io/v1/namespaces/${scratch}/ingresses`);
    const all = [...deployments, ...configMaps, ...services, ...ingresses];
    const names = (items: Meta[]) => items.map((i) => i.metadata.name).sort();
    snapshots.push({
      namespace: scratch,
      deployments: names(deployments),
      configMaps: names(configMaps),
      services: names(services),
      ingresses: names(ingresses),
      labelled: all.filter((i) => i.metadata.labels?.[DRILL_LABEL] === plan.drillId).length,
      objects: all.length,
      externalDnsAnnotated: services
        .filter((s) =>
          EXTERNAL_DNS_ANNOTATIONS.some((a) => s.metadata.annotations?.[a] !== undefined),
        )
        .map((s) => s.metadata.name),
    });
  }
  return snapshots;
}
