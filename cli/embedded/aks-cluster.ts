import { Resolver } from 'node:dns/promises';
import type { ClusterDns } from '../../azure-functions/src/core/cluster-dns';
import { serverKeyFor } from '../../azure-functions/src/core/coredns-render';
import { parseKubeconfig } from '../../lambdas/adapters/kubernetes/kubeconfig';
import type { Side } from '../../lambdas/core/config/schema';
import { aksStyleCorefile, corednsBinary, startCoreDns } from '../emulator/coredns';
import { startK8sWorld, type K8sWorld } from '../emulator/k8s-world';
import { k8sWorldBinaries } from '../emulator/k8s-world-binaries';
import {
  PrivilegedPortError,
  startStubResolver,
  type StubResolver,
} from '../emulator/stub-resolver';
import { auditedRequests } from './audit-log';
import { DRILL_RESOLVER_BLOCKS, drillResolverIps } from './seed-aks';
import { InMemoryClusterDns } from './aks-cluster-dns';
import { describeRequests, setUpCoreDnsInCluster, type CoreDnsInCluster } from './aks-coredns-k8s';
import { KubeAdmin } from './kube-admin';
import { createKwokNodes } from './kwok-nodes';

/**
 * The embedded drill's AKS cluster, as far as its DNS goes: where coredns-custom lives and CoreDNS
 * restarts (the real kube-apiserver + kwok with `--real-k8s`, else an in-memory ConfigMap), a stub
 * resolver on each inbound endpoint address the estate was seeded with (the addresses are
 * loopback ones, so this machine's CoreDNS reaches them at exactly the addresses AWS reported),
 * and a query of a name in the zone through real CoreDNS loaded with AKS's default Corefile and
 * coredns-custom. What could not run here is emulated, and {@link DrillAksCluster.emulated} says
 * what and why.
 */
export interface DrillAksCluster {
  /** Each side's inbound endpoint addresses this drill's stub resolvers answer on. */
  resolverIps: Record<Side, [string, string]>;
  /** Where coredns-custom lives: `kube-apiserver v1.37.2 + kwok`, or the in-memory one. */
  kubernetes: string;
  /** `CoreDNS-1.15.0`, or null when it was not run. */
  coredns: string | null;
  /** Each part that was emulated, and why; empty when nothing was. */
  emulated: string[];
  clusterDns: ClusterDns;
  /** The name asked in the zone; each side's resolvers answer it with their own address. */
  probeName: string;
  /** coredns-custom's data as the cluster holds it. */
  data(): Promise<Record<string, string>>;
  /** Asks `probeName` through CoreDNS on the cluster's coredns-custom (or reads the entry). */
  resolve(): Promise<ProbeAnswer>;
  /** What drpilot's identity asked the API server (kube-apiserver only). */
  requests(): Promise<string[] | null>;
  close(): Promise<void>;
}

/** One stub resolver per address, each answering the probe name with its own address; all or none. */
async function stubsOn(
  resolverIps: Record<Side, readonly string[]>,
  probeName: string,
): Promise<{ side: Side; stub: StubResolver }[]> {
  const started: { side: Side; stub: StubResolver }[] = [];
  try {
    for (const side of ['primary', 'dr'] as const) {
      for (const address of resolverIps[side]) {
        started.push({
          side,
          stub: await startStubResolver({ [probeName]: address }, { address }),
        });
      }
    }
    return started;
  } catch (error) {
    for (const { stub } of started) await stub.close();
    throw error;
  }
}

export type ProbeAnswer =
  | {
      kind: 'resolved';
      addresses: string[];
      /** Which resolver addresses were asked the probe name, by side. */
      askedBy: Record<Side, string[]>;
    }
  /** No CoreDNS or no stub resolvers: the forward targets of the rendered entry, as written. */
  | { kind: 'read'; forwardTo: string[] };

const AKS_NODE_LABEL = { 'kubernetes.azure.com/mode': 'system' };

