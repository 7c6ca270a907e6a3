import type { StateTable } from '../adapters/state-table';
import type { AppliedState } from '../core/applied-state';
import type { ClusterDns } from '../core/cluster-dns';
import type { ForwardingPlan } from '../core/coredns-render';
import { decideWrite, planForwarding } from '../core/reconcile-plan';

/** A ConfigMap that keeps moving under the reconcile is re-read and re-decided this many times. */
const MAX_WRITE_ATTEMPTS = 3;

export interface ReconcileDependencies {
  table: StateTable;
  /** Absent until the Kubernetes adapter exists: the reconcile then plans and reports only. */
  clusterDns: ClusterDns | undefined;
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
    const applied: AppliedState = {
      at,
      outcome,
      reason,
      forwarding,
      lastApplied:
        forwarding && (outcome === 'applied' || outcome === 'unchanged')
          ? { at: outcome === 'applied' ? at : (lastApplied?.at ?? at), forwarding }
          : lastApplied,
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
      'no Kubernetes adapter for the cluster: the forwarding was planned, not applied',
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

function withoutCache(plan: ForwardingPlan): Omit<ForwardingPlan, 'cacheSeconds'> {
  const { zones, ips, region, resolverEndpointId } = plan;
  return { zones, ips, region, resolverEndpointId };
}
