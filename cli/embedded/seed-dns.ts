import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { DrpilotConfig, Side } from '../../lambdas/core/config/schema';
import { SIDES } from '../../lambdas/core/config/schema';

/** TEST-NET-3 addresses (RFC 5737) for the endpoints external-dns would publish. */
const ENDPOINT_ADDRESSES: Record<Side, string> = { primary: '203.0.113.10', dr: '203.0.113.20' };

export interface RecordToUpsert {
  name: string;
  type: 'CNAME' | 'TXT';
  ttl: number;
  value: string;
}

/**
 * Puts one record in the zone whatever was there (UPSERT): how tests, the bench and the estate
 * move a record by hand, the way a person or external-dns would, outside drpilot's CAS change.
 */
export async function upsertRecord(
  route53: Route53Client,
  hostedZoneId: string,
  record: RecordToUpsert,
): Promise<void> {
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: record.name,
              Type: record.type,
              TTL: record.ttl,
              ResourceRecords: [{ Value: record.value }],
            },
          },
        ],
      },
    }),
  );
}

export interface SeededDns {
  hostedZoneId: string;
  healthCheckIds: Record<Side, string>;
}

/** The zone that holds the main record: its parent domain (main.example.com → example.com). */
export function zoneNameFor(recordName: string): string {
  return recordName.split('.').slice(1).join('.');
}

/**
 * The DNS half of a two-region estate: the endpoints as external-dns publishes them (A record plus
 * its ownership TXT), the drpilot-owned main and drill CNAMEs on primary, and an HTTPS health
 * check with SNI per endpoint.
 */
export async function seedDns(route53: Route53Client, config: DrpilotConfig): Promise<SeededDns> {
  const { HostedZone } = await route53.send(
    new CreateHostedZoneCommand({
      Name: zoneNameFor(config.dns.recordName),
      CallerReference: `drpilot-embedded-${Date.now()}`,
    }),
  );
  const hostedZoneId = (HostedZone?.Id ?? '').replace('/hostedzone/', '');
  const primaryEndpoint = config.clusters.primary.endpoint;

  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      ChangeBatch: {
        Comment: 'embedded estate',
        Changes: [
          ...SIDES.flatMap((side) => [
            {
              Action: 'CREATE' as const,
              ResourceRecordSet: {
                Name: config.clusters[side].endpoint,
                Type: 'A' as const,
                TTL: 60,
                ResourceRecords: [{ Value: ENDPOINT_ADDRESSES[side] }],
              },
            },
            {
              Action: 'CREATE' as const,
              ResourceRecordSet: {
                Name: config.clusters[side].endpoint,
                Type: 'TXT' as const,
                TTL: 300,
                ResourceRecords: [
                  {
                    Value: `"heritage=external-dns,external-dns/owner=${config.name}-${side},external-dns/resource=ingress/app/web"`,
                  },
                ],
              },
            },
          ]),
          // UPSERT, not CREATE: moto 5.2.5 rejects a later CREATE identical to one in its change
          // journal even after the record was deleted, which Route 53 accepts; seeding with
          // UPSERT keeps the first failback's CREATE (primary again) out of that journal.
          ...[config.dns.recordName, config.dns.drillRecordName].map((name) => ({
            Action: 'UPSERT' as const,
            ResourceRecordSet: {
              Name: name,
              Type: 'CNAME' as const,
              TTL: config.dns.ttl,
              ResourceRecords: [{ Value: primaryEndpoint }],
            },
          })),
        ],
      },
    }),
  );

  const healthCheckIds = {} as Record<Side, string>;
  for (const side of SIDES) {
    const { HealthCheck } = await route53.send(
      new CreateHealthCheckCommand({
        CallerReference: `drpilot-embedded-${side}-${Date.now()}`,
        HealthCheckConfig: {
          Type: 'HTTPS',
          FullyQualifiedDomainName: config.clusters[side].endpoint,
          Port: 443,
          ResourcePath: config.dns.healthCheckPath,
          RequestInterval: 10,
          FailureThreshold: 3,
          EnableSNI: true,
        },
      }),
    );
    healthCheckIds[side] = HealthCheck?.Id ?? '';
  }
  return { hostedZoneId, healthCheckIds };
}
