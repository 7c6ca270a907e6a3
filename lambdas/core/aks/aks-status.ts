import type { DrpilotConfig, Side } from '../config/schema';
import {
  summarizeFunctionApp,
  type FunctionAppObservation,
  type FunctionAppStatus,
} from './function-app-state';
import { AKS_EVENT_TYPES, type AksEventType } from './events';
import type { AuthHold, PendingEvent, WebhookAnswer } from './outbox';
import type { TunnelRecord, TunnelSeverity } from './tunnels';

/** What `drpilot status` shows of the AKS side: `aks` (the outbox) and `tunnels`. */

export interface DeliveredRecord {
  type: string;
  seq: number;
  id: string;
  answer: WebhookAnswer;
}

export interface OutboxError {
  at: string;
  type: string;
  seq: number;
  status: number | null;
  detail: string;
}

export interface OutboxObservations {
  lastDelivered: readonly DeliveredRecord[];
  pending: readonly PendingEvent[];
  lastError: OutboxError | null;
  hold: AuthHold | null;
  resolverRefusal: { at: string; reason: string } | null;
}

export interface AksTypeStatus {
  lastDeliveredSeq: number | null;
  lastDeliveredAt: string | null;
  lastAnswer: { status: number | null; latencyMs: number } | null;
  pending: number;
}

export interface AksStatus {
  webhookUrl: string;
  types: Record<AksEventType, AksTypeStatus>;
  pending: number;
  lastError: OutboxError | null;
  /** Set while the AKS side answers 401: nothing is retried blindly. */
  unauthorized: { since: string; failures: number; nextProbeAt: string; detail: string } | null;
  /** Why the last resolver check sent nothing (no ATTACHED address). */
  resolverRefusal: { at: string; reason: string } | null;
  /** The Function app's own state (signed `GET …/api/state`), or why it could not be read. */
  functionApp: FunctionAppStatus | null;
}

export function summarizeAks(
  config: DrpilotConfig,
  seen: OutboxObservations,
  warnings: string[],
  functionApp: { seen: FunctionAppObservation | null; activeSide: Side | null } = {
    seen: null,
    activeSide: null,
  },
): AksStatus | null {
  if (!config.azure) return null;
  const types = Object.fromEntries(
    AKS_EVENT_TYPES.map((type) => {
      const last = seen.lastDelivered.find((d) => d.type === type);
      const status: AksTypeStatus = {
        lastDeliveredSeq: last?.seq ?? null,
        lastDeliveredAt: last?.answer.at ?? null,
        lastAnswer: last ? { status: last.answer.status, latencyMs: last.answer.latencyMs } : null,
        pending: seen.pending.filter((p) => p.type === type).length,
      };
      return [type, status];
    }),
  ) as Record<AksEventType, AksTypeStatus>;
  const unauthorized = seen.hold
    ? {
        since: seen.hold.since,
        failures: seen.hold.failures,
        nextProbeAt: new Date(seen.hold.nextProbeAtMs).toISOString(),
        detail: seen.hold.detail,
      }
    : null;
  if (unauthorized) {
    warnings.push(
      `the AKS side answers 401 since ${unauthorized.since}: the secrets differ (Secrets Manager ${config.azure.secretName} vs the Function app's Key Vault); events are held, next probe ${unauthorized.nextProbeAt}`,
    );
  }
  if (seen.resolverRefusal) warnings.push(`resolver.ips not sent: ${seen.resolverRefusal.reason}`);
  return {
    webhookUrl: config.azure.webhookUrl,
    types,
    pending: seen.pending.length,
    lastError: seen.lastError,
    unauthorized,
    resolverRefusal: seen.resolverRefusal,
    functionApp: functionApp.seen
      ? summarizeFunctionApp(
          functionApp.seen,
          {
            recordName: config.dns.recordName,
            activeSide: functionApp.activeSide,
            secretName: config.azure.secretName,
          },
          warnings,
        )
      : null,
  };
}

export interface TunnelConnectionStatus {
  vpnConnectionId: string;
  region: string;
  /** null until the tunnel function first recorded the connection. */
  severity: TunnelSeverity | null;
  since: string | null;
  tunnels: { outsideIp: string; up: boolean | null; since: string | null; alarmState: string }[];
}

export function summarizeTunnels(
  config: DrpilotConfig,
  records: ReadonlyMap<string, TunnelRecord | null>,
  warnings: string[],
): TunnelConnectionStatus[] | null {
  if (!config.tunnels) return null;
  return config.tunnels.vpnConnections.map((connection) => {
    const record = records.get(connection.id) ?? null;
    if (record?.severity === 'page') {
      warnings.push(`VPN ${connection.id}: every tunnel is down since ${record.severitySince}`);
    } else if (record?.severity === 'warning') {
      const down = record.tunnels.filter((t) => !t.up).map((t) => t.outsideIp);
      warnings.push(`VPN ${connection.id}: tunnel ${down.join(', ')} down`);
    }
    return {
      vpnConnectionId: connection.id,
      region: connection.region,
      severity: record?.severity ?? null,
      since: record?.severitySince ?? null,
      tunnels: connection.outsideIps.map((outsideIp) => {
        const entry = record?.tunnels.find((t) => t.outsideIp === outsideIp);
        return {
          outsideIp,
          up: entry ? entry.up : null,
          since: entry?.since ?? null,
          alarmState: entry?.alarmState ?? 'not recorded yet',
        };
      }),
    };
  });
}
