import { app, type InvocationContext } from '@azure/functions';
import { connectAks } from '../adapters/azure/aks-connect';
import { armForwardingRuleset } from '../adapters/azure/forwarding-ruleset';
import type { ArmResourceId } from '../core/arm-ids';
import type { ForwardingRuleset } from '../core/forwarding-rules-plan';
import { appStorage, RECONCILE_QUEUE } from '../adapters/storage-clients';
import type { AppliedState } from '../core/applied-state';
import { runDnsReconcile, type ReconcileDependencies } from '../reconcile/run-dns-reconcile';
import {
  runRulesetReconcile,
  type RulesetReconcileDependencies,
} from '../reconcile/run-ruleset-reconcile';
import {
  aksSettings,
  corednsAvailableSeconds,
  dnsMode,
  dnsTtlSeconds,
  rulesetSettings,
  SettingsError,
  SETTINGS,
} from '../settings';

/**
 * Triggered by a message on the reconcile queue (from an accepted event or the 5-minute timer):
 * makes AKS's DNS match the desired state. A throw leaves the message to the runtime, which
 * retries it and, after host.json's `maxDequeueCount`, moves it to `drpilot-dns-reconcile-poison`.
 * Without the DRPILOT_AKS_* settings it plans and records `not-connected`. With
 * DRPILOT_DNS_MODE=private-resolver it keeps the DNS forwarding ruleset's rules instead
 * (reconcile/run-ruleset-reconcile.ts); without a valid ruleset and VNet setting it records
 * `not-connected` with what is wrong. `options` are for tests and the embedded drill: another
 * ARM for the ruleset (a fake's endpoint and a static credential); production keeps
 * DefaultAzureCredential.
 */
export function dnsReconcileHandler(
  options: {
    /** The private-resolver mode's ruleset adapter; default: ARM with DefaultAzureCredential. */
    rulesetFor?: (ruleset: ArmResourceId) => ForwardingRuleset;
  } = {},
): (message: unknown, context: InvocationContext) => Promise<void> {
  const rulesetFor = options.rulesetFor ?? ((ruleset) => armForwardingRuleset(ruleset));
  return async (message, context) => {
    const applied =
      dnsMode() === 'private-resolver'
        ? await reconcileRuleset(rulesetFor)
        : await reconcileCoredns();
    context.info(
      `dnsReconcile (${describe(message)}): ${applied.outcome}${applied.reason ? `: ${applied.reason}` : ''}`,
    );
  };
}

export const dnsReconcile = dnsReconcileHandler();

async function reconcileRuleset(
  rulesetFor: (ruleset: ArmResourceId) => ForwardingRuleset,
): Promise<AppliedState> {
  let ruleset: Pick<RulesetReconcileDependencies, 'ruleset' | 'notConnectedReason'>;
  try {
    const settings = rulesetSettings();
    ruleset = {
      ruleset: { port: rulesetFor(settings.ruleset), clusterVnetId: settings.clusterVnetId },
    };
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    ruleset = { ruleset: undefined, notConnectedReason: error.message };
  }
  return runRulesetReconcile({ table: appStorage().table, ...ruleset, now: () => new Date() });
}

async function reconcileCoredns(): Promise<AppliedState> {
  const aks = aksSettings();
  const cluster: Pick<ReconcileDependencies, 'clusterDns' | 'nodePools' | 'notConnectedReason'> =
    aks.connected
      ? await connectAks(aks, { availableTimeoutMs: corednsAvailableSeconds() * 1000 })
      : { clusterDns: undefined, notConnectedReason: aks.reason };
  return runDnsReconcile({
    table: appStorage().table,
    ...cluster,
    cacheSeconds: dnsTtlSeconds(),
    now: () => new Date(),
  });
}

function describe(message: unknown): string {
  const reason = (message as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : 'message';
}

app.storageQueue('dnsReconcile', {
  queueName: RECONCILE_QUEUE,
  connection: SETTINGS.storage,
  handler: dnsReconcile,
});
