import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { snsClient } from '../adapters/aws/sdk-clients/sns';
import { readAlarmStates } from '../adapters/aws/alarm-states';
import { notify } from '../adapters/aws/notify';
import { StateStore } from '../adapters/aws/state-store';
import { aksKeys, parseTunnelAlarmName, tunnelAlarmName } from '../core/aks/names';
import {
  mergeTunnelStates,
  tunnelStateData,
  tunnelSubject,
  type ConnectionTunnels,
  type TunnelRecord,
  type TunnelSeverity,
} from '../core/aks/tunnels';
import type { DrpilotConfig } from '../core/config/schema';
import { TriggerEventError, type AlarmTrigger } from '../core/events/trigger-event';
import { assertFromDeployment, judgeTrigger, type Deployment } from '../core/events/trigger-trust';
import { AksSender } from './outbox-sender';

export interface ConnectionReport {
  vpnConnectionId: string;
  outcome: 'recorded' | 'unchanged' | 'refused';
  severity: TunnelSeverity | null;
  tunnels: { outsideIp: string; up: boolean; since: string }[];
  detail: string;
  /** The tunnel.state event, when one was sent. */
  seq: number | null;
  warnings: string[];
}

export interface TunnelWatchOptions {
  deployment: Deployment;
  /** The topic warnings and pages go to (this region's alarm topic). */
  topic: string;
  now: () => Date;
}

/** The configured connections whose tunnel alarms live in this region. */
export function connectionsIn(config: DrpilotConfig, region: string): ConnectionTunnels[] {
  return (config.tunnels?.vpnConnections ?? []).filter((c) => c.region === region);
}

/**
 * One tunnel alarm's state change, checked before anything is written or sent: from this
 * deployment (region, account), one of this region's tunnel alarms, fresh, and — read again with
 * DescribeAlarms — still in the state it claims. A refusal is audited, nothing else.
 */
export async function onTunnelAlarm(
  config: DrpilotConfig,
  trigger: AlarmTrigger,
  options: TunnelWatchOptions,
): Promise<ConnectionReport> {
  assertFromDeployment(trigger, options.deployment);
  const named = parseTunnelAlarmName(config, trigger.alarmName);
  const connection = connectionsIn(config, options.deployment.region).find(
    (c) => c.id === named?.vpnConnectionId && c.outsideIps.includes(named.outsideIp),
  );
  if (!named || !connection) {
    throw new TriggerEventError(
      `alarm ${trigger.alarmName} is not a tunnel alarm of a VPN connection configured in ${options.deployment.region}`,
      trigger.source,
      [{ path: 'alarmName', message: 'does not name a configured VPN tunnel' }],
    );
  }
  const states = await readTunnelAlarms(config, connection);
  const check = judgeTrigger(
    {
      kind: 'alarm',
      alarmName: trigger.alarmName,
      state: trigger.state,
      changedAt: trigger.timestamp,
    },
    {
      alarmName: `tunnel alarm ${trigger.alarmName}`,
      currentState: states.get(trigger.alarmName) ?? 'MISSING',
      expectedState: trigger.state,
      now: options.now(),
      maxEventAgeSeconds: config.triggers.maxEventAgeSeconds,
    },
  );
  if (!check.ok) {
    await store(config).appendAudit('tunnels', {
      trigger: `alarm ${trigger.alarmName} → ${trigger.state}`,
      origin: 'alarm',
      vpnConnectionId: connection.id,
      outcome: 'refused',
      reason: check.detail,
    });
    return {
      vpnConnectionId: connection.id,
      outcome: 'refused',
      severity: null,
      tunnels: [],
      detail: `trigger: ${check.detail}`,
      seq: null,
      warnings: [],
    };
  }
  return record(config, connection, states, options, `alarm ${trigger.alarmName}`);
}

/** The schedule (and a person): every connection of this region, from its alarms now. */
export async function observeAllTunnels(
  config: DrpilotConfig,
  options: TunnelWatchOptions,
): Promise<ConnectionReport[]> {
  const reports: ConnectionReport[] = [];
  for (const connection of connectionsIn(config, options.deployment.region)) {
    const states = await readTunnelAlarms(config, connection);
    reports.push(await record(config, connection, states, options, 'schedule'));
  }
  return reports;
}

function store(config: DrpilotConfig): StateStore {
  return new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
}

async function readTunnelAlarms(config: DrpilotConfig, connection: ConnectionTunnels) {
  return readAlarmStates(
    cloudWatchClient(connection.region),
    connection.outsideIps.map((ip) => tunnelAlarmName(config, connection.id, ip)),
  );
}

/** Merges what the alarms say into the connection's record; a change is notified and sent. */
async function record(
  config: DrpilotConfig,
  connection: ConnectionTunnels,
  states: Map<string, 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'>,
  options: TunnelWatchOptions,
  trigger: string,
): Promise<ConnectionReport> {
  const state = store(config);
  const previous = await state.readValue<TunnelRecord>(aksKeys.tunnels(connection.id));
  const merged = mergeTunnelStates(
    previous,
    connection,
    states,
    (ip) => tunnelAlarmName(config, connection.id, ip),
    options.now(),
  );
  const base = {
    vpnConnectionId: connection.id,
    severity: merged.record.severity,
    tunnels: merged.record.tunnels.map(({ outsideIp, up, since }) => ({ outsideIp, up, since })),
  };
  if (!merged.changed) {
    return { ...base, outcome: 'unchanged', detail: 'no tunnel changed', seq: null, warnings: [] };
  }
  await state.writeValue(aksKeys.tunnels(connection.id), merged.record);
  const warnings: string[] = [];
  const subject = tunnelSubject(config.name, merged.record);
  const notified = await notify(snsClient(connection.region), options.topic, subject, {
    trigger,
    ...merged.record,
  });
  if (notified) warnings.push(notified);
  let seq: number | null = null;
  if (config.azure) {
    try {
      const sent = await new AksSender(config, { now: options.now }).send(
        'tunnel.state',
        tunnelStateData(merged.record),
      );
      seq = sent.event.seq;
      if (sent.pending) warnings.push(`tunnel.state #${seq} is pending in the outbox`);
    } catch (error) {
      warnings.push(
        `tunnel.state not stored: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return { ...base, outcome: 'recorded', detail: subject, seq, warnings };
}
