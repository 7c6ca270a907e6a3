import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { ec2Client } from '../adapters/aws/sdk-clients/ec2';
import { route53Client } from '../adapters/aws/sdk-clients/route53';
import { readAlarmStates } from '../adapters/aws/alarm-states';
import { metricAlarmStates } from '../adapters/aws/metric-alarms';
import { readRecord } from '../adapters/aws/route53-records';
import { StateStore } from '../adapters/aws/state-store';
import { instancesWithTag } from '../adapters/aws/tagged-instances';
import type { DrpilotConfig, NodeGroupConfig } from '../core/config/schema';
import { SIDES, type Side } from '../core/config/sides';
import { readBucketVersioning } from '../adapters/aws/bucket-versioning';
import { bucketSide } from '../adapters/aws/velero-bucket';
import type { BucketVersioning } from '../core/resync/deletion-gate';
import { normalizeDnsName } from '../core/dns/dns-names';
import { stateKeys } from '../core/state-keys';
import { leftByDeadRollout, leftByRollout } from '../core/resize/node-steps';
import { resizeAlarmPrefix, resizeScope } from '../core/shared-names';
import { summarizeStatus, type StatusReport } from '../core/status';
import type { RpoReport } from '../core/resync/rpo';
import type { VerifiedRestores } from '../core/restore/verified-rpo';
import { templateGroupMembers } from '../resize/template-rollout';
import { readFunctionAppState, readOutbox, readTunnelRecords } from '../aks/read-aks-status';
import { HISTORY_JOBS, lastActions as lastActionsOf } from '../core/history/audit-history';
import { pausesInForce } from '../pause/set-pause';
import { openApprovals } from '../approval/pending-approvals';
import { readHistory } from './read-history';

async function membersOf(config: DrpilotConfig, group: NodeGroupConfig, now: Date) {
  const region = config.clusters[group.cluster as 'primary' | 'dr'].region;
  if (group.kind !== 'ec2') {
    const members = await templateGroupMembers(group, region).catch(() => null);
    return members?.map(({ id, type }) => ({ id, type, state: 'running' })) ?? null;
  }
  const tag = group.selector.tag;
  if (!tag) return null;
  const instances = (await instancesWithTag(ec2Client(region), tag)).map((i) => ({
    ...i,
    left: leftByRollout(i.state, i.tags),
  }));
  const lease = instances.some((i) => i.left)
    ? await new StateStore(
        dynamoDbDocumentClient(config.controlRegion),
        config.stateTable,
      ).readLease(resizeScope(group.id))
    : null;
  return instances.map(({ id, type, state, left }) => {
    const leftBehind = leftByDeadRollout(left, lease, now.getTime());
    return {
      id,
      type,
      state,
      ...(leftBehind === 'stopped' ? { stoppedByRollout: true as const } : {}),
      ...(leftBehind === 'cordoned' ? { cordonedByRollout: true as const } : {}),
    };
  });
}

/**
 * Reads the estate (the main record, both health alarms, the node groups' members, the
 * recovery point re-sync last measured) and summarises it. Health alarms watch Route 53
 * HealthCheckStatus, which exists only in us-east-1, so they are read in controlRegion.
 */
/**
 * The alarms under the resize prefix in each region that has node groups (one listing serves all
 * of a region's groups), or why they could not be read: status reports the rest regardless.
 */
async function resizeAlarms(config: DrpilotConfig) {
  const regions = [
    ...new Set(config.nodeGroups.map((g) => config.clusters[g.cluster as Side].region)),
  ];
  return new Map(
    await Promise.all(
      regions.map(async (region) => {
        const listed = await metricAlarmStates(
          cloudWatchClient(region),
          resizeAlarmPrefix(config),
        ).catch((error: unknown) => ({
          error: error instanceof Error ? error.message : String(error),
        }));
        return [region, listed] as const;
      }),
    ),
  );
}

/** The recovery point the last re-sync into each side measured. */
async function recoveryPoints(config: DrpilotConfig) {
  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  const reports = await Promise.all(
    SIDES.map(
      async (side) => [side, await store.readValue<RpoReport>(stateKeys.veleroRpo(side))] as const,
    ),
  );
  return Object.fromEntries(reports.map(([side, report]) => [side, report?.overall ?? null]));
}

/** Per schedule, the newest backup a restore drill verified (see lambdas/restore/). */
async function verifiedRestores(config: DrpilotConfig) {
  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  return store.readValue<VerifiedRestores>(stateKeys.restoreVerified());
}

/** Whether each side's Velero bucket is versioned (re-sync deletes nothing otherwise). */
async function bucketVersioning(config: DrpilotConfig) {
  const read = await Promise.all(
    SIDES.map(async (side) => [side, await readBucketVersioning(bucketSide(config.backups, side))]),
  );
  return Object.fromEntries(read) as Record<Side, BucketVersioning>;
}

export async function readStatus(config: DrpilotConfig, now = new Date()): Promise<StatusReport> {
  const versioning = bucketVersioning(config);
  const alarms = resizeAlarms(config);
  const [record, alarmStates, members, points, outbox, tunnelRecords, verified, functionApp] =
    await Promise.all([
      readRecord(route53Client(), config.dns.hostedZoneId, config.dns.recordName, 'CNAME'),
      readAlarmStates(cloudWatchClient(config.controlRegion), [
        config.clusters.primary.healthAlarm,
        config.clusters.dr.healthAlarm,
      ]),
      Promise.all(
        config.nodeGroups.map(async (g) => [g.id, await membersOf(config, g, now)] as const),
      ),
      recoveryPoints(config),
      readOutbox(config),
      readTunnelRecords(config),
      verifiedRestores(config),
      readFunctionAppState(config),
    ]);
  const [pauses, approvals, newest] = await Promise.all([
    pausesInForce(config, () => now.getTime()),
    openApprovals(config, () => now.getTime()),
    Promise.all(HISTORY_JOBS.map((job) => readHistory(config, { jobs: [job], limit: 1 }))),
  ]);
  const summary = summarizeStatus(config, {
    mainRecord: record
      ? { target: record.values[0] ? normalizeDnsName(record.values[0]) : null, ttl: record.ttl }
      : null,
    alarmStates,
    nodeGroupMembers: new Map(members),
    recoveryPoints: points,
    verifiedRestores: verified,
    outbox,
    tunnelRecords,
    functionApp,
    bucketVersioning: await versioning,
    resizeAlarms: await alarms,
    now: now.toISOString(),
  });
  return { ...summary, pauses, approvals, lastActions: lastActionsOf(newest.flat()) };
}
