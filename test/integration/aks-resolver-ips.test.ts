import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  AssociateResolverEndpointIpAddressCommand,
  GetResolverEndpointCommand,
  ListResolverEndpointIpAddressesCommand,
} from '@aws-sdk/client-route53resolver';
import { describe, expect, it } from 'vitest';
import {
  cloudWatchClient,
  route53Client,
  route53ResolverClient,
} from '../../lambdas/adapters/aws/clients';
import { readOutbox } from '../../lambdas/aks/read-aks-status';
import { runAksAction } from '../../lambdas/aks/run-aks';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { SEEDED_RESOLVER_IPS } from '../../cli/embedded/seed-aks';
import { seedDns, upsertRecord } from '../../cli/embedded/seed-dns';
import { useAksWorld } from '../support/aks-world';
import { useMoto } from '../support/moto';
import { resolverAddressesNotAttached } from '../support/resolver-ip-status-fake';

useMoto();
const world = useAksWorld();

/** The main record as the estate has it (on primary), in a zone moto made. */
async function withMainRecord(config: DrpilotConfig): Promise<DrpilotConfig> {
  const { hostedZoneId } = await seedDns(route53Client(), config);
  return { ...config, dns: { ...config.dns, hostedZoneId } };
}

async function problemMetric(config: DrpilotConfig): Promise<number[]> {
  const { Datapoints = [] } = await cloudWatchClient(config.controlRegion).send(
    new GetMetricStatisticsCommand({
      Namespace: 'drpilot',
      MetricName: 'AksDeliveryProblem',
      Dimensions: [{ Name: 'Problem', Value: 'no-attached-resolver-ips' }],
      StartTime: new Date(Date.now() - 3600_000),
      EndTime: new Date(Date.now() + 3600_000),
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  return Datapoints.map((d) => d.Maximum ?? NaN);
}

describe("resolver.ips: the active side's inbound endpoint (moto Route53Resolver)", () => {
  it('sends the ATTACHED addresses of the active side once, then only when they change', async () => {
    const seeded = await world();
    const config = await withMainRecord(seeded.config);
    const { receiver } = seeded;
    const first = await runAksAction(config, 'resolver-ips', { now: () => new Date() });
    expect(first).toMatchObject({ side: 'primary', decision: 'send', delivered: true, seq: 1 });
    expect(receiver.events.map((e) => e.data)).toEqual([
      {
        region: config.clusters.primary.region,
        resolverEndpointId: config.azure!.resolverEndpoints.primary,
        ips: SEEDED_RESOLVER_IPS.primary,
        zones: config.azure!.zones,
      },
    ]);
    const again = await runAksAction(config, 'resolver-ips', { now: () => new Date() });
    expect(again).toMatchObject({ decision: 'unchanged', seq: null });
    expect(receiver.requests).toHaveLength(1);

    // A third address in another subnet of the endpoint's VPC: the set changed.
    const endpointId = config.azure!.resolverEndpoints.primary;
    const resolver = route53ResolverClient(config.clusters.primary.region);
    const { ResolverEndpoint } = await resolver.send(
      new GetResolverEndpointCommand({ ResolverEndpointId: endpointId }),
    );
    expect(ResolverEndpoint?.IpAddressCount).toBe(2);
    const subnet = await firstSubnetOf(config, endpointId);
    await resolver.send(
      new AssociateResolverEndpointIpAddressCommand({
        ResolverEndpointId: endpointId,
        IpAddress: { SubnetId: subnet, Ip: '10.10.1.11' },
      }),
    );
    const changed = await runAksAction(config, 'resolver-ips', { now: () => new Date() });
    expect(changed).toMatchObject({ decision: 'send', seq: 2 });
    expect(receiver.events.at(-1)?.data.ips).toEqual(['10.10.1.10', '10.10.1.11', '10.10.2.10']);
  });

  it('sends only ATTACHED addresses (fake: moto reports every address ATTACHED)', async () => {
    const seeded = await world();
    const config = await withMainRecord(seeded.config);
    resolverAddressesNotAttached(config.clusters.primary.region, { '10.10.2.10': 'DETACHING' });
    await runAksAction(config, 'resolver-ips', { now: () => new Date() });
    expect(seeded.receiver.events.map((e) => e.data.ips)).toEqual([['10.10.1.10']]);
  });

  it('sends nothing, alarms and says why in status when no address is ATTACHED', async () => {
    const seeded = await world();
    const config = await withMainRecord(seeded.config);
    resolverAddressesNotAttached(config.clusters.primary.region, {
      '10.10.1.10': 'CREATING',
      '10.10.2.10': 'FAILED_RESOURCE_GONE',
    });
    const result = await runAksAction(config, 'resolver-ips', { now: () => new Date() });
    expect(result).toMatchObject({ decision: 'refused', seq: null });
    expect(seeded.receiver.requests).toEqual([]);
    expect(await problemMetric(config)).toContain(1);
    const outbox = await readOutbox(config);
    expect(outbox?.pending).toEqual([]);
    expect(outbox?.resolverRefusal?.reason).toMatch(
      /no ATTACHED address \(10\.10\.1\.10 CREATING, 10\.10\.2\.10 FAILED_RESOURCE_GONE\)/,
    );
    // The every-minute run keeps the alarm's metric at 1 while the refusal stands.
    const flush = await runAksAction(config, 'flush', { now: () => new Date() });
    expect(flush).toMatchObject({ problems: { noAttachedResolverIps: true } });
  });

  it('reports no active side when the main record points at neither endpoint', async () => {
    const seeded = await world();
    const config = await withMainRecord(seeded.config);
    await upsertRecord(route53Client(), config.dns.hostedZoneId, {
      name: config.dns.recordName,
      type: 'CNAME',
      value: 'elsewhere.example.net',
      ttl: 30,
    });
    const result = await runAksAction(config, 'resolver-ips', { now: () => new Date() });
    expect(result).toMatchObject({ decision: 'no-active-side' });
    expect(seeded.receiver.requests).toEqual([]);
  });
});

async function firstSubnetOf(config: DrpilotConfig, endpointId: string): Promise<string> {
  const { IpAddresses = [] } = await route53ResolverClient(config.clusters.primary.region).send(
    new ListResolverEndpointIpAddressesCommand({ ResolverEndpointId: endpointId }),
  );
  return IpAddresses.find((a) => a.Ip === '10.10.1.10')?.SubnetId ?? '';
}
