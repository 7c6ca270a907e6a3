import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { route53Client } from '../adapters/aws/sdk-clients/route53';
import { readAlarmStates } from '../adapters/aws/alarm-states';
import { readRecord } from '../adapters/aws/route53-records';
import { StateStore } from '../adapters/aws/state-store';
import { bucketSide } from '../adapters/aws/velero-bucket';
import { assessSide } from '../resync/assess-side';
import { probeTls, type Resolver } from '../adapters/tls/tls-probe';
import type { DrpilotConfig, Side } from '../core/config/schema';
import { externalDnsOwnershipNames, isExternalDnsOwnership } from '../core/dns/external-dns-names';
import { targetSideOf, type PlanSwitchInput, type SwitchAction } from '../core/dns/plan-switch';
import type { TriggerOrigin } from '../core/events/trigger-trust';
import { stateKeys } from '../core/state-keys';

export interface ObserveOptions {
  action: SwitchAction;
  origin: TriggerOrigin;
  /** The record being flipped: dns.recordName, or dns.drillRecordName in a drill. */
  recordName: string;
  force: boolean;
  resolver: Resolver;
  now: Date;
}

/** The newest restorable backup in a side's bucket (reads `backups/` only). */
async function newestRestorable(config: DrpilotConfig, side: Side) {
  const { assessments } = await assessSide(
    bucketSide(config.backups, side),
    config.backups.acceptPhases,
    16,
    ['backups'],
  );
  let newest: { name: string; completionTimestamp: string } | null = null;
  for (const a of Object.values(assessments)) {
    if (
      a.restorable &&
      (!newest || Date.parse(a.completionTimestamp) > Date.parse(newest.completionTimestamp))
    ) {
      newest = { name: a.name, completionTimestamp: a.completionTimestamp };
    }
  }
  return newest;
}

/** The TXT records that say external-dns owns the name, under every naming scheme it uses. */
async function externalDnsClaims(config: DrpilotConfig, recordName: string) {
  const names = externalDnsOwnershipNames(recordName, config.dns.externalDns);
  const found = await Promise.all(
    names.map((name) => readRecord(route53Client(), config.dns.hostedZoneId, name, 'TXT')),
  );
  return found.flatMap((record, i) =>
    record && isExternalDnsOwnership(record.values)
      ? [{ name: names[i] ?? '', value: record.values.join(' ') }]
      : [],
  );
}

/**
 * Everything the switch planner decides from, read in parallel: the record, both health alarms,
 * the target's TLS endpoint (asked for the MAIN name, which customers will ask for after the
 * switch), the target side's newest restorable backup, external-dns ownership, the cooldown and
 * when the record last failed over.
 */
export async function observeSwitch(
  config: DrpilotConfig,
  options: ObserveOptions,
): Promise<PlanSwitchInput> {
  const store = new StateStore(
    dynamoDbDocumentClient(config.controlRegion),
    config.stateTable,
    () => options.now.getTime(),
  );
  const target = targetSideOf(options.action);
  const { checks } = config.dns;
  const [record, alarms, tls, targetBackup, externalDnsOwnership, cooldown, lastFailoverAt] =
    await Promise.all([
      readRecord(route53Client(), config.dns.hostedZoneId, options.recordName, 'CNAME'),
      readAlarmStates(cloudWatchClient(config.controlRegion), [
        config.clusters.primary.healthAlarm,
        config.clusters.dr.healthAlarm,
      ]),
      checks.tlsSan
        ? probeTls({
            hostname: config.clusters[target].endpoint,
            serverName: config.dns.recordName,
            resolver: options.resolver,
            now: options.now,
            ...(checks.caBundle ? { caBundle: checks.caBundle } : {}),
          })
        : Promise.resolve(null),
      newestRestorable(config, target),
      externalDnsClaims(config, options.recordName),
      store.activeCooldown(stateKeys.dnsRecord(options.recordName)),
      store.readValue<string>(stateKeys.dnsLastFailover(options.recordName)),
    ]);
  return {
    action: options.action,
    origin: options.origin,
    recordName: options.recordName,
    servedName: config.dns.recordName,
    record: record?.values[0]
      ? { target: record.values[0], ttl: record.ttl ?? config.dns.ttl }
      : null,
    clusters: config.clusters,
    healthAlarms: {
      primary: alarms.get(config.clusters.primary.healthAlarm) ?? 'MISSING',
      dr: alarms.get(config.clusters.dr.healthAlarm) ?? 'MISSING',
    },
    tls: tls ? { ok: tls.ok, detail: tls.detail } : null,
    targetBackup,
    lastFailoverAt,
    externalDnsOwnership,
    cooldown: cooldown ? { untilMs: cooldown.untilMs, reason: cooldown.reason } : null,
    now: options.now.toISOString(),
    policy: {
      checks: {
        targetHealthy: checks.targetHealthy,
        tlsSan: checks.tlsSan,
        maxBackupAgeSeconds: checks.maxBackupAgeSeconds,
      },
      force: options.force,
      maxEventAgeSeconds: config.triggers.maxEventAgeSeconds,
    },
  };
}
