import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1ConfigMap,
  type V1Deployment,
} from '@kubernetes/client-node';
import type { ClusterApplyOutcome, ClusterDns, ClusterDnsSnapshot } from '../../core/cluster-dns';
import { CUSTOM_CONFIGMAP, DRPILOT_KEY_PREFIX } from '../../core/coredns-render';
import {
  drpilotEntries,
  lastGoodOf,
  sameEntries,
  withConfirmedEntries,
  withLastGoodBack,
  withNewEntries,
  type CustomConfigMapView,
} from '../../core/last-good';
import {
  deploymentRolloutStatus,
  planRestart,
  type DeploymentView,
  type RolloutStatus,
} from '../../core/rollout';

/** AKS's CoreDNS Deployment (kube-system/coredns), restarted after coredns-custom changes. */
export const COREDNS_DEPLOYMENT = 'coredns';

export interface KubernetesClusterDnsOptions {
  /** kube-system on AKS; a test's own namespace in the test world. */
  namespace?: string;
  /** How long CoreDNS may take to be Available after a restart before the change is put back. */
  availableTimeoutMs: number;
  pollIntervalMs?: number;
  now?: () => Date;
}

/** Re-reads after a 409 while putting the last good entries back or confirming them. */
const WRITE_ATTEMPTS = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The {@link ClusterDns} port over the Kubernetes API (@kubernetes/client-node), with only what
 * the shipped Role grants (deploy/rbac.yaml): get/update on ConfigMap coredns-custom, get/patch on
 * Deployment coredns.
 *
 * `apply` replaces the ConfigMap as read (a PUT carrying its resourceVersion, so a write in
 * between is a 409 and the reconcile decides again), restarts CoreDNS as `kubectl rollout restart`
 * does, waits until `kubectl rollout status` would be done, and records the entries as the last
 * good ones. If CoreDNS is not Available within the budget — or the restart fails — the last good
 * entries go back (only drpilot's; others' entries stay as they are by then), CoreDNS is
 * restarted again, and the outcome says whether it came back with them.
 */
export class KubernetesClusterDns implements ClusterDns {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly namespace: string;
  private readonly now: () => Date;
  /** The ConfigMap as last read, so `apply` writes back exactly what the decision was made on. */
  private lastRead: V1ConfigMap | undefined;

  constructor(
    config: KubeConfig,
    private readonly options: KubernetesClusterDnsOptions,
  ) {
    this.core = config.makeApiClient(CoreV1Api);
    this.apps = config.makeApiClient(AppsV1Api);
    this.namespace = options.namespace ?? CUSTOM_CONFIGMAP.namespace;
    this.now = options.now ?? (() => new Date());
  }

  async read(): Promise<ClusterDnsSnapshot> {
    const configMap = await this.readConfigMap();
    this.lastRead = configMap;
    const data = configMap.data ?? {};
    const entries: Record<string, string> = {};
    const others: Record<string, string> = {};
    for (const [key, text] of Object.entries(data)) {
      (key.startsWith(DRPILOT_KEY_PREFIX) ? entries : others)[key] = text;
    }
    return { entries, others, version: configMap.metadata?.resourceVersion ?? '' };
  }

  async apply(entries: Record<string, string>, basedOn: string): Promise<ClusterApplyOutcome> {
    const current =
      this.lastRead?.metadata?.resourceVersion === basedOn
        ? this.lastRead
        : await this.readConfigMap();
    if (current.metadata?.resourceVersion !== basedOn) return { outcome: 'conflict' };
    const before = viewOf(current);
    const lastGood = lastGoodOf(before);
    let written: V1ConfigMap;
    try {
      written = await this.replaceConfigMap(current, withNewEntries(before, entries));
    } catch (error) {
      if (statusOf(error) === 409) return { outcome: 'conflict' };
      throw error;
    }
    this.lastRead = undefined;

    const first = await this.restartAndWait();
    if (first.state === 'done') {
      await this.confirm(written, entries);
      return { outcome: 'applied' };
    }
    await this.putBack(lastGood);
    const again = await this.restartAndWait();
    const seconds = Math.round(this.options.availableTimeoutMs / 1000);
    return {
      outcome: 'rolled-back',
      detail:
        `CoreDNS was not Available within ${seconds} s of the change (${first.message}); ` +
        `drpilot's last good entries are back in ${this.namespace}/${CUSTOM_CONFIGMAP.name}` +
        (again.state === 'done'
          ? ' and CoreDNS is Available with them'
          : `, but CoreDNS is still not Available (${again.message})`),
    };
  }

