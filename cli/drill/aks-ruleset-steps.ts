import { ruleNameFor } from '../../azure-functions/src/core/forwarding-rules-plan';
import type { QueuedReconcile } from '../../azure-functions/src/reconcile/in-process';
import type { DrpilotConfig, Side } from '../../lambdas/core/config/schema';
import { readStatus } from '../../lambdas/status/read-status';
import type { DrillAksSide, EmbeddedAksFunction } from './aks-steps';
import type { StepRecorder } from './step-recorder';

/**
 * The Function app's private-resolver mode in the embedded drill: the registered `dnsReconcile`
 * handler, run with DRPILOT_DNS_MODE=private-resolver over the same desired state the events built,
 * keeps drpilot's rule for the zone in a DNS forwarding ruleset (an ARM fake: etag → 412, 404, 429)
 * on the active side's resolvers; another team's rule in that ruleset is never written. And a
 * tunnel flap as both clouds see it: AWS's tunnel.state events and Azure's gateway connection, read
 * by the registered `tunnelHealth` handler.
 */

const addresses = (ips: readonly string[]) => ips.map((ip) => `${ip}:53`).join(', ');

function drpilotRule(fn: EmbeddedAksFunction) {
  return fn.arm.ruleset.rule(fn.arm.rulesetId, ruleNameFor(fn.zone));
}

/** The rule's targets; throws unless drpilot's rule for the zone forwards to `ips` on port 53. */
function expectRuleAt(fn: EmbeddedAksFunction, ips: readonly string[], whose: string): string {
  const rule = drpilotRule(fn);
  const got = rule ? addresses(rule.targetDnsServers.map((t) => `${t.ipAddress}`)) : '(no rule)';
  const portsOk = rule?.targetDnsServers.every((t) => t.port === 53) ?? false;
  if (got !== addresses(ips) || !portsOk) {
    throw new Error(
      `rule ${ruleNameFor(fn.zone)} forwards to ${got}, expected ${whose} ${addresses(ips)}`,
    );
  }
  return `rule ${rule?.name} (${rule?.domainName}) → ${got}`;
}

/** Throws unless the other team's rule is as seeded and was never written to. */
function expectForeignUntouched(fn: EmbeddedAksFunction): string {
  const { ruleset, rulesetId, foreignRule } = fn.arm;
  const now = ruleset.rule(rulesetId, foreignRule.name);
  const writes = ruleset
    .requestsTo(rulesetId)
    .filter((r) => r.method !== 'GET' && r.path.toLowerCase().endsWith(`/${foreignRule.name}`));
  if (!now || now.etag !== foreignRule.etag || writes.length > 0) {
    throw new Error(
      `another team's rule ${foreignRule.name} was touched: ${writes.map((w) => `${w.method} ${w.status}`).join(', ') || `etag ${now?.etag ?? 'gone'}`}`,
    );
  }
  return `${foreignRule.name} (${foreignRule.domainName}, ${foreignRule.metadata['owner']}) untouched: same etag, never written`;
}

/** The ruleset writes since request `since`, as `PUT <rule> If-Match → 200`. */
function writesSince(fn: EmbeddedAksFunction, since: number): string {
  const writes = fn.arm.ruleset
    .requestsTo(fn.arm.rulesetId, since)
    .filter((r) => r.method !== 'GET')
    .map(
      (r) =>
        `${r.method} ${r.path.split('/').at(-1)}${r.ifMatch ? ' If-Match' : ''}${r.ifNoneMatch ? ` If-None-Match: ${r.ifNoneMatch}` : ''} → ${r.status}`,
    );
  return writes.length ? writes.join(', ') : 'no write';
}

/** The `tunnelHealth` timer's summary line, without its log level. */
function timerLine(logs: readonly string[]): string {
  const line = logs.find((l) => l.includes('tunnelHealth: AWS'));
  if (!line) throw new Error(`tunnelHealth logged no summary: ${logs.join(' | ')}`);
  return line.replace(/^\w+: /, '');
}

function expectRuns(
  runs: QueuedReconcile[],
  ok: (outcome: string) => boolean,
  what: string,
): string {
  if (runs.length === 0) throw new Error(`no dnsReconcile was queued (${what})`);
  const wrong = runs.filter((run) => !ok(run.outcome));
  if (wrong.length > 0) {
    throw new Error(
      `dnsReconcile (private-resolver): ${wrong.map((r) => `${r.outcome}${r.reason ? ` (${r.reason})` : ''}`).join('; ')}`,
    );
  }
  return `dnsReconcile (private-resolver) ×${runs.length} from the queue: ${runs.map((r) => r.outcome).join(', ')}`;
}

/**
 * After a switch to `side`: the 5-minute timer queues a reconcile, and the registered
 * `dnsReconcile` handler in private-resolver mode moves drpilot's rule to `side`'s resolvers.
 */
export async function runRulesetSwitchStep(
  steps: StepRecorder,
  aks: DrillAksSide,
  side: Side,
): Promise<void> {
  const fn = aks.functionApp;
  await steps.run(
    `AKS, private-resolver mode: dnsReconcile follows the switch to ${side} — the ruleset's rule for ${fn.zone} → ${side}'s resolvers, another team's rule untouched`,
    async () => {
      const since = fn.arm.ruleset.requests.length;
      await fn.app.runReconcileTimer();
      const runs = await fn.app.reconcileQueuedInRuleset();
      const reconciled = expectRuns(runs, (o) => o === 'applied', `after the switch to ${side}`);
      const rule = expectRuleAt(fn, fn.cluster.resolverIps[side], `${side}'s resolvers`);
      return `dnsReconcileTimer queued a reconcile; ${reconciled}; ${writesSince(fn, since)}; ${rule}; ${expectForeignUntouched(fn)}`;
    },
  );
}

