import type { StateTable } from '../adapters/state-table';
import type { AppliedState } from '../core/applied-state';
import type { ClusterDns, ClusterNodePools } from '../core/cluster-dns';
import type { ForwardingPlan } from '../core/coredns-render';
import { routingSummary, zoneRouting, type NodePoolDns, type ZoneRouting } from '../core/localdns';
import { decideWrite, planForwarding } from '../core/reconcile-plan';

/** A ConfigMap that keeps moving under the reconcile is re-read and re-decided this many times. */
const MAX_WRITE_ATTEMPTS = 3;

export interface ReconcileDependencies {
  table: StateTable;
  /** Absent when the Function app is not connected to a cluster: it then plans and reports only. */
  clusterDns: ClusterDns | undefined;
  /** Where node pools' LocalDNS profiles come from; absent → zones are reported `unknown`. */
  nodePools?: ClusterNodePools | undefined;
  /** What is missing when `clusterDns` is absent (the settings that name the cluster). */
  notConnectedReason?: string;
  cacheSeconds: number;
  now: () => Date;
}

export class ReconcileFailed extends Error {
  override readonly name = 'ReconcileFailed';
}

/**
 * Makes the cluster's DNS match the desired state: plan (pure), read the cluster, decide (pure),
 * apply; the outcome and its reason land in the applied state. A refusal or a rollback is
 * recorded, then thrown, so the queue runtime retries it and finally moves it to the poison queue.
 */
export async function runDnsReconcile(deps: ReconcileDependencies): Promise<AppliedState> {
  const { table } = deps;
  await table.ensureTable();
  const [{ state: desired }, previous] = await Promise.all([
    table.readDesired(),
    table.readApplied(),
  ]);
  const lastApplied = previous?.lastApplied ?? null;
  const decision = planForwarding(desired, { cacheSeconds: deps.cacheSeconds });
  const finish = async (
    outcome: AppliedState['outcome'],
    reason: string | null,
    plan: ForwardingPlan | null,
  ): Promise<AppliedState> => {
    const at = deps.now().toISOString();
    const forwarding = plan ? withoutCache(plan) : null;
    const inPlace = forwarding !== null && (outcome === 'applied' || outcome === 'unchanged');
    const zones = inPlace ? await routingOf(forwarding.zones, deps.nodePools) : null;
    const applied: AppliedState = {
      at,
      outcome,
      // A zone LocalDNS sends around CoreDNS is said so, not reported as forwarded.
      reason: reason ?? (zones ? routingSummary(zones) : null),
      forwarding,
      lastApplied: inPlace
        ? { at: outcome === 'applied' ? at : (lastApplied?.at ?? at), forwarding }
        : lastApplied,
      zones,
    };
    await table.writeApplied(applied);
    if (outcome === 'refused' || outcome === 'rolled-back')
      throw new ReconcileFailed(reason ?? outcome);
    return applied;
  };

  if (decision.action === 'skip') return finish('skipped', decision.reason, null);
  if (decision.action === 'refuse') return finish('refused', decision.problems.join('; '), null);
  if (!deps.clusterDns) {
    return finish(
      'not-connected',
      `not connected to a cluster (${deps.notConnectedReason ?? 'no Kubernetes adapter'}): the forwarding was planned, not applied`,
      decision.plan,
    );
  }
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const snapshot = await deps.clusterDns.read();
    const write = decideWrite(decision.entries, decision.plan, snapshot);
    if (write.action === 'refuse')
      return finish('refused', write.problems.join('; '), decision.plan);
    if (write.action === 'unchanged') return finish('unchanged', null, decision.plan);
    const result = await deps.clusterDns.apply(write.entries, snapshot.version);
    if (result.outcome === 'applied') return finish('applied', null, decision.plan);
    if (result.outcome === 'rolled-back')
      return finish('rolled-back', result.detail, decision.plan);
  }
  throw new ReconcileFailed(
    `coredns-custom kept changing under the reconcile (${MAX_WRITE_ATTEMPTS} attempts)`,
  );
}

/** What LocalDNS does with the zones; a failed read of the pools makes them `unknown`. */
async function routingOf(
  zones: string[],
  nodePools: ClusterNodePools | undefined,
): Promise<ZoneRouting[]> {
  let pools: NodePoolDns[] | { unavailable: string };
  if (!nodePools) pools = { unavailable: 'no node pool reader configured' };
  else {
    try {
      pools = await nodePools.list();
    } catch (error) {
      pools = { unavailable: (error as Error).message };
    }
  }
  return zoneRouting(zones, pools);
}

function withoutCache(plan: ForwardingPlan): Omit<ForwardingPlan, 'cacheSeconds'> {
  const { zones, ips, region, resolverEndpointId } = plan;
  return { zones, ips, region, resolverEndpointId };
}
