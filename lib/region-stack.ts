import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ClusterConfig, DrpilotConfig, Side } from '../lambdas/core/config/schema';
import { EncryptionKey } from './encryption-key';
import { names } from './names';
import { NotificationTopic } from './notification-topic';

export interface RegionStackProps extends StackProps {
  readonly config: DrpilotConfig;
  readonly side: Side;
}

/**
 * What drpilot needs in one cluster region, where the regional capabilities (node resize, backup
 * re-sync, tunnel alarms) will live: CloudWatch alarms notify and invoke only in their own region.
 * It holds the region's key (failure queues, and later the backup re-sync's copies) and the
 * region's alarm topic. It references nothing in other stacks: what it will need from the control
 * region (the state table) is addressed by name, see names.ts.
 */
export class RegionStack extends Stack {
  readonly side: Side;
  readonly cluster: ClusterConfig;
  readonly encryptionKey: EncryptionKey;
  readonly alarms: NotificationTopic;

  constructor(scope: Construct, id: string, props: RegionStackProps) {
    super(scope, id, props);
    const { config, side } = props;
    this.side = side;
    this.cluster = config.clusters[side];

    this.encryptionKey = new EncryptionKey(this, 'EncryptionKey', {
      alias: names.regionKeyAlias(config, side),
      description: `drpilot ${config.name} ${side} (${this.cluster.region}): alarm topic, failure queues, backup copies`,
    });
    this.encryptionKey.allowAlarmNotifications();

    this.alarms = new NotificationTopic(this, 'Alarms', {
      topicName: names.regionAlarmTopic(config, side),
      displayName: `drpilot ${config.name} ${side}`,
      key: this.encryptionKey.key,
    });

    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'EncryptionKeyArn', { value: this.encryptionKey.key.keyArn });
  }
}
