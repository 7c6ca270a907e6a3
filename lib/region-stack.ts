import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  EKS_RESTORE_DRILL_GROUP,
  validatedKubernetesAccess,
} from '../lambdas/core/config/kubernetes-access';
import type { ClusterConfig, DrpilotConfig, Side } from '../lambdas/core/config/schema';
import { eksAccessEntry } from './eks-api-access';
import { backupDirectionAccessEntry } from './backup-direction-access';
import { VeleroEventForwarder } from './resync';
import { EncryptionKey } from './encryption-key';
import { names } from './names';
import { MemberAlarmReconciler } from './resize-alarms';
import { NodeGroupResize } from './resize-node-group';
import { NotificationTopic } from './notification-topic';
import { ResizeRollout } from './resize';
import { TunnelWatch } from './tunnel-watch';

export interface RegionStackProps extends StackProps {
  readonly config: DrpilotConfig;
  readonly side: Side;
}

/**
 * What drpilot needs in one cluster region, where the regional capabilities (node resize, backup
 * re-sync, tunnel alarms) will live: CloudWatch alarms notify and invoke only in their own region.
 * It holds the region's alarm topic and, under `encryption: "customer-managed"`, the region's key
 * (failure queues, alarm topic), and forwards the S3 events of the Velero bucket in its region to
 * the control region's default event bus (VeleroEventForwarder). It references nothing in other stacks: what it
 * needs from the control region (the state table, the event bus) is addressed by name or derived
 * from the config and the account, see names.ts.
 */
export class RegionStack extends Stack {
  readonly side: Side;
  readonly cluster: ClusterConfig;
  /** Only under `encryption: "customer-managed"`. */
  readonly encryptionKey: EncryptionKey | undefined;
  readonly alarms: NotificationTopic;
  readonly veleroEvents: VeleroEventForwarder;
  /** Node resize, when a node group of this side is configured. */
  readonly resize: ResizeRollout | null;
  readonly nodeGroups: NodeGroupResize[];
  readonly memberAlarms: MemberAlarmReconciler | null;
  /** The tunnel watch, when a configured VPN connection ends in this region. */
  readonly tunnels: TunnelWatch | null;

  constructor(scope: Construct, id: string, props: RegionStackProps) {
    super(scope, id, props);
    const { config, side } = props;
    this.side = side;
    this.cluster = config.clusters[side];

    this.encryptionKey = EncryptionKey.forConfig(this, 'EncryptionKey', config, {
      alias: names.regionKeyAlias(config, side),
      description: `drpilot ${config.name} ${side} (${this.cluster.region}): alarm topic, failure queues`,
    });
    const key = this.encryptionKey?.key;

    this.alarms = new NotificationTopic(this, 'Alarms', {
      topicName: names.regionAlarmTopic(config, side),
      displayName: `drpilot ${config.name} ${side}`,
      key,
    });

    this.veleroEvents = new VeleroEventForwarder(this, 'VeleroEvents', { config, side });

    const groups = config.nodeGroups.filter((g) => g.cluster === side);
    this.resize =
      groups.length === 0
        ? null
        : new ResizeRollout(this, 'Resize', {
            config,
            side,
            alarmTopic: this.alarms.topic,
            encryptionKey: key,
          });
    const resize = this.resize;
    this.nodeGroups = resize
      ? groups.map(
          (group) =>
            new NodeGroupResize(this, `NodeGroup-${group.id}`, {
              config,
              group,
              resize: resize.reactive,
            }),
        )
      : [];
    this.memberAlarms =
      groups.length === 0
        ? null
        : new MemberAlarmReconciler(this, 'MemberAlarms', {
            config,
            groups,
            alarmTopic: this.alarms.topic,
            encryptionKey: key,
          });
    if (resize) {
      new CfnOutput(this, 'ResizeFunctionName', { value: resize.reactive.fn.functionName });
      new CfnOutput(this, 'ResizeStateMachineArn', { value: resize.stateMachine.stateMachineArn });
    }

    const drill = config.backups.restoreDrill;
    const drillAccess = drill && side === 'dr' ? validatedKubernetesAccess(drill) : undefined;
    if (drillAccess?.auth === 'eks') {
      // The restore drill's role is in the control region's stack; it is named, not referenced.
      eksAccessEntry(this, {
        clusterName: drillAccess.clusterName,
        principalArn: this.formatArn({
          service: 'iam',
          region: '',
          resource: 'role',
          resourceName: names.restoreDrillRole(config),
        }),
        kubernetesGroup: EKS_RESTORE_DRILL_GROUP,
      });
    }

    backupDirectionAccessEntry(this, config, side);

    const connections = (config.tunnels?.vpnConnections ?? []).filter(
      (c) => c.region === this.cluster.region,
    );
    this.tunnels =
      connections.length === 0
        ? null
        : new TunnelWatch(this, 'Tunnels', {
            config,
            connections,
            alarmTopic: this.alarms.topic,
            encryptionKey: key,
          });

    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    if (key) new CfnOutput(this, 'EncryptionKeyArn', { value: key.keyArn });
  }
}
