import type { Command } from 'commander';
import type { FunctionAppStatus } from '../../lambdas/core/aks/function-app-state';
import { approveCommand } from '../../lambdas/core/approval/approval-rules';
import type { StatusReport } from '../../lambdas/core/status';
import { formatDuration } from '../format';
import type { CommandContext } from '../command-context';
import { ExitCode } from '../exit-codes';
import { configOrReport } from '../load-config-or-exit';

/** The AKS Function app's own state (`GET …/api/state`), or why it could not be read. */
function renderFunctionApp(app: FunctionAppStatus | null | undefined): string[] {
  if (!app) return [];
  const label = 'Function app  ';
  if (!app.ok) return [`${label}state not read: ${app.reason}`];
  const side = (a: NonNullable<FunctionAppStatus['active']>) =>
    `${a.side} (${a.region}) by dns.failover of ${a.recordName} at ${a.time}`;
  const applied = app.applied;
  const forwarding = applied?.lastApplied;
  return [
    `${label}${app.url} answered ${app.status} in ${app.latencyMs} ms`,
    `${' '.repeat(label.length)}active side ${app.active ? side(app.active) : 'not known yet (no dns.failover of the main record received)'}`,
    `${' '.repeat(label.length)}last reconcile${applied?.mode ? ` (${applied.mode} mode)` : ''} ${applied ? `${applied.outcome} at ${applied.at}${applied.reason ? `: ${applied.reason}` : ''}` : 'none yet'}`,
    ...(forwarding
      ? [
          `${' '.repeat(label.length)}forwarding ${forwarding.zones.join(', ')} → ${forwarding.ips.join(', ')} (${forwarding.region}) since ${forwarding.at}`,
        ]
      : []),
    ...functionAppRulesetLines(applied?.ruleset ?? null).map(
      (line) => `${' '.repeat(label.length)}${line}`,
    ),
    ...functionAppTunnelLines(app.tunnels).map((line) => `${' '.repeat(label.length)}${line}`),
  ];
}

/** The private-resolver mode's DNS forwarding ruleset: linked or not, and each zone's rule. */
export function functionAppRulesetLines(
  ruleset: NonNullable<FunctionAppStatus['applied']>['ruleset'],
): string[] {
  if (!ruleset) return [];
  return [
    `ruleset ${ruleset.id} ${ruleset.linkedToClusterVnet ? "linked to the cluster's VNet" : "NOT linked to the cluster's VNet: AKS does not use its rules"}`,
    ...ruleset.rules.map(
      (rule) =>
        `  ${rule.zone}: ${rule.name ? `rule ${rule.name} ` : ''}${rule.outcome}${rule.detail ? ` (${rule.detail})` : ''}`,
    ),
    ...ruleset.orphans.map(
      (orphan) => `  ${orphan.domainName}: rule ${orphan.name} no longer forwarded, left as it is`,
    ),
  ];
}

/** The VPN as both clouds see it (the Function app's merge of tunnel.state and its tunnelHealth). */
export function functionAppTunnelLines(tunnels: FunctionAppStatus['tunnels']): string[] {
  if (!tunnels) return [];
  const view = (who: string, h: NonNullable<FunctionAppStatus['tunnels']>['aws']) =>
    `tunnels (${who}) ${h.state === 'down' ? 'DOWN' : h.state}${h.since ? ` since ${h.since}` : ''}: ${h.detail}`;
  return [
    view('AWS', tunnels.aws),
    view('Azure', tunnels.azure),
    ...tunnels.azureConnections.map(
      (c) =>
        `  ${c.connection} ${c.error ? `not read at ${c.observedAt}: ${c.error}` : `${c.connectionStatus ?? 'no status'} at ${c.observedAt}${c.tunnels.map((t) => `; ${t.name} ${t.status}${t.lastConnectedAt ? ` (connected ${t.lastConnectedAt})` : ''}`).join('')}`}`,
    ),
    tunnels.dnsGate
      ? `DNS rewrites HELD: ${tunnels.dnsGate}`
      : 'DNS rewrites not held by the tunnels',
  ];
}

