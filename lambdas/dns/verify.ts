import { route53Client } from '../adapters/aws/sdk-clients/route53';
import { readRecord } from '../adapters/aws/route53-records';
import { probeTls, type Resolver } from '../adapters/tls/tls-probe';
import type { DrpilotConfig } from '../core/config/schema';
import { sideToProbe, verifySwitch, type VerifySwitchAnswer } from '../core/dns/verify-switch';

/**
 * `verify`: reads the switched record from Route 53 and probes the TLS endpoint of the side it
 * points at with SNI = the main name (as the switch's own check does, observe.ts); the planner
 * (core/dns/verify-switch.ts) judges both. Changes nothing.
 */
export async function verifyAfterSwitch(
  config: DrpilotConfig,
  options: { drill: boolean; resolver: Resolver; now?: () => Date },
): Promise<VerifySwitchAnswer> {
  const recordName = options.drill ? config.dns.drillRecordName : config.dns.recordName;
  const found = await readRecord(route53Client(), config.dns.hostedZoneId, recordName, 'CNAME');
  const record = found?.values[0] ? { target: found.values[0] } : null;
  const side = sideToProbe(record, config.clusters);
  const { caBundle } = config.dns.checks;
  const tls = side
    ? await probeTls({
        hostname: config.clusters[side].endpoint,
        serverName: config.dns.recordName,
        resolver: options.resolver,
        now: options.now?.() ?? new Date(),
        ...(caBundle ? { caBundle } : {}),
      })
    : null;
  return verifySwitch({
    recordName,
    servedName: config.dns.recordName,
    record,
    clusters: config.clusters,
    tls: tls ? { ok: tls.ok, detail: tls.detail } : null,
  });
}
