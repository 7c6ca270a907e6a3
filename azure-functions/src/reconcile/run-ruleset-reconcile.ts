import type { StateTable } from '../adapters/state-table';
import type { AppliedRule, AppliedRuleset, AppliedState } from '../core/applied-state';
import {
  appliedRule,
  checkTarget,
  planRules,
  rulesetLink,
  rulesetOutcome,
  type ForwardingRuleset,
  type RuleAction,
  type RuleWriteOutcome,
} from '../core/forwarding-rules-plan';
import { forwardingTarget, type ForwardingTarget } from '../core/reconcile-plan';
import { ReconcileFailed } from './run-dns-reconcile';

/** A ruleset that keeps moving under the reconcile is re-read and re-decided this many times. */
const MAX_WRITE_ATTEMPTS = 3;

export interface RulesetReconcileDependencies {
  table: StateTable;
  /** Absent when the ruleset settings are missing: the reconcile then plans and reports only. */
  ruleset: { port: ForwardingRuleset; clusterVnetId: string } | undefined;
  /** What is missing when `ruleset` is absent. */
  notConnectedReason?: string;
  now: () => Date;
}

/**
 * The `private-resolver` mode's reconcile: the same target as the coredns mode (active region,
 * ATTACHED addresses, the tunnel gate — core/reconcile-plan.ts `forwardingTarget`), then read the
 * ruleset, decide (pure, core/forwarding-rules-plan.ts), write each rule under its etag; a 412 or
 * 404 reads again and decides again. The outcome, each zone's rule and whether the ruleset is
 * linked to the cluster's VNet land in the applied state; a zone whose rule is someone else's is
 * recorded, then thrown, so the queue retries it and finally moves it to the poison queue.
 */
export async function runRulesetReconcile(
  deps: RulesetReconcileDependencies,
): Promise<AppliedState> {
  const { table } = deps;
  await table.ensureTable();
  const [{ state: desired }, previous] = await Promise.all([
    table.readDesired(),
    table.readApplied(),
  ]);
  const lastApplied = previous?.lastApplied ?? null;
  const finish = async (
    outcome: AppliedState['outcome'],
    reason: string | null,
    forwarding: ForwardingTarget | null,
    ruleset: AppliedRuleset | null,
  ): Promise<AppliedState> => {
    const at = deps.now().toISOString();
    const inPlace = forwarding !== null && (outcome === 'applied' || outcome === 'unchanged');
    const applied: AppliedState = {
      at,
      mode: 'private-resolver',
      outcome,
      reason,
      forwarding,
      lastApplied:
        inPlace && forwarding
          ? { at: outcome === 'applied' ? at : (lastApplied?.at ?? at), forwarding }
          : lastApplied,
      zones: null,
      ruleset,
    };
    await table.writeApplied(applied);
    if (outcome === 'refused') throw new ReconcileFailed(reason ?? outcome);
    return applied;
  };

  const wanted = forwardingTarget(desired);
  if (wanted.action === 'skip') return finish('skipped', wanted.reason, null, null);
  const target = wanted.target;
  const checked = checkTarget(target);
  if (!checked.ok) return finish('refused', checked.problems.join('; '), target, null);
  if (!deps.ruleset) {
    return finish(
      'not-connected',
      `no DNS forwarding ruleset to write to (${deps.notConnectedReason ?? 'no ruleset adapter'}): the forwarding was planned, not applied`,
      target,
      null,
    );
  }

  const { port, clusterVnetId } = deps.ruleset;
  // Zones written on an attempt that a later 412 interrupted: still reported as written.
  const written = new Map<string, AppliedRule['outcome']>();
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const snapshot = await port.read();
    const link = rulesetLink(snapshot, clusterVnetId, port.id);
    const plan = planRules(checked.zones, checked.targets, snapshot);
    const moved = await applyRules(port, plan.rules, written);
    if (moved) continue;
    const ruleset: AppliedRuleset = {
      id: port.id,
      linkedToClusterVnet: link.linked,
      rules: plan.rules.map((action) => appliedRule(action, written.get(action.zone) ?? null)),
      orphans: plan.orphans,
    };
    const { outcome, reason } = rulesetOutcome(ruleset, link.detail);
    return finish(outcome, reason, target, ruleset);
  }
  throw new ReconcileFailed(
    `DNS forwarding ruleset ${port.id} kept changing under the reconcile (${MAX_WRITE_ATTEMPTS} attempts)`,
  );
}

/** Carries out the plan's writes; true when one met a moved rule (412/404) and all must be re-read. */
async function applyRules(
  port: ForwardingRuleset,
  actions: readonly RuleAction[],
  written: Map<string, AppliedRule['outcome']>,
): Promise<boolean> {
  for (const action of actions) {
    let result: RuleWriteOutcome;
    if (action.action === 'create') result = await port.create(action.rule);
    else if (action.action === 'update')
      result = await port.replaceTargets(action.rule, action.targets);
    else continue;
    if (result.outcome !== 'written') return true;
    if (!written.has(action.zone)) {
      written.set(action.zone, action.action === 'create' ? 'created' : 'updated');
    }
  }
  return false;
}
