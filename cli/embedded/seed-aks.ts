import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
} from '@aws-sdk/client-ec2';
import { CreateResolverEndpointCommand } from '@aws-sdk/client-route53resolver';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { cloudWatchClient } from '../../lambdas/adapters/aws/sdk-clients/cloudwatch';
import { ec2Client } from '../../lambdas/adapters/aws/sdk-clients/ec2';
import { route53ResolverClient } from '../../lambdas/adapters/aws/sdk-clients/route53-resolver';
import { secretsManagerClient } from '../../lambdas/adapters/aws/sdk-clients/secrets-manager';
import { snsClient } from '../../lambdas/adapters/aws/sdk-clients/sns';
import { ensureSecret, forgetWebhookSecret } from '../../lambdas/adapters/aws/webhook-secret';
import { tunnelAlarmName } from '../../lambdas/core/aks/names';
import { SIDES, type DrpilotConfig, type Side } from '../../lambdas/core/config/schema';
import { regionAlarmTopicName } from '../../lambdas/core/shared-names';

type AzureConfig = NonNullable<DrpilotConfig['azure']>;

/** Each side's VPC and the inbound endpoint addresses the emulated estate gets. */
export const SEEDED_RESOLVER_IPS: Record<Side, [string, string]> = {
  primary: ['10.10.1.10', '10.10.2.10'],
  dr: ['10.20.1.10', '10.20.2.10'],
};

/**
 * A Route 53 Resolver inbound endpoint in a side's region, with an address in each of two
 * subnets, as seed 000 sets it up. moto reports every address ATTACHED.
 */
export async function seedInboundEndpoint(
  region: string,
  cidrPrefix: string,
  ips: readonly string[],
): Promise<string> {
  const ec2 = ec2Client(region);
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: `${cidrPrefix}.0.0/16` }));
  const VpcId = Vpc?.VpcId ?? '';
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({
      VpcId,
      GroupName: 'drpilot-resolver-inbound',
      Description: 'DNS from AKS over the VPN',
    }),
  );
  const IpAddresses = [];
  for (const [i, ip] of ips.entries()) {
    const { Subnet } = await ec2.send(
      new CreateSubnetCommand({ VpcId, CidrBlock: `${cidrPrefix}.${i + 1}.0/24` }),
    );
    IpAddresses.push({ SubnetId: Subnet?.SubnetId ?? '', Ip: ip });
  }
  const { ResolverEndpoint } = await route53ResolverClient(region).send(
    new CreateResolverEndpointCommand({
      CreatorRequestId: `drpilot-${region}-${Date.now()}`,
      Name: 'aks-inbound',
      Direction: 'INBOUND',
      SecurityGroupIds: [GroupId ?? ''],
      IpAddresses,
    }),
  );
  return ResolverEndpoint?.Id ?? '';
}

/** The tunnel alarms as the TunnelWatch construct defines them, each set to `state`. */
export async function seedTunnelAlarms(
  config: DrpilotConfig,
  state: 'OK' | 'ALARM',
): Promise<void> {
  for (const connection of config.tunnels?.vpnConnections ?? []) {
    const cloudwatch = cloudWatchClient(connection.region);
    for (const ip of connection.outsideIps) {
      const AlarmName = tunnelAlarmName(config, connection.id, ip);
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName,
          Namespace: 'AWS/VPN',
          MetricName: 'TunnelState',
          Dimensions: [
            { Name: 'VpnId', Value: connection.id },
            { Name: 'TunnelIpAddress', Value: ip },
          ],
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          TreatMissingData: 'breaching',
        }),
      );
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName, StateValue: state, StateReason: 'embedded estate' }),
      );
    }
  }
}

/** Puts one tunnel alarm in a state, as CloudWatch would when the tunnel drops or returns. */
export async function setTunnelAlarm(
  config: DrpilotConfig,
  region: string,
  vpnConnectionId: string,
  outsideIp: string,
  state: 'OK' | 'ALARM',
): Promise<string> {
  const AlarmName = tunnelAlarmName(config, vpnConnectionId, outsideIp);
  await cloudWatchClient(region).send(
    new SetAlarmStateCommand({
      AlarmName,
      StateValue: state,
      StateReason: `drill: tunnel ${state}`,
    }),
  );
  return AlarmName;
}

export interface SeededAksSide {
  config: DrpilotConfig;
  secret: string;
}

/**
 * The embedded drill's inbound endpoint addresses: loopback ones, so that CoreDNS on this machine
 * reaches the stub resolvers standing in for the endpoints at exactly the addresses AWS reports —
 * the VPN is loopback. Block `n` puts the primary's in VPC 127.<10+2n>.0.0/16 and DR's in the next
 * /16; each drill takes a block whose port 53 is free, so drills running side by side on one
 * machine (test workers) never collide.
 */
export const DRILL_RESOLVER_BLOCKS = 100;

export function drillResolverIps(block: number): Record<Side, [string, string]> {
  const primary = 10 + 2 * block;
  const dr = primary + 1;
  return {
    primary: [`127.${primary}.1.10`, `127.${primary}.2.10`],
    dr: [`127.${dr}.1.10`, `127.${dr}.2.10`],
  };
}

/**
 * Attaches an AKS side to an emulated estate: both inbound endpoints (moto picks their ids) with
 * `resolverIps` (each side's two addresses in `<a>.<b>.1.0/24` and `<a>.<b>.2.0/24` of VPC
 * `<a>.<b>.0.0/16`), the webhook secret with `secret` as its value, the tunnel alarms (OK) and the
 * regions' alarm topics; the returned config points azure.webhookUrl at `receiver` and trusts its
 * CA.
 */
export async function attachAksSide(
  config: DrpilotConfig,
  azure: AzureConfig,
  receiver: { url: string; caPem: string },
  secret: string,
  resolverIps: Record<Side, readonly string[]> = SEEDED_RESOLVER_IPS,
): Promise<SeededAksSide> {
  const endpoints = {} as Record<Side, string>;
  for (const side of SIDES) {
    const ips = resolverIps[side];
    endpoints[side] = await seedInboundEndpoint(
      config.clusters[side].region,
      (ips[0] ?? '').split('.').slice(0, 2).join('.'),
      ips,
    );
    await snsClient(config.clusters[side].region).send(
      new CreateTopicCommand({ Name: regionAlarmTopicName(config, config.clusters[side].region) }),
    );
  }
  await ensureSecret(
    secretsManagerClient(config.controlRegion),
    azure.secretName,
    'drill',
    () => secret,
  );
  // A process that ran an earlier drill holds that drill's secret in the per-container cache.
  forgetWebhookSecret(azure.secretName);
  await seedTunnelAlarms(config, 'OK');
  return {
    secret,
    config: {
      ...config,
      azure: {
        ...azure,
        webhookUrl: receiver.url,
        caBundle: receiver.caPem,
        resolverEndpoints: endpoints,
      },
    },
  };
}
