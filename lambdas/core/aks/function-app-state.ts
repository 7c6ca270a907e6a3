import en from 'zod/v4/locales/en.js';
import * as z from 'zod/mini';
import type { Side } from '../config/sides';
import { sameDnsName } from '../dns/dns-names';

/**
 * What `drpilot status` shows of the AKS Function app itself: its answer to the signed
 * `GET …/api/state` ("AWS → Azure events" in DESIGN.md) — the desired state the events built and
 * what its last reconcile did — or why it could not be read. Decided here, from what the adapter
 * observed; nothing here throws on a bad answer.
 */

/** The Function app's answer as the adapter saw it. */
export interface FunctionAppAnswer {
  /** HTTP status; null when there was no answer (refused, reset, timed out). */
  status: number | null;
  latencyMs: number;
  /** The body cut short, or what went wrong. */
  detail: string;
  /** The whole body; null when it was larger than the client reads. */
  body: string | null;
}

export type FunctionAppObservation =
  /** Not asked: no URL to ask, or no secret to sign with. */
  | { kind: 'not-asked'; url: string | null; reason: string }
  | ({ kind: 'answered'; url: string } & FunctionAppAnswer);

const SIDE = z.enum(['primary', 'dr']);

const ACTIVE = z.object({
  side: SIDE,
  region: z.string(),
  recordName: z.string(),
  target: z.string(),
  changeId: z.string(),
  time: z.string(),
});

const FORWARDING = z.object({
  zones: z.array(z.string()),
  ips: z.array(z.string()),
  region: z.string(),
  resolverEndpointId: z.string(),
});

/** Each cloud's view of the VPN (azure-functions/src/core/tunnel-health.ts `SideHealth`). */
const SIDE_HEALTH = z.object({
  state: z.enum(['up', 'degraded', 'down', 'unknown']),
  since: z.nullable(z.string()),
  up: z.number(),
  down: z.number(),
  unknown: z.number(),
  detail: z.string(),
});

const AZURE_CONNECTION = z.object({
  connectionStatus: z.nullable(z.string()),
  tunnels: z.array(
    z.object({ name: z.string(), status: z.string(), lastConnectedAt: z.nullable(z.string()) }),
  ),
  observedAt: z.string(),
  error: z.nullable(z.string()),
});

/** The private-resolver mode's ruleset (azure-functions/src/core/applied-state.ts `AppliedRuleset`). */
const RULESET = z.object({
  id: z.string(),
  linkedToClusterVnet: z.boolean(),
  rules: z.array(
    z.object({
      zone: z.string(),
      name: z.nullable(z.string()),
      outcome: z.string(),
      detail: z.nullable(z.string()),
    }),
  ),
  orphans: z.array(z.object({ name: z.string(), domainName: z.string() })),
});

/** zod/mini loads no locale: English, as full zod says it, for the messages quoted in warnings. */
const englishMessages = en().localeError;

/** The answer's shape (azure-functions/src/core/desired-state.ts and applied-state.ts). */
const STATE_ANSWER = z.object({
  desired: z.object({
    active: z.nullable(ACTIVE),
    resolvers: z.record(
      z.string(),
      z.object({
        resolverEndpointId: z.string(),
        ips: z.array(z.string()),
        zones: z.array(z.string()),
        time: z.string(),
      }),
    ),
    vpnConnections: z.record(
      z.string(),
      z.object({
        tunnels: z.array(z.object({ outsideIp: z.string(), up: z.boolean() })),
        time: z.string(),
      }),
    ),
    lastDrill: z.nullable(ACTIVE),
    // Absent from a Function app older than its tunnelHealth timer.
    azureConnections: z.optional(z.record(z.string(), AZURE_CONNECTION)),
    tunnelHealth: z.optional(
      z.nullable(
        z.object({ aws: SIDE_HEALTH, azure: SIDE_HEALTH, dnsGate: z.nullable(z.string()) }),
      ),
    ),
  }),
  applied: z.nullable(
    z.object({
      at: z.string(),
      outcome: z.enum([
        'applied',
        'unchanged',
        'skipped',
        'refused',
        'rolled-back',
        'not-connected',
      ]),
      reason: z.nullable(z.string()),
      forwarding: z.nullable(FORWARDING),
      lastApplied: z.nullable(z.object({ at: z.string(), forwarding: FORWARDING })),
      zones: z.optional(z.nullable(z.array(z.object({ zone: z.string(), status: z.string() })))),
      // Absent from a Function app older than its private-resolver mode.
      mode: z.optional(z.enum(['coredns', 'private-resolver'])),
      ruleset: z.optional(z.nullable(RULESET)),
    }),
  ),
});