/** How soon a dead endpoint is noticed, and what the faster interval would gain. */
function healthCheckLine(check: StatusReport['dns']['healthCheck'] | undefined): string {
  if (!check) return 'health checks: not reported by this version';
  const now = `health checks every ${check.intervalSeconds} s: an endpoint is unhealthy after ${check.secondsToUnhealthy} s (${check.failureThreshold} failures)`;
  return check.faster
    ? `${now}; dns.healthCheckIntervalSeconds 10 would notice ${check.faster.secondsSooner} s sooner (fast-interval charge per check: npm run cost)`
    : now;
}

/** The designed RTO with each term, and what would shorten it. */
function designedRtoLines(rto: StatusReport['dns']['designedRto'] | undefined): string[] {
  if (!rto) return [];
  const verdict = rto.met ? 'within' : 'over';
  return [
    `designed RTO ${rto.totalSeconds} s (${verdict} the ${rto.targetSeconds} s target): ${rto.terms.map((t) => `${t.stage} ${t.seconds} s`).join(' + ')}`,
    ...rto.terms.map(
      (t) => `  ${t.stage.padEnd(10)}${String(t.seconds).padStart(4)} s  ${t.detail}`,
    ),
    ...rto.levers.map((lever) => `  faster: ${lever}`),
  ];
}

/** Requests waiting for a person, with the command that approves each. */
function approvalLines(approvals: StatusReport['approvals']): string[] {
  if (!approvals) return [];
  if (approvals.length === 0) return ['nothing waits for approval'];
  return approvals.map((a) =>
    a.status === 'pending'
      ? `${a.id}  ${a.action} ${a.target} until ${a.expiresAt}: ${a.reason} (${approveCommand(a.id)})`
      : `${a.id}  ${a.action} ${a.target} approved by ${a.decidedBy ?? 'unknown'}, no result yet (attempt ${a.execution?.attempt ?? 1}, lease until ${a.execution?.leaseUntil ?? '?'}; after it, ${approveCommand(a.id)} resumes or expires it)`,
  );
}

/** Who paused which job, why and until when (`drpilot resume <job>` lifts it). */
function pauseLines(pauses: StatusReport['pauses']): string[] {
  if (!pauses) return [];
  if (pauses.length === 0) return ['nothing paused'];
  return pauses.map((p) => `${p.job.padEnd(8)}by ${p.by} until ${p.until}: ${p.reason}`);
}

function lastActionLines(actions: StatusReport['lastActions']): string[] {
  if (!actions) return [];
  if (actions.length === 0) return ['no audit entries yet'];
  return actions.map((a) => `${a.job.padEnd(8)}${a.at} ${a.outcome}: ${a.what}`);
}

/** `; alarms auto → members (6)`: the mode configured, the one CloudWatch shows, how many alarms. */
function alarmsText(alarms: StatusReport['nodeGroups'][number]['alarms'] | undefined): string {
  if (!alarms) return '';
  const configured = alarms.configured ? `${alarms.configured} → ` : '';
  const state = alarms.state ? `, ${alarms.state}` : '';
  return `; alarms ${configured}${alarms.inEffect} (${alarms.alarmCount}${state})`;
}

