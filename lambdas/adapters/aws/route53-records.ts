import { ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { normalizeDnsName, sameDnsName } from '../../core/dns/dns-names';

export interface DnsRecord {
  name: string;
  type: string;
  ttl: number | null;
  values: string[];
}

/** The record set of one name and type in a zone, or null when there is none. */
export async function readRecord(
  route53: Route53Client,
  hostedZoneId: string,
  name: string,
  type: 'CNAME' | 'TXT' | 'A',
): Promise<DnsRecord | null> {
  const { ResourceRecordSets = [] } = await route53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      StartRecordName: name,
      StartRecordType: type,
      MaxItems: 1,
    }),
  );
  const found = ResourceRecordSets.find(
    (set) => set.Name && sameDnsName(set.Name, name) && set.Type === type,
  );
  if (!found) return null;
  return {
    name: normalizeDnsName(name),
    type,
    ttl: found.TTL ?? null,
    // As Route 53 holds them: a compare-and-swap DELETE must repeat the value exactly.
    values: (found.ResourceRecords ?? []).map((r) => r.Value ?? ''),
  };
}
