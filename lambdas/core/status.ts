import type { DrpilotConfig, Side } from './config/schema';
import { SIDES } from './config/sides';
import { sameDnsName } from './dns/dns-names';
import type { AlarmState } from './events/trigger-event';
import type { RecoveryPoint } from './resync/rpo';
import {
  measureVerifiedRpo,
  type VerifiedRecoveryPoint,
  type VerifiedRestores,
} from './restore/verified-rpo';
import {
  summarizeAks,
  summarizeTunnels,
  type AksStatus,
  type OutboxObservations,
  type TunnelConnectionStatus,
} from './aks/aks-status';
import type { TunnelRecord } from './aks/tunnels';
import { designedRto, type DesignedRto } from './dns/designed-rto';
import { healthCheckTiming, type HealthCheckTiming } from './dns/health-check-timing';
import type { BucketVersioning, VersioningState } from './resync/deletion-gate';
import type { FunctionAppObservation } from './aks/function-app-state';
import type { HistoryEntry } from './history/audit-history';
import type { Pause } from './pause/pause-rules';
import type { ApprovalRequest } from './approval/approval-rules';
import {
  observeGroupAlarms,
  type NodeGroupAlarms,
  type ObservedAlarm,
} from './resize/observed-alarms';

/** A node group's member as status shows it. */
export interface GroupMember {
  id: string;
  type: string;
  state: string;
  /**
   * Left stopped by a rollout that died inside its steps (resize/node-steps.ts leftByRollout),
   * with no rollout holding the group's lease now.
   */
  stoppedByRollout?: true;
  /** Left up but cordoned (or not yet Ready and uncordoned) by such a rollout, likewise. */
  cordonedByRollout?: true;
}

export interface StatusObservations {
  /** The main record's CNAME target and TTL, or null when the record does not exist. */
  mainRecord: { target: string | null; ttl: number | null } | null;
  alarmStates: ReadonlyMap<string, AlarmState>;
  /** Per node group, its members; null where no capability reads that kind yet. */
  nodeGroupMembers: ReadonlyMap<string, GroupMember[] | null>;
  /** The newest restorable backup the last re-sync found on each side, where one ran. */
  recoveryPoints: Readonly<Partial<Record<Side, RecoveryPoint | null>>>;
  /** Per schedule, the newest backup a restore drill verified in the DR cluster (state table). */
  verifiedRestores?: VerifiedRestores | null;
  /** The AKS outbox, when an AKS side is configured and it was read. */
  outbox?: OutboxObservations | null;
  /** The AKS Function app's answer to the signed `GET …/api/state`, when an AKS side is configured. */
  functionApp?: FunctionAppObservation | null;
  /** Each VPN connection's tunnels as last recorded. */
  tunnelRecords?: ReadonlyMap<string, TunnelRecord | null>;
  /**
   * Per cluster region, the alarms under `resizeAlarmPrefix` (DescribeAlarms by prefix), or why
   * they could not be read; a region absent here was not read.
   */
  resizeAlarms?: ReadonlyMap<string, readonly ObservedAlarm[] | { error: string }>;
  /** GetBucketVersioning of each side's Velero bucket, where it was read. */
  bucketVersioning?: Readonly<Partial<Record<Side, BucketVersioning>>> | null;
  now: string;
}

export interface ClusterStatus {
  healthy: boolean | null;
  alarm: string;
  alarmState: AlarmState | 'MISSING';
  endpoint: string;
  region: string;
}

export interface StatusReport {
  dns: {
    record: string;
    target: string | null;
    ttl: number | null;
    activeSide: Side | null;
    /** How fast the Route 53 health checks notice an endpoint going down (and the faster option). */
    healthCheck: HealthCheckTiming;
    /** The recovery time the deployed settings give, term by term. */
    designedRto: DesignedRto;
  };
  clusters: Record<Side, ClusterStatus>;
  backups: {
    latest: string | null;
    rpoSeconds: number | null;
    /** The side the figures are about: the standby side, which a failover would restore from. */
    side: Side;
    completionTimestamp: string | null;
    /**
     * The verified RPO beside the copied one: the newest backup a restore drill actually restored
     * in the DR cluster, aged to now; null before the first verified drill (or without one).
     */
    verified: VerifiedRecoveryPoint | null;
    /** Each side's bucket versioning (re-sync deletes nothing unless both are Enabled); null when not read. */
    versioning: Record<Side, VersioningState> | null;
  };
  nodeGroups: {
    id: string;
    cluster: string;
    kind: string;
    instanceTypes: string[] | null;
    instances: GroupMember[] | null;
    /** Its resize alarms as CloudWatch holds them; null when they were not read. */
    alarms: NodeGroupAlarms | null;
  }[];
  /** Per VPN connection and tunnel: up or down, and since when; null without tunnels configured. */
  tunnels: TunnelConnectionStatus[] | null;
  /** The AWS → AKS events: per type the last delivery, pending, the last error; null without azure. */
  aks: AksStatus | null;
  warnings: string[];
  /** Jobs paused now: who, why, until when (`drpilot pause`). */
  pauses?: Pause[];
  /**
   * Requests waiting for `drpilot approve <id>` (approval mode), then approved ones without a
   * result yet (being carried out, or interrupted).
   */
  approvals?: ApprovalRequest[];
  /** Each job's newest audit entry (`drpilot history` has the rest). */
  lastActions?: HistoryEntry[];
}

/** Which side a CNAME target points at, or null for anything else. */
export function activeSideOf(
  target: string | null,
  clusters: DrpilotConfig['clusters'],
): Side | null {
  if (!target) return null;
  return SIDES.find((side) => sameDnsName(clusters[side].endpoint, target)) ?? null;
}