export async function startDrillAksCluster(options: {
  realKubernetes: boolean;
  zone: string;
  onProgress: (message: string) => void;
}): Promise<DrillAksCluster> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne();
    closers.length = 0;
  };
  try {
    const emulated: string[] = [];
    const probeName = `drpilot-drill.${options.zone}`;

    // Stub resolvers on the inbound endpoint addresses the drill will seed, in the first address
    // block (starting from a random one) whose port 53 no other drill holds; and a stub "Azure DNS".
    let stubs: { side: Side; stub: StubResolver }[] | null = [];
    let resolverIps = drillResolverIps(0);
    let azureDns: StubResolver | null = null;
    try {
      const first = Math.floor(Math.random() * DRILL_RESOLVER_BLOCKS);
      for (let tried = 0; ; tried++) {
        resolverIps = drillResolverIps((first + tried) % DRILL_RESOLVER_BLOCKS);
        const bound = await stubsOn(resolverIps, probeName).catch(async (error: unknown) => {
          if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
          if (tried + 1 >= DRILL_RESOLVER_BLOCKS) throw error;
          return null;
        });
        if (!bound) continue;
        stubs = bound;
        for (const { stub } of bound) closers.push(() => stub.close());
        break;
      }
      azureDns = await startStubResolver({});
      const upstream = azureDns;
      closers.push(() => upstream.close());
    } catch (error) {
      if (!(error instanceof PrivilegedPortError)) throw error;
      stubs = null;
      emulated.push(
        `no stub resolvers (${error.message}): the zone is not resolved, the rendered entry's forward targets are read instead`,
      );
    }

    const binary = corednsBinary({ build: false });
    if (!binary) {
      emulated.push(
        'no CoreDNS (not built here: `bash scripts/setup-coredns.sh`, which `npm test` runs, builds v1.15.0 with Go): nothing loads the entries, the rendered forward targets are read instead',
      );
    }

    let kubernetes: string;
    let clusterDns: ClusterDns;
    let data: () => Promise<Record<string, string>>;
    let requests: () => Promise<string[] | null> = async () => null;
    let runningPort: () => number | undefined = () => undefined;
    if (options.realKubernetes) {
      const world: K8sWorld = await startK8sWorld({
        binaries: await k8sWorldBinaries({ build: false }),
        onProgress: options.onProgress,
      });
      closers.push(() => world.stop());
      const admin = KubeAdmin.fromKubeconfig(world.adminKubeconfig);
      closers.push(() => admin.close());
      await createKwokNodes(
        admin,
        ['aks-system-0', 'aks-system-1'].map((name) => ({ name, labels: AKS_NODE_LABEL })),
      );
      const inCluster: CoreDnsInCluster = await setUpCoreDnsInCluster(admin, {
        server: world.server,
        caPem: parseKubeconfig(world.adminKubeconfig).caData ?? '',
        namespace: 'kube-system',
        nodeSelector: AKS_NODE_LABEL,
        others: {},
      });
      kubernetes = world.description;
      clusterDns = inCluster.adapter({ availableTimeoutMs: 60_000, pollIntervalMs: 250 });
      data = async () => (await inCluster.configMap()).data ?? {};
      requests = async () =>
        describeRequests(await auditedRequests(world.auditLogPath, inCluster.username));
      emulated.push(
        'CoreDNS pods: kwok runs no containers, so the restarted Deployment turns Available as kwok reports it; the entries kube-apiserver holds are loaded by CoreDNS on this machine',
      );
    } else {
      const inMemory = new InMemoryClusterDns(
        binary ? { binary, azureDns: azureDns?.address ?? '127.0.0.1' } : null,
      );
      closers.push(() => inMemory.stop());
      kubernetes = 'in-memory coredns-custom (no Kubernetes API)';
      clusterDns = inMemory;
      data = async () => inMemory.data();
      runningPort = () => inMemory.port;
      emulated.push(
        `the cluster: an in-memory coredns-custom behind the Function app's ClusterDns port, "restart" = ${binary ? 'CoreDNS started again on it, Available = it loaded' : 'nothing'} (--real-k8s after \`npm run setup:k8s\`: the Function's Kubernetes adapter against kube-apiserver + kwok)`,
      );
    }

    const resolve = async (): Promise<ProbeAnswer> => {
      const current = await data();
      if (!binary || !stubs || !azureDns) {
        const entry = current[serverKeyFor(options.zone)];
        const forward = entry ? /forward \. ([^{]+)\{/.exec(entry)?.[1] : undefined;
        return {
          kind: 'read',
          forwardTo: (forward ?? '').trim().split(/\s+/).filter(Boolean),
        };
      }
      const before = new Map(stubs.map(({ stub }) => [stub, stub.questions.length]));
      let port = runningPort();
      let stop: () => Promise<void> = async () => undefined;
      if (port === undefined) {
        const started = await startCoreDns(aksStyleCorefile(azureDns.address), current, {
          binary,
        });
        if (!started.loaded)
          throw new Error(`CoreDNS did not load coredns-custom:\n${started.output}`);
        port = started.run.port;
        stop = started.run.stop;
      }
      try {
        const resolver = new Resolver({ timeout: 3000, tries: 1 });
        resolver.setServers([`127.0.0.1:${port}`]);
        const addresses = await resolver.resolve4(probeName);
        const askedBy: Record<Side, string[]> = { primary: [], dr: [] };
        for (const { side, stub } of stubs) {
          const asked = stub.questions.slice(before.get(stub)).includes(probeName);
          if (asked) askedBy[side].push(stub.address);
        }
        return { kind: 'resolved', addresses, askedBy };
      } finally {
        await stop();
      }
    };

    let corednsVersion: string | null = null;
    if (binary) {
      // The version CoreDNS prints, from a run on AKS's default Corefile alone.
      const started = await startCoreDns(
        aksStyleCorefile(azureDns?.address ?? '127.0.0.1'),
        {},
        {
          binary,
        },
      );
      if (!started.loaded) throw new Error(`CoreDNS does not start:\n${started.output}`);
      corednsVersion = started.run.version;
      await started.run.stop();
    }

    return {
      resolverIps,
      kubernetes,
      coredns: corednsVersion,
      emulated,
      clusterDns,
      probeName,
      data,
      resolve,
      requests,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
