import type { DrpilotConfig } from '../config/schema';

/** Names shared by the AKS sender, the tunnel watch, the CDK app and the CLI. */

/** The per-tunnel alarms of every connection start with this. */
export function tunnelAlarmPrefix(config: Pick<DrpilotConfig, 'name'>): string {
  return `${config.name}-drpilot-tunnel.`;
}

/** `<name>-drpilot-tunnel.<vpn id>.<outside ip>`: alarms on one tunnel's TunnelState. */
export function tunnelAlarmName(
  config: Pick<DrpilotConfig, 'name'>,
  vpnConnectionId: string,
  outsideIp: string,
): string {
  return `${tunnelAlarmPrefix(config)}${vpnConnectionId}.${outsideIp}`;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The connection and tunnel a per-tunnel alarm name stands for; null for any other name. */
export function parseTunnelAlarmName(
  config: Pick<DrpilotConfig, 'name'>,
  alarmName: string,
): { vpnConnectionId: string; outsideIp: string } | null {
  const prefix = tunnelAlarmPrefix(config);
  if (!alarmName.startsWith(prefix)) return null;
  const match = /^(vpn-[0-9a-f]{8,17})\.(.+)$/.exec(alarmName.slice(prefix.length));
  if (!match?.[1] || !match[2] || !IPV4.test(match[2])) return null;
  return { vpnConnectionId: match[1], outsideIp: match[2] };
}

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** The state-table records of the AKS side's sender and the tunnel watch (`value#…` names). */
export const aksKeys = {
  /** Each connection's tunnels as last recorded (TunnelRecord). */
  tunnels: (vpnConnectionId: string) => `aks-tunnels#${vpnConnectionId}`,
  /** The last resolver.ips put in the outbox for an endpoint (ResolverIpsSent). */
  resolverSent: (resolverEndpointId: string) => `aks-resolver-sent#${resolverEndpointId}`,
  /** Why the last resolver check sent nothing (no ATTACHED address), or null once it did. */
  resolverRefusal: 'aks-resolver-refusal',
};

/**
 * The metric the AKS function publishes every minute, one per problem (dimension `Problem`), 1
 * while the problem stands and 0 otherwise; an alarm watches each.
 */
export const AKS_PROBLEM_METRIC = 'AksDeliveryProblem';
export const AKS_PROBLEMS = ['unauthorized', 'no-attached-resolver-ips'] as const;
export type AksProblem = (typeof AKS_PROBLEMS)[number];

/** What the AKS function's schedules send, and what a person may ask of it. */
export const AKS_ACTIONS = {
  /** Every minute: retry due pending events, publish the problem metrics. */
  flush: 'flush',
  /** Every 15 minutes: the active side's resolver addresses. */
  resolverIps: 'resolver-ips',
  /** A signed ping (`drpilot notify --test --via lambda`). */
  ping: 'ping',
} as const;

/** What the tunnel function's schedule sends: read every tunnel alarm of the region again. */
export const TUNNELS_ACTION = 'tunnels';
