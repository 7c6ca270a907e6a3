import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { ec2Client } from '../../lambdas/adapters/aws/sdk-clients/ec2';
import { secretsManagerClient } from '../../lambdas/adapters/aws/sdk-clients/secrets-manager';
import { instancesWithTag } from '../../lambdas/adapters/aws/tagged-instances';
import type { DrpilotConfig, NodeGroupConfig } from '../../lambdas/core/config/schema';
import type { KubeNode, KubePod } from '../../lambdas/adapters/kubernetes/kube-api';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import { startK8sWorld, type K8sWorld } from '../emulator/k8s-world';
import { k8sWorldBinaries } from '../emulator/k8s-world-binaries';
import { auditedRequests, evictionsIn } from './audit-log';
import { createDrainIdentity } from './drain-identity';
import type { FakePodInput } from '../emulator/fake-kubernetes-api';
import { KubeAdmin } from './kube-admin';
import {
  budgetManifest,
  daemonSetManifest,
  placeReplicas,
  waitForBudget,
  waitForHealthyPods,
} from './kube-workloads';
import { relayInstanceStates, type InstanceEvent } from './kubelet-relay';
import {
  embeddedClusterTarget,
  GUARDED_APP,
  podsOn,
  type EmbeddedCluster,
} from './kubernetes-cluster';
import { createKwokNodes, kubeletStarted, kubeletStopped } from './kwok-nodes';
import { watchDisruption } from './pod-watch';

/** kwok turns a pod Ready this long after it is bound: an evicted pod's replacement takes a while. */
const READY_DELAY = '500ms';

const byKey = (pods: KubePod[]) =>
  pods.map((pod) => `${pod.metadata.namespace}/${pod.metadata.name}`).sort();

/**
 * The drill's Kubernetes side on a real API server (kube-apiserver, controller-manager, scheduler
 * and kwok from `npm run setup:k8s`; never built here): one kwok node per instance of the group
 * with `spec.providerID` `aws:///<az>/<instance id>`, the same workloads as the fake cluster
 * (Deployments placed like `podsOn`, a DaemonSet, a real PodDisruptionBudget), drpilot's
 * identity (a ServiceAccount with the RBAC docs/resize.md lists) as a kubeconfig in the group's secret, and
 * EC2 stops and starts relayed to kwok. What drpilot asked comes from the API server's audit log;
 * how many guarded pods were down at once from a watch of them.
 */