type Active = z.infer<typeof ACTIVE>;
type Forwarding = z.infer<typeof FORWARDING>;
type SideHealth = z.infer<typeof SIDE_HEALTH>;

/** The tunnels as both clouds see them, as the Function app last merged them. */
export interface FunctionAppTunnels {
  /** AWS's view (the tunnel.state events it received). */
  aws: SideHealth;
  /** Azure's view (its virtual network gateway connections, read every minute). */
  azure: SideHealth;
  /** Why DNS rewrites are held; null when they are not. */
  dnsGate: string | null;
  azureConnections: ({ connection: string } & z.infer<typeof AZURE_CONNECTION>)[];
}

export interface FunctionAppStatus {
  /** The URL asked (`…/api/state`), or null when none could be derived from azure.webhookUrl. */
  url: string | null;
  /** Answered 200 with its state. */
  ok: boolean;
  status: number | null;
  /** null when no request was made. */
  latencyMs: number | null;
  /** Why the state could not be read; null when ok. */
  reason: string | null;
  /** The active side as the AKS side knows it (moved only by a dns.failover of its main record). */
  active: Active | null;
  /** The newest dns.failover of another record (a drill). */
  lastDrill: Active | null;
  resolvers: {
    region: string;
    resolverEndpointId: string;
    ips: string[];
    zones: string[];
    time: string;
  }[];
  vpnConnections: {
    vpnConnectionId: string;
    tunnels: { outsideIp: string; up: boolean }[];
    time: string;
  }[];
  /** null when not read, or from a Function app that does not report it yet. */
  tunnels: FunctionAppTunnels | null;
  /** What its last reconcile did; null before the first one. */
  applied: {
    at: string;
    outcome: string;
    reason: string | null;
    forwarding: Forwarding | null;
    /** The forwarding the cluster last took and kept. */
    lastApplied: (Forwarding & { at: string }) | null;
    zones: { zone: string; status: string }[] | null;
    /** `coredns` (coredns-custom) or `private-resolver` (a DNS forwarding ruleset); null when not said. */
    mode: 'coredns' | 'private-resolver' | null;
    /** private-resolver: the ruleset's rules for the zones and whether the cluster's VNet is linked. */
    ruleset: z.infer<typeof RULESET> | null;
  } | null;
}

/**
 * `…/api/state` beside `…/api/events`: the events URL with its last path segment `events`
 * replaced (a query string, e.g. a function key, is kept).
 */
export function stateUrlOf(
  webhookUrl: string,
): { ok: true; url: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(webhookUrl);
  } catch {
    return { ok: false, reason: `azure.webhookUrl is not a URL: ${webhookUrl}` };
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/events')) {
    return {
      ok: false,
      reason: `azure.webhookUrl ${webhookUrl} does not end in /events: no …/state beside it to ask`,
    };
  }
  url.pathname = `${path.slice(0, -'events'.length)}state`;
  return { ok: true, url: url.toString() };
}

function unread(
  url: string | null,
  status: number | null,
  latencyMs: number | null,
  reason: string,
): FunctionAppStatus {
  return {
    url,
    ok: false,
    status,
    latencyMs,
    reason,
    active: null,
    lastDrill: null,
    resolvers: [],
    vpnConnections: [],
    tunnels: null,
    applied: null,
  };
}

