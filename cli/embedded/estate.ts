import { cloudWatchClient } from '../../lambdas/adapters/aws/sdk-clients/cloudwatch';
import { dynamoDbClient } from '../../lambdas/adapters/aws/sdk-clients/dynamodb';
import { ec2Client } from '../../lambdas/adapters/aws/sdk-clients/ec2';
import { route53Client } from '../../lambdas/adapters/aws/sdk-clients/route53';
import { s3Client } from '../../lambdas/adapters/aws/sdk-clients/s3';
import { snsClient } from '../../lambdas/adapters/aws/sdk-clients/sns';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import type { DrpilotConfig, Side } from '../../lambdas/core/config/schema';
import { seedHealthAlarms } from './seed-alarms';
import { seedVeleroBuckets, type SeededBackup } from './seed-backups';
import { seedDns } from './seed-dns';
import { seedNodeGroup } from './seed-nodes';
import { createStateTable } from './state-table';
import { notificationTopicName } from '../../lambdas/core/shared-names';

export const NODES_PER_GROUP = 3;

export interface EmbeddedEstate {
  /** The config with the emulator's hosted zone id: moto picks zone ids itself. */
  config: DrpilotConfig;
  healthCheckIds: Record<Side, string>;
  nodes: Record<string, string[]>;
  backups: SeededBackup[];
}

/**
 * Seeds a two-region estate, as drpilot.config.json describes it, into whatever AWS the
 * environment points at (the embedded moto): DNS with health checks, health alarms, tagged
 * nodes, both Velero buckets, the state table and the notification topic.
 */
export async function seedEstate(config: DrpilotConfig): Promise<EmbeddedEstate> {
  const { hostedZoneId, healthCheckIds } = await seedDns(route53Client(), config);
  // No Function app is running here: the AKS side is attached by attachAksSide (the drill does).
  const seeded: DrpilotConfig = {
    ...config,
    azure: undefined,
    dns: { ...config.dns, hostedZoneId },
  };

  await seedHealthAlarms(cloudWatchClient(config.controlRegion), seeded, healthCheckIds);
  await createStateTable(dynamoDbClient(config.controlRegion), config.stateTable);
  await snsClient(config.controlRegion).send(
    new CreateTopicCommand({ Name: notificationTopicName(config) }),
  );

  const nodes: Record<string, string[]> = {};
  for (const group of config.nodeGroups) {
    const region = config.clusters[group.cluster as Side].region;
    nodes[group.id] = await seedNodeGroup(ec2Client(region), group, NODES_PER_GROUP);
  }
  const backups = await seedVeleroBuckets(s3Client, config.backups);
  return { config: seeded, healthCheckIds, nodes, backups };
}