/**
 * A tunnel flap as both clouds see it, after the AWS side's own flap (tunnel.state events): Azure's
 * gateway connection loses both tunnels while AWS's tunnel.state says both are up — the Azure
 * side's view alone holds the rewrite of a rule someone changed by hand; the connection recovers
 * and the held rewrite goes through. Then `drpilot status` shows the ruleset and both views.
 */
export async function runTunnelFlapBothSidesSteps(
  steps: StepRecorder,
  config: DrpilotConfig,
  aks: DrillAksSide,
  activeSide: Side,
): Promise<void> {
  const fn = aks.functionApp;
  const { arm } = fn;
  const ips = fn.cluster.resolverIps[activeSide];
  const stale = '10.66.0.53';

  await steps.run(
    "tunnel flap seen from both sides: Azure's gateway connection has both tunnels down while AWS's tunnel.state says up — the ruleset rewrite is held",
    async () => {
      const rule = drpilotRule(fn);
      if (!rule) throw new Error(`no rule ${ruleNameFor(fn.zone)} in the ruleset`);
      // A hand edit (the portal) points drpilot's rule elsewhere: the next reconcile would rewrite it.
      arm.ruleset.putRule(arm.rulesetId, {
        ...rule,
        targetDnsServers: [{ ipAddress: stale, port: 53 }],
      });
      arm.setTunnels('NotConnected');
      const since = arm.ruleset.requests.length;
      const timer = await fn.app.runTunnelHealth();
      const health = (await readStatus(config)).aks?.functionApp?.tunnels;
      if (health?.aws.state !== 'up' || health.azure.state !== 'down' || !health.dnsGate) {
        throw new Error(
          `expected AWS up, Azure down and DNS rewrites held, the Function app has AWS ${health?.aws.state}, Azure ${health?.azure.state}, gate ${health?.dnsGate ?? 'open'}`,
        );
      }
      const runs = await fn.app.reconcileQueuedInRuleset();
      const held = expectRuns(runs, (o) => o === 'skipped', 'by tunnelHealth');
      if (!runs.every((r) => /as Azure sees it/.test(r.reason ?? ''))) {
        throw new Error(`dnsReconcile skipped for another reason: ${runs.at(-1)?.reason}`);
      }
      if (writesSince(fn, since) !== 'no write') {
        throw new Error(`the ruleset was written while held: ${writesSince(fn, since)}`);
      }
      expectRuleAt(fn, [stale], 'the hand edit');
      return `${timerLine(timer)}; the Function app's state: AWS ${health.aws.state} (${health.aws.detail}), Azure ${health.azure.state}; ${held}, held; rule ${rule.name} left at the hand edit ${stale}:53, no write`;
    },
  );

  await steps.run(
    "Azure's gateway connection recovers: the held rewrite is applied, the rule back on the active side's resolvers",
    async () => {
      arm.setTunnels('Connected');
      const since = arm.ruleset.requests.length;
      const timer = await fn.app.runTunnelHealth();
      const runs = await fn.app.reconcileQueuedInRuleset();
      const applied = expectRuns(runs, (o) => o === 'applied', 'by tunnelHealth');
      const rule = expectRuleAt(fn, ips, `${activeSide}'s resolvers`);
      return `${timerLine(timer)}; ${applied}; ${writesSince(fn, since)}; ${rule}; ${expectForeignUntouched(fn)}`;
    },
  );

  await steps.run(
    "status shows the AKS side's ruleset (its rules, linked to the cluster's VNet) and the tunnels as AWS and Azure see them",
    async () => {
      const app = (await readStatus(config)).aks?.functionApp;
      const applied = app?.applied;
      const ruleset = applied?.ruleset;
      if (applied?.mode !== 'private-resolver' || !ruleset) {
        throw new Error(`status shows no ruleset (mode ${applied?.mode ?? 'not said'})`);
      }
      if (!ruleset.linkedToClusterVnet) throw new Error(`status says ${ruleset.id} is not linked`);
      const zoneRule = ruleset.rules.find((r) => r.zone === fn.zone);
      if (zoneRule?.outcome !== 'updated') {
        throw new Error(`status shows ${fn.zone}'s rule as ${zoneRule?.outcome ?? 'missing'}`);
      }
      const tunnels = app?.tunnels;
      const connection = tunnels?.azureConnections[0];
      if (tunnels?.aws.state !== 'up' || tunnels.azure.state !== 'up' || !connection) {
        throw new Error(
          `status shows the tunnels AWS ${tunnels?.aws.state}, Azure ${tunnels?.azure.state}`,
        );
      }
      return `last reconcile (${applied.mode}) ${applied.outcome}; ruleset ${ruleset.id} linked to the cluster's VNet; ${fn.zone}: rule ${zoneRule.name} ${zoneRule.outcome}; tunnels AWS ${tunnels.aws.state} since ${tunnels.aws.since}, Azure ${tunnels.azure.state} since ${tunnels.azure.since} (${connection.connection}: ${connection.connectionStatus}${connection.tunnels.map((t) => `; ${t.name} ${t.status}`).join('')}); DNS rewrites ${tunnels.dnsGate ? `held: ${tunnels.dnsGate}` : 'not held'}`;
    },
  );
}