/** The `reason` a 401 answer names (the Function app says which check failed). */
function reasonIn(detail: string): string | null {
  try {
    const reason = (JSON.parse(detail) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : null;
  } catch {
    return null;
  }
}

/**
 * The AKS Function app's state for `status.aks.functionApp`, with a warning for each problem: it
 * could not be read (and why), its last reconcile did not leave the forwarding in place (a "not
 * known yet" before any failover of the main record is no problem), a zone is not forwarded by
 * coredns-custom, it follows another record than the main one, or another side than the main
 * record's.
 */
export function summarizeFunctionApp(
  seen: FunctionAppObservation,
  context: { recordName: string; activeSide: Side | null; secretName: string },
  warnings: string[],
): FunctionAppStatus {
  if (seen.kind === 'not-asked') {
    warnings.push(`the AKS Function app's state was not read: ${seen.reason}`);
    return unread(seen.url, null, null, seen.reason);
  }
  const { url, status, latencyMs } = seen;
  if (status === null) {
    const reason = `no answer from GET ${url}: ${seen.detail}`;
    warnings.push(`the AKS Function app's state was not read: ${reason}`);
    return unread(url, null, latencyMs, reason);
  }
  if (status === 401) {
    const why = reasonIn(seen.detail);
    const reason = `401 from GET ${url}${why ? ` (${why})` : ''}: the secrets differ (Secrets Manager ${context.secretName} vs the Function app's DRPILOT_WEBHOOK_SECRET) or the clocks are more than 300 s apart`;
    warnings.push(`the AKS Function app's state was not read: ${reason}`);
    return unread(url, status, latencyMs, reason);
  }
  if (status !== 200) {
    const reason = `${status} from GET ${url}: ${seen.detail}`;
    warnings.push(`the AKS Function app's state was not read: ${reason}`);
    return unread(url, status, latencyMs, reason);
  }
  let parsed: z.infer<typeof STATE_ANSWER>;
  try {
    const result = STATE_ANSWER.safeParse(JSON.parse(seen.body ?? ''), { error: englishMessages });
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new Error(`${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'unexpected'}`);
    }
    parsed = result.data;
  } catch (error) {
    const reason =
      seen.body === null
        ? `the answer to GET ${url} is larger than the client reads`
        : `the answer to GET ${url} is not the Function app's state: ${(error as Error).message}`;
    warnings.push(`the AKS Function app's state was not read: ${reason}`);
    return unread(url, status, latencyMs, reason);
  }

  const { desired, applied } = parsed;
  if (applied && applied.outcome !== 'applied' && applied.outcome !== 'unchanged') {
    const notYet = applied.outcome === 'skipped' && desired.active === null;
    if (!notYet) {
      warnings.push(
        `the AKS Function app's last reconcile (${applied.at}) ${applied.outcome}${applied.reason ? `: ${applied.reason}` : ''}`,
      );
    }
  } else if (applied?.reason) {
    warnings.push(`the AKS Function app: ${applied.reason}`);
  }
  const active = desired.active;
  if (active && !sameDnsName(active.recordName, context.recordName)) {
    warnings.push(
      `the AKS Function app's active side follows ${active.recordName}, not ${context.recordName}: its DRPILOT_MAIN_RECORD setting is not dns.recordName`,
    );
  } else if (active && context.activeSide && active.side !== context.activeSide) {
    warnings.push(
      `the AKS Function app's active side is ${active.side} (dns.failover of ${active.recordName} at ${active.time}) while ${context.recordName} points at ${context.activeSide}`,
    );
  }
  const health = desired.tunnelHealth;
  const tunnels: FunctionAppTunnels | null = health
    ? {
        ...health,
        azureConnections: Object.entries(desired.azureConnections ?? {})
          .map(([connection, view]) => ({ connection, ...view }))
          .sort((a, b) => a.connection.localeCompare(b.connection)),
      }
    : null;
  for (const view of tunnels?.azureConnections ?? []) {
    if (view.error) {
      warnings.push(
        `the AKS Function app could not read VPN connection ${view.connection} at ${view.observedAt}: ${view.error}`,
      );
    }
  }
  if (health?.dnsGate && health.dnsGate !== applied?.reason) {
    warnings.push(`the AKS Function app holds DNS rewrites: ${health.dnsGate}`);
  }
  return {
    url,
    ok: true,
    status,
    latencyMs,
    reason: null,
    active,
    lastDrill: desired.lastDrill,
    resolvers: Object.entries(desired.resolvers)
      .map(([region, set]) => ({ region, ...set }))
      .sort((a, b) => a.region.localeCompare(b.region)),
    vpnConnections: Object.entries(desired.vpnConnections)
      .map(([vpnConnectionId, vpn]) => ({ vpnConnectionId, ...vpn }))
      .sort((a, b) => a.vpnConnectionId.localeCompare(b.vpnConnectionId)),
    tunnels,
    applied: applied
      ? {
          at: applied.at,
          outcome: applied.outcome,
          reason: applied.reason,
          forwarding: applied.forwarding,
          lastApplied: applied.lastApplied
            ? { at: applied.lastApplied.at, ...applied.lastApplied.forwarding }
            : null,
          zones:
            applied.zones?.map(({ zone, status: routed }) => ({ zone, status: routed })) ?? null,
          mode: applied.mode ?? null,
          ruleset: applied.ruleset ?? null,
        }
      : null,
  };
}