export function renderStatus(status: StatusReport): string {
  const health = (side: 'primary' | 'dr') => {
    const c = status.clusters[side];
    const word =
      c.healthy === true ? 'healthy' : c.healthy === false ? 'UNHEALTHY' : 'health unknown';
    return `${side.padEnd(8)}${c.region.padEnd(15)}${word} (${c.alarm}: ${c.alarmState})`;
  };
  const dns = status.dns.target
    ? `${status.dns.record} → ${status.dns.target} (TTL ${status.dns.ttl} s), active side: ${status.dns.activeSide ?? 'neither'}`
    : `${status.dns.record}: no record`;
  const groups = status.nodeGroups.map((g) => {
    if (!g.instances)
      return `${g.id} (${g.kind}, ${g.cluster}): not read for this kind yet${alarmsText(g.alarms)}`;
    const counts = new Map<string, number>();
    for (const i of g.instances) counts.set(i.type, (counts.get(i.type) ?? 0) + 1);
    const summary = [...counts].map(([type, n]) => `${n} × ${type}`).join(', ') || 'no instances';
    return `${g.id} (${g.kind}, ${g.cluster}): ${summary}${alarmsText(g.alarms)}`;
  });
  const backups =
    status.backups.latest === null
      ? `${status.backups.side}: no restorable backup measured yet (re-sync has not run into it)`
      : `${status.backups.side}: latest ${status.backups.latest}, RPO ${formatDuration(status.backups.rpoSeconds)}`;
  const verified = status.backups.verified
    ? `verified RPO ${formatDuration(status.backups.verified.rpoSeconds)}: ${status.backups.verified.backup} restored by a drill at ${status.backups.verified.verifiedAt}`
    : 'verified RPO: no backup restored by a drill yet (drpilot verify-restore)';
  const tunnels = (status.tunnels ?? []).flatMap((c) =>
    c.tunnels.map((t) => {
      const state = t.up === null ? 'not recorded yet' : t.up ? 'up' : 'DOWN';
      return `${c.vpnConnectionId} ${t.outsideIp.padEnd(16)}${state}${t.since ? ` since ${t.since}` : ''}`;
    }),
  );
  const aks = status.aks
    ? [
        ...Object.entries(status.aks.types).map(([type, t]) => {
          const last =
            t.lastDeliveredSeq === null
              ? 'nothing delivered yet'
              : `#${t.lastDeliveredSeq} at ${t.lastDeliveredAt} (${t.lastAnswer?.status ?? '?'}, ${t.lastAnswer?.latencyMs ?? '?'} ms)`;
          return `${type.padEnd(14)}${last}${t.pending ? `, ${t.pending} pending` : ''}`;
        }),
        ...(status.aks.lastError
          ? [
              `last error: ${status.aks.lastError.type} #${status.aks.lastError.seq} ${status.aks.lastError.status ?? 'no answer'} at ${status.aks.lastError.at}`,
            ]
          : []),
        ...renderFunctionApp(status.aks.functionApp),
      ]
    : [];
  const block = (label: string, lines: string[]) =>
    lines.map((line, i) => `${(i === 0 ? label : '').padEnd(10)}${line}`);
  return [
    ...block('DNS', [
      dns,
      healthCheckLine(status.dns.healthCheck),
      ...designedRtoLines(status.dns.designedRto),
    ]),
    ...block('Clusters', [health('primary'), health('dr')]),
    ...block('Backups', [backups, verified]),
    ...block('Nodes', groups.length ? groups : ['no node groups configured']),
    ...block('Tunnels', tunnels.length ? tunnels : ['no VPN connections configured']),
    ...block('AKS', status.aks ? aks : ['no AKS side configured']),
    ...block('Paused', pauseLines(status.pauses)),
    ...block('Approvals', approvalLines(status.approvals)),
    ...block('Last', lastActionLines(status.lastActions)),
    ...block('Warnings', status.warnings),
  ].join('\n');
}

export function registerStatus(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description('show the main record and active side, cluster health, backups and node types')
    .action(async (_options, command: Command) => {
      const { io, options, output } = context.for(command);
      const config = configOrReport(options, io, output);
      if (!config) return context.exit(ExitCode.usage);
      const status =
        options.via === 'lambda'
          ? ((await (
              await import('../via-lambda')
            ).invokeDeployed(config, 'status', { action: 'status' })) as StatusReport)
          : await (await import('../../lambdas/status/read-status')).readStatus(config);
      output.result(status, () => renderStatus(status));
      context.exit(ExitCode.done);
    });
}
