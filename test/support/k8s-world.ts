import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { auditedRequests, type AuditedRequest } from '../../cli/embedded/audit-log';
import { createDrainIdentity, type DrainIdentity } from '../../cli/embedded/drain-identity';
import { KubeAdmin } from '../../cli/embedded/kube-admin';
import { releaseHeldPods } from '../../cli/embedded/kube-workloads';
import { createKwokNodes, type KwokNodeInput } from '../../cli/embedded/kwok-nodes';
import type { K8sWorldProcess } from '../../cli/emulator/k8s-world';
import type { KubeNode } from '../../lambdas/adapters/kubernetes/kube-api';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';

/** The run's world, as the global setup (test/support/k8s-world-global-setup.ts) describes it. */
export interface SharedK8sWorld {
  server: string;
  version: string;
  description: string;
  adminKubeconfig: string;
  auditLogPath: string;
  processes: K8sWorldProcess[];
}

/**
 * One test's share of the run's world: its own namespace, nodes whose names start with it and
 * carry its owner label (nodes are cluster-wide), and the drain identity's kubeconfig.
 */
export interface K8sTenant {
  namespace: string;
  /** Node label every node of this test carries; workloads select it. */
  ownerLabel: Record<string, string>;
  /** A node name unique in the shared world: `<namespace>-<short>`. */
  nodeName(short: string): string;
  /** Registers kwok nodes (owner label added) and waits until they are Ready. */
  createNodes(inputs: KwokNodeInput[]): Promise<void>;
  /** drpilot's identity (the README's RBAC, a ServiceAccount token), made on first use. */
  drainIdentity(): Promise<DrainIdentity>;
  /** What that identity asked the API server, from the server's audit log. */
  auditedRequests(): Promise<AuditedRequest[]>;
}

const OWNER_LABEL = 'drpilot.test/owner';

/** Fetches the run's world from the global setup; the first caller starts it. */
export async function sharedK8sWorld(): Promise<SharedK8sWorld> {
  const answer = await fetch(inject('k8sWorldBroker'));
  const body = (await answer.json()) as SharedK8sWorld | { error: string };
  if ('error' in body) throw new Error(body.error);
  return body;
}

/**
 * The real Kubernetes world for the calling test file: the run's shared world (started by the
 * first file that asks), an admin client, and `tenant()`: a fresh {@link K8sTenant} for the
 * current test, made on first use and removed after the test (namespace, nodes, the identity's
 * binding).
 */
export function useK8sWorld() {
  let world: SharedK8sWorld | undefined;
  let admin: KubeAdmin | undefined;
  let tenant: Promise<K8sTenant & { remove(): Promise<void> }> | undefined;

  beforeAll(async () => {
    world = await sharedK8sWorld();
    admin = KubeAdmin.fromKubeconfig(world.adminKubeconfig);
  });

  afterEach(async () => {
    const current = tenant;
    tenant = undefined;
    await (await current)?.remove();
  });

  afterAll(() => admin?.close());

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is available inside tests only`);
    return value;
  };
  return {
    get world() {
      return ready(world, 'the Kubernetes world');
    },
    get admin() {
      return ready(admin, 'the Kubernetes admin client');
    },
    /** This test's tenant: its own namespace, made on first call. */
    tenant(): Promise<K8sTenant> {
      tenant ??= openTenant(ready(admin, 'the Kubernetes admin client'), ready(world, 'the world'));
      return tenant;
    },
  };
}

async function openTenant(
  admin: KubeAdmin,
  world: SharedK8sWorld,
): Promise<K8sTenant & { remove(): Promise<void> }> {
  const namespace = `t-${randomBytes(4).toString('hex')}`;
  await admin.create('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  const ownerLabel = { [OWNER_LABEL]: namespace };
  let identity: Promise<DrainIdentity> | undefined;
  return {
    namespace,
    ownerLabel,
    nodeName: (short) => `${namespace}-${short}`,
    createNodes: (inputs) =>
      createKwokNodes(
        admin,
        inputs.map((input) => ({ ...input, labels: { ...input.labels, ...ownerLabel } })),
      ),
    drainIdentity: () =>
      (identity ??= createDrainIdentity(admin, {
        server: world.server,
        caData: parseKubeconfig(world.adminKubeconfig).caData!,
        namespace,
      })),
    async auditedRequests() {
      if (!identity) return [];
      return auditedRequests(world.auditLogPath, (await identity).username);
    },
    async remove() {
      await releaseHeldPods(admin, namespace);
      await admin.delete(`/api/v1/namespaces/${namespace}`);
      const nodes = await admin.list<KubeNode>(
        '/api/v1/nodes',
        `labelSelector=${encodeURIComponent(`${OWNER_LABEL}=${namespace}`)}`,
      );
      await Promise.all(nodes.map((node) => admin.delete(`/api/v1/nodes/${node.metadata.name}`)));
      if (identity) await (await identity).remove();
    },
  };
}