export async function startRealEmbeddedCluster(
  config: DrpilotConfig,
  group: NodeGroupConfig,
  onProgress: (message: string) => void,
): Promise<EmbeddedCluster> {
  const { tag, secretName, region } = embeddedClusterTarget(config, group);
  const world: K8sWorld = await startK8sWorld({
    binaries: await k8sWorldBinaries({ build: false }),
    onProgress,
  });
  const admin = KubeAdmin.fromKubeconfig(world.adminKubeconfig);
  const closers: (() => void)[] = [() => admin.close()];
  const close = async () => {
    for (const closeOne of closers.reverse()) closeOne();
    await world.stop();
  };
  try {
    const ec2 = ec2Client(region);
    const members = await instancesWithTag(ec2, tag);
    const names = new Map(members.map((m) => [m.id, m.privateDnsName ?? m.id]));
    const nodeName = (instanceId: string) => names.get(instanceId) ?? instanceId;
    const nodes = members.map((m) => nodeName(m.id));
    await createKwokNodes(
      admin,
      members.map((m) => ({
        name: nodeName(m.id),
        instanceId: m.id,
        ...(m.availabilityZone ? { availabilityZone: m.availabilityZone } : {}),
      })),
    );

    // The fake cluster's layout, built by the real controllers.
    const layout = members.flatMap((m, i) => podsOn(nodeName(m.id), i));
    const perNode = (app: string) =>
      Object.fromEntries(
        nodes.map((node) => [
          node,
          layout.filter((p) => p.node === node && p.labels?.app === app).length,
        ]),
      );
    const namespaces = [...new Set(layout.map((p) => p.namespace ?? 'default'))];
    for (const name of namespaces) {
      await admin.create('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
    }
    const nodeSelector = { 'kubernetes.io/os': 'linux' };
    const apps = (kind: string) =>
      new Map(
        layout
          .filter((p) => p.owner?.kind === kind)
          .map((p) => [p.labels?.app ?? '', p.namespace ?? 'default'] as const),
      );
    for (const [app, namespace] of apps('ReplicaSet')) {
      await placeReplicas(admin, {
        namespace,
        name: app,
        nodeSelector,
        readyDelay: READY_DELAY,
        kind: 'deployments',
        perNode: perNode(app),
        nodes,
      });
    }
    for (const [app, namespace] of apps('DaemonSet')) {
      await admin.create(
        `/apis/apps/v1/namespaces/${namespace}/daemonsets`,
        daemonSetManifest({ namespace, name: app, nodeSelector }),
      );
      await waitForHealthyPods(admin, { namespace, app, count: nodes.length });
    }
    const { namespace, name, maxUnavailable } = GUARDED_APP;
    await admin.create(
      `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`,
      budgetManifest({ namespace, name, app: name, maxUnavailable }),
    );
    await waitForBudget(admin, { namespace, name, disruptionsAllowed: maxUnavailable });

    const adminCredentials = parseKubeconfig(world.adminKubeconfig);
    const identity = await createDrainIdentity(admin, {
      server: world.server,
      caData: adminCredentials.caData ?? '',
      namespace: 'kube-system',
    });
    await secretsManagerClient(region).send(
      new CreateSecretCommand({ Name: secretName, SecretString: identity.kubeconfigJson }),
    );

    const listed = await admin.list<KubePod>('/api/v1/pods');
    const pods: FakePodInput[] = listed
      .filter((pod) => namespaces.includes(pod.metadata.namespace))
      .map((pod) => {
        const owner = pod.metadata.ownerReferences?.[0];
        return {
          name: pod.metadata.name,
          namespace: pod.metadata.namespace,
          ...(pod.spec.nodeName ? { node: pod.spec.nodeName } : {}),
          labels: { ...pod.metadata.labels },
          ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}),
        };
      });
    const guarded = await admin.get<{ items: KubePod[]; metadata: { resourceVersion: string } }>(
      `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3D${name}`,
    );
    const watch = watchDisruption(adminCredentials, {
      namespace,
      app: name,
      expected: guarded.items.length,
      pods: guarded.items,
      resourceVersion: guarded.metadata.resourceVersion,
    });
    closers.push(() => watch.close());

    const events: InstanceEvent[] = [];
    closers.push(
      relayInstanceStates(
        ec2,
        new Set(names.keys()),
        {
          async snapshot(id) {
            const node = await admin.get<KubeNode>(`/api/v1/nodes/${nodeName(id)}`);
            const left = await admin.list<KubePod>(
              '/api/v1/pods',
              `fieldSelector=${encodeURIComponent(`spec.nodeName=${nodeName(id)}`)}`,
            );
            return { cordoned: Boolean(node.spec.unschedulable), podsLeft: byKey(left) };
          },
          stopped: (id) => kubeletStopped(admin, nodeName(id)),
          started: (id) => kubeletStarted(admin, nodeName(id)),
        },
        events,
      ),
    );
    const requests = () => auditedRequests(world.auditLogPath, identity.username);

    return {
      apiDescription: world.description,
      url: world.server,
      region,
      secretName,
      members,
      nodeName,
      pods,
      events,
      node: (node) => admin.get<KubeNode>(`/api/v1/nodes/${node}`),
      evictions: async () => evictionsIn(await requests()),
      requests: async () =>
        (await requests()).map(({ method, path, status, at }) => ({ method, path, status, at })),
      maxDisrupted: async () => watch.maxUnavailable(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