  /** Restarts the CoreDNS Deployment as kubectl does and waits for its rollout to be done. */
  private async restartAndWait(): Promise<RolloutStatus> {
    const deadline = Date.now() + this.options.availableTimeoutMs;
    try {
      let patched: V1Deployment | undefined;
      while (!patched) {
        const deployment = await this.apps.readNamespacedDeployment({
          name: COREDNS_DEPLOYMENT,
          namespace: this.namespace,
        });
        const restart = planRestart(deployment as DeploymentView, this.now());
        if (restart.action === 'refuse') return { state: 'failed', message: restart.reason };
        if (restart.action === 'wait-a-second') {
          await sleep(1000);
          continue;
        }
        patched = await this.apps.patchNamespacedDeployment(
          { name: COREDNS_DEPLOYMENT, namespace: this.namespace, body: restart.patch },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        );
      }
      for (;;) {
        const deployment = await this.apps.readNamespacedDeployment({
          name: COREDNS_DEPLOYMENT,
          namespace: this.namespace,
        });
        const status = deploymentRolloutStatus(deployment as DeploymentView);
        if (status.state !== 'waiting') return status;
        if (Date.now() >= deadline) return status;
        await sleep(this.options.pollIntervalMs ?? 1000);
      }
    } catch (error) {
      return { state: 'failed', message: `restarting CoreDNS failed: ${messageOf(error)}` };
    }
  }

  /** Records `entries` as the last good ones, unless the ConfigMap no longer holds them. */
  private async confirm(written: V1ConfigMap, entries: Record<string, string>): Promise<void> {
    let current = written;
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const view = viewOf(current);
      if (!sameEntries(drpilotEntries(view.data), entries)) return;
      try {
        await this.replaceConfigMap(current, withConfirmedEntries(view, entries, this.now()));
        return;
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
        current = await this.readConfigMap();
      }
    }
  }

  /** Puts drpilot's entries back to `lastGood`, re-reading after every 409. */
  private async putBack(lastGood: Record<string, string>): Promise<void> {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const current = await this.readConfigMap();
      try {
        await this.replaceConfigMap(current, withLastGoodBack(viewOf(current), lastGood));
        return;
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
    }
    throw new Error(
      `putting back the last good entries of ${this.namespace}/${CUSTOM_CONFIGMAP.name} failed: it kept changing (${WRITE_ATTEMPTS} attempts)`,
    );
  }

  private async readConfigMap(): Promise<V1ConfigMap> {
    try {
      return await this.core.readNamespacedConfigMap({
        name: CUSTOM_CONFIGMAP.name,
        namespace: this.namespace,
      });
    } catch (error) {
      if (statusOf(error) === 404) {
        // AKS creates it; the Role cannot create ConfigMaps (RBAC cannot limit create by name).
        throw new Error(
          `ConfigMap ${this.namespace}/${CUSTOM_CONFIGMAP.name} does not exist (AKS creates it; drpilot only updates it)`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** PUT with the resourceVersion of `base`: the API server answers 409 if it moved. */
  private replaceConfigMap(base: V1ConfigMap, next: CustomConfigMapView): Promise<V1ConfigMap> {
    const body: V1ConfigMap = {
      ...base,
      metadata: { ...base.metadata, annotations: next.annotations },
      data: next.data,
    };
    return this.core.replaceNamespacedConfigMap({
      name: CUSTOM_CONFIGMAP.name,
      namespace: this.namespace,
      body,
    });
  }
}

function viewOf(configMap: V1ConfigMap): CustomConfigMapView {
  return { data: { ...configMap.data }, annotations: { ...configMap.metadata?.annotations } };
}

/** The HTTP status of a client-node ApiException. */
function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's Status message when there is one, not the whole exception dump. */
function messageOf(error: unknown): string {
  const code = statusOf(error);
  const body = (error as { body?: unknown } | null)?.body;
  let message: string | undefined;
  if (typeof body === 'string') {
    try {
      message = (JSON.parse(body) as { message?: string }).message;
    } catch {
      message = body;
    }
  } else if (body && typeof body === 'object') {
    message = (body as { message?: string }).message;
  }
  if (code !== undefined) return `${code}${message ? ` ${message}` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
