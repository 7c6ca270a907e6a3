import {
  readGatewayConnections,
  type GatewayConnectionGetter,
} from '../adapters/azure/gateway-connections';
import type { ReconcileQueue } from '../adapters/reconcile-queue';
import type { StateTable } from '../adapters/state-table';
import type { ArmResourceId } from '../core/arm-ids';
import { withAzureConnections } from '../core/desired-state';
import {
  assessTunnels,
  gateMoved,
  tunnelMetrics,
  type TunnelHealth,
  type TunnelMetric,
} from '../core/tunnel-health';

/** Events write the same document; a moved ETag is re-read and merged again this many times. */
const MAX_WRITE_ATTEMPTS = 5;
/** What one run may spend waiting out 429s: the timer fires every minute. */
export const DEFAULT_WAIT_BUDGET_MS = 20_000;

export interface TunnelHealthDependencies {
  table: StateTable;
  queue: Pick<ReconcileQueue, 'enqueue'>;
  /** DRPILOT_VPN_CONNECTION_IDS. */
  connectionIds: readonly ArmResourceId[];
  clientFor: (subscriptionId: string) => GatewayConnectionGetter;
  /** Called once per side whose state moved, after the new state is stored. */
  emit: (metric: TunnelMetric) => void;
  now: () => Date;
  waitBudgetMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface TunnelHealthRun {
  health: TunnelHealth;
  /** The connections that could not be read, and why. */
  problems: string[];
  metrics: TunnelMetric[];
  /** A reconcile was queued because the DNS gate opened or closed. */
  reconcileQueued: boolean;
}

/**
 * One `tunnelHealth` run: read Azure's view of the VPN (the gateway connections), merge it into the
 * desired state beside AWS's (the `tunnel.state` events), store it under the ETag it was read
 * with, then log each side whose state moved as a metric and, when the DNS gate opened or closed,
 * queue a reconcile so dnsReconcile acts on it now rather than at its 5-minute timer.
 */
export async function runTunnelHealth(deps: TunnelHealthDependencies): Promise<TunnelHealthRun> {
  const { table } = deps;
  await table.ensureTable();
  let current = await table.readDesired();
  if (deps.connectionIds.length === 0 && Object.keys(current.state.azureConnections).length === 0) {
    // Nothing configured and nothing to forget: no write every minute for nothing.
    const health = current.state.tunnelHealth ?? assessTunnels(current.state);
    return { health, problems: [], metrics: [], reconcileQueued: false };
  }
  const read = await readGatewayConnections(deps.connectionIds, {
    clientFor: deps.clientFor,
    now: deps.now,
    previous: current.state.azureConnections,
    waitBudgetMs: deps.waitBudgetMs ?? DEFAULT_WAIT_BUDGET_MS,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const before = current.state.tunnelHealth;
    const next = withAzureConnections(current.state, read.views);
    const health = next.tunnelHealth as TunnelHealth;
    if ((await table.replaceDesired(next, current.etag)) === 'moved') {
      current = await table.readDesired();
      continue;
    }
    const metrics = tunnelMetrics(before, health);
    for (const metric of metrics) deps.emit(metric);
    let reconcileQueued = false;
    if (gateMoved(before, health)) {
      await deps.queue.enqueue({
        reason: `tunnelHealth: DNS rewrites ${health.dnsGate ? 'held' : 'no longer held'}`,
        at: deps.now().toISOString(),
      });
      reconcileQueued = true;
    }
    return { health, problems: read.problems, metrics, reconcileQueued };
  }
  throw new Error(
    `tunnelHealth: the desired state kept moving under the write (${MAX_WRITE_ATTEMPTS} attempts)`,
  );
}
