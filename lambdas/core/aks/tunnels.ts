import type { AlarmState } from '../events/trigger-event';
import type { TunnelStateData } from './events';

/**
 * Each VPN connection's tunnels as the per-tunnel TunnelState alarms say: OK is up, ALARM is down
 * (missing data breaches, so a tunnel that reports nothing is down), INSUFFICIENT_DATA (only right
 * after an alarm is made) and a missing alarm are unknown, which counts as not up. One tunnel down
 * is a warning; every tunnel down pages.
 */

export type TunnelSeverity = 'ok' | 'warning' | 'page';

export interface TunnelEntry {
  outsideIp: string;
  alarmState: AlarmState | 'MISSING';
  up: boolean;
  /** When this tunnel entered its current up/down state, as far as drpilot saw. */
  since: string;
}

export interface TunnelRecord {
  vpnConnectionId: string;
  region: string;
  tunnels: TunnelEntry[];
  severity: TunnelSeverity;
  /** When the connection entered its current severity. */
  severitySince: string;
  updatedAt: string;
}

export interface ConnectionTunnels {
  id: string;
  region: string;
  outsideIps: readonly string[];
}

export function severityOf(tunnels: readonly { up: boolean }[]): TunnelSeverity {
  const down = tunnels.filter((t) => !t.up).length;
  if (down === 0) return 'ok';
  return down === tunnels.length ? 'page' : 'warning';
}

export interface TunnelMerge {
  record: TunnelRecord;
  /** Some tunnel went up or down (or this is the first record): tell the AKS side. */
  changed: boolean;
  severityChanged: boolean;
}

/** The connection's record after observing its alarms now. */
export function mergeTunnelStates(
  previous: TunnelRecord | null,
  connection: ConnectionTunnels,
  observed: ReadonlyMap<string, AlarmState | 'MISSING'>,
  alarmNameOf: (outsideIp: string) => string,
  now: Date,
): TunnelMerge {
  const at = now.toISOString();
  let changed = previous === null;
  const tunnels = connection.outsideIps.map((outsideIp): TunnelEntry => {
    const alarmState = observed.get(alarmNameOf(outsideIp)) ?? 'MISSING';
    const up = alarmState === 'OK';
    const before = previous?.tunnels.find((t) => t.outsideIp === outsideIp);
    if (!before || before.up !== up) changed = true;
    return { outsideIp, alarmState, up, since: before && before.up === up ? before.since : at };
  });
  const severity = severityOf(tunnels);
  const severityChanged = previous?.severity !== severity;
  return {
    record: {
      vpnConnectionId: connection.id,
      region: connection.region,
      tunnels,
      severity,
      severitySince: severityChanged ? at : (previous?.severitySince ?? at),
      updatedAt: at,
    },
    changed,
    severityChanged,
  };
}

export function tunnelStateData(record: TunnelRecord): TunnelStateData {
  return {
    vpnConnectionId: record.vpnConnectionId,
    tunnels: record.tunnels.map(({ outsideIp, up }) => ({ outsideIp, up })),
  };
}

/** The notification's subject: one down warns, both down pages. */
export function tunnelSubject(name: string, record: TunnelRecord): string {
  const down = record.tunnels.filter((t) => !t.up).map((t) => t.outsideIp);
  switch (record.severity) {
    case 'ok':
      return `drpilot ${name}: ${record.vpnConnectionId} tunnels up`;
    case 'warning':
      return `drpilot ${name} WARNING: ${record.vpnConnectionId} tunnel ${down.join(', ')} down`;
    case 'page':
      return `drpilot ${name} PAGE: ${record.vpnConnectionId} every tunnel down`;
  }
}
