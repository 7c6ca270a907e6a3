import { dynamoDbDocumentClient } from '../adapters/aws/sdk-clients/dynamodb';
import { route53Client } from '../adapters/aws/sdk-clients/route53';
import { route53ResolverClient } from '../adapters/aws/sdk-clients/route53-resolver';
import { listResolverEndpointIps } from '../adapters/aws/resolver-endpoints';
import { readRecord } from '../adapters/aws/route53-records';
import { StateStore } from '../adapters/aws/state-store';
import { aksKeys } from '../core/aks/names';
import {
  decideResolverIps,
  type ResolverIpsDecision,
  type ResolverIpsSent,
} from '../core/aks/resolver-ips';
import type { DrpilotConfig, Side } from '../core/config/schema';
import { activeSideOf } from '../core/status';
import type { AksSender } from './outbox-sender';

export interface ResolverCheckResult {
  side: Side | null;
  resolverEndpointId: string | null;
  decision: ResolverIpsDecision['kind'] | 'no-active-side';
  reason: string;
  ips: string[];
  seq: number | null;
  delivered: boolean;
}

/** The side the main record points at now, or null when it points at neither endpoint. */
export async function activeSide(config: DrpilotConfig): Promise<Side | null> {
  const record = await readRecord(
    route53Client(),
    config.dns.hostedZoneId,
    config.dns.recordName,
    'CNAME',
  );
  return activeSideOf(record?.values[0] ?? null, config.clusters);
}

/**
 * Reads a side's inbound endpoint addresses and sends `resolver.ips` when the ATTACHED set differs
 * from the last one sent, the last one is over a day old, or right after a switch. No ATTACHED
 * address: nothing is sent, the refusal is recorded for `status` and its alarm.
 */
export async function checkResolverIps(
  config: DrpilotConfig,
  sender: AksSender,
  side: Side,
  options: { afterSwitch: boolean; now: () => Date },
): Promise<ResolverCheckResult> {
  const azure = config.azure;
  if (!azure) throw new Error('azure is not configured');
  const region = config.clusters[side].region;
  const resolverEndpointId = azure.resolverEndpoints[side];
  const store = new StateStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
  const [addresses, last] = await Promise.all([
    listResolverEndpointIps(route53ResolverClient(region), resolverEndpointId),
    store.readValue<ResolverIpsSent>(aksKeys.resolverSent(resolverEndpointId)),
  ]);
  const decision = decideResolverIps({
    side,
    region,
    resolverEndpointId,
    zones: azure.zones,
    addresses,
    last,
    now: options.now(),
    afterSwitch: options.afterSwitch,
  });
  const base = { side, resolverEndpointId, decision: decision.kind, reason: decision.reason };
  if (decision.kind === 'refused') {
    // The every-minute run publishes the refusal as the alarm's metric; status shows the reason.
    await store.writeValue(aksKeys.resolverRefusal, {
      at: options.now().toISOString(),
      reason: decision.reason,
    });
    return { ...base, ips: [], seq: null, delivered: false };
  }
  await store.writeValue(aksKeys.resolverRefusal, null);
  if (decision.kind === 'unchanged') {
    return { ...base, ips: last?.ips ?? [], seq: null, delivered: false };
  }
  const report = await sender.send('resolver.ips', decision.data);
  const sent: ResolverIpsSent = {
    resolverEndpointId,
    ips: decision.data.ips,
    sentAt: report.event.time,
    seq: report.event.seq,
  };
  await store.writeValue(aksKeys.resolverSent(resolverEndpointId), sent);
  return { ...base, ips: decision.data.ips, seq: report.event.seq, delivered: !report.pending };
}