/** What a member a dead rollout left stopped or cordoned needs, for status's warnings; else null. */
function leftBehindWarning(groupId: string, member: GroupMember): string | null {
  const left = member.stoppedByRollout
    ? {
        how: ', left so by a rollout that died',
        next: 'starts it first',
        paused: 'stays down',
      }
    : member.cordonedByRollout
      ? {
          how: ' but was left cordoned by a rollout that died (its drpilot:cordoned-by-rollout or drpilot:stopped-by-rollout mark)',
          next: 'uncordons it first',
          paused: 'stays cordoned',
        }
      : null;
  if (!left) return null;
  return `node group ${groupId}: ${member.id} is ${member.state}${left.how}; the group's next rollout ${left.next} (an alarm, or drpilot resize ${groupId}); while resize is paused it ${left.paused} (docs/runbooks.md, "A stranded node page")`;
}

/** The standby side's recovery point, aged to now (the re-sync measured it earlier). */
function standbyBackups(
  activeSide: Side | null,
  seen: StatusObservations,
): Omit<StatusReport['backups'], 'versioning'> {
  const side: Side = activeSide === 'dr' ? 'primary' : 'dr';
  const point = seen.recoveryPoints[side];
  const verified = measureVerifiedRpo(seen.verifiedRestores ?? null, seen.now).overall;
  if (!point?.completionTimestamp) {
    return { latest: null, rpoSeconds: null, side, completionTimestamp: null, verified };
  }
  const age = Math.floor((Date.parse(seen.now) - Date.parse(point.completionTimestamp)) / 1000);
  return {
    latest: point.newestBackup,
    rpoSeconds: Math.max(0, age),
    side,
    completionTimestamp: point.completionTimestamp,
    verified,
  };
}

export function summarizeStatus(config: DrpilotConfig, seen: StatusObservations): StatusReport {
  const warnings: string[] = [];
  const target = seen.mainRecord?.target ?? null;
  const activeSide = activeSideOf(target, config.clusters);
  if (!seen.mainRecord)
    warnings.push(
      `${config.dns.recordName} has no CNAME record in zone ${config.dns.hostedZoneId}`,
    );
  else if (!activeSide) {
    warnings.push(
      `${config.dns.recordName} points at ${target ?? 'nothing'}, which is neither cluster's endpoint`,
    );
  }

  const clusters = Object.fromEntries(
    SIDES.map((side) => {
      const cluster = config.clusters[side];
      const state = seen.alarmStates.get(cluster.healthAlarm);
      if (!state) warnings.push(`health alarm ${cluster.healthAlarm} (${side}) does not exist`);
      const status: ClusterStatus = {
        healthy: state === 'OK' ? true : state === 'ALARM' ? false : null,
        alarm: cluster.healthAlarm,
        alarmState: state ?? 'MISSING',
        endpoint: cluster.endpoint,
        region: cluster.region,
      };
      return [side, status];
    }),
  ) as Record<Side, ClusterStatus>;

  const unreadRegions = new Set<string>();
  const nodeGroups = config.nodeGroups.map((group) => {
    const instances = seen.nodeGroupMembers.get(group.id) ?? null;
    if (instances && instances.length === 0)
      warnings.push(`node group ${group.id} has no instances`);
    for (const member of instances ?? []) {
      const warning = leftBehindWarning(group.id, member);
      if (warning) warnings.push(warning);
    }
    const region = config.clusters[group.cluster as Side].region;
    const listed = seen.resizeAlarms?.get(region);
    let alarms: NodeGroupAlarms | null = null;
    if (listed && 'error' in listed) {
      if (!unreadRegions.has(region))
        warnings.push(`resize alarms in ${region} not read: ${listed.error}`);
      unreadRegions.add(region);
    } else if (listed) {
      const observed = observeGroupAlarms(config, group, listed);
      alarms = observed.alarms;
      warnings.push(...observed.warnings);
    }
    return {
      id: group.id,
      cluster: group.cluster,
      kind: group.kind,
      instanceTypes: instances ? [...new Set(instances.map((i) => i.type))].sort() : null,
      instances,
      alarms,
    };
  });

  const versioning = seen.bucketVersioning ?? null;
  for (const side of SIDES) {
    const bucket = versioning?.[side];
    if (bucket && bucket.state !== 'Enabled') {
      warnings.push(
        `Velero bucket ${bucket.bucket} (${side}): ${bucket.state === 'unreadable' ? `versioning could not be read (${bucket.detail ?? 'unknown error'})` : bucket.state === 'Disabled' ? 'versioning was never enabled' : `versioning is ${bucket.state}`}; re-sync deletes nothing until both buckets have versioning Enabled (see docs/resync.md: versioning and a noncurrent-version expiry)`,
      );
    }
  }
  const versioningStates =
    versioning?.primary && versioning.dr
      ? { primary: versioning.primary.state, dr: versioning.dr.state }
      : null;
  return {
    dns: {
      record: config.dns.recordName,
      target,
      ttl: seen.mainRecord?.ttl ?? null,
      activeSide,
      healthCheck: healthCheckTiming(config.dns.healthCheckIntervalSeconds),
      designedRto: designedRto(config.dns),
    },
    clusters,
    backups: { ...standbyBackups(activeSide, seen), versioning: versioningStates },
    nodeGroups,
    tunnels: summarizeTunnels(config, seen.tunnelRecords ?? new Map(), warnings),
    aks: seen.outbox
      ? summarizeAks(config, seen.outbox, warnings, {
          seen: seen.functionApp ?? null,
          activeSide,
        })
      : null,
    warnings,
  };
}
