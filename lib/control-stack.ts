import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SIDES, type DrpilotConfig } from '../lambdas/core/config/schema';
import { AksEvents } from './aks-events';
import { BackupResync, eventBridgeNotificationCommand } from './resync';
import { DrpilotDashboard } from './dashboard';
import { DrillRunbook } from './drill-runbook';
import { DnsFailover } from './dns';
import { EncryptionKey } from './encryption-key';
import { names } from './names';
import { NotificationTopic } from './notification-topic';
import { RestoreDrill } from './restore';
import { StateTable } from './state-table';
import { StatusFunction } from './status';

export interface ControlStackProps extends StackProps {
  readonly config: DrpilotConfig;
}

/**
 * The control plane in `controlRegion` (us-east-1: Route 53's record API and health-check metrics
 * live there): the state table, the notification topic, their key (under `encryption:
 * "customer-managed"`), and the control functions.
 */
export class ControlStack extends Stack {
  /** Only under `encryption: "customer-managed"`. */
  readonly encryptionKey: EncryptionKey | undefined;
  readonly notifications: NotificationTopic;
  readonly stateTable: StateTable;
  readonly status: StatusFunction;
  readonly backupResync: BackupResync;
  /** The scheduled restore drill, when backups.restoreDrill is configured. */
  readonly restoreDrill: RestoreDrill | null;
  readonly dnsFailover: DnsFailover;
  /** The AWS → AKS sender, when an AKS side is configured (azure). */
  readonly aksEvents: AksEvents | null;
  /** The CloudWatch dashboard of the whole estate (lib/dashboard.ts), when observability.dashboard. */
  readonly dashboard: DrpilotDashboard | null;
  /** The drill runbook's state machine (`drpilot drill runbook --via lambda`). */
  readonly drillRunbook: DrillRunbook;

  constructor(scope: Construct, id: string, props: ControlStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.encryptionKey = EncryptionKey.forConfig(this, 'EncryptionKey', config, {
      alias: names.controlKeyAlias(config),
      description: `drpilot ${config.name}: notification topic, state table, failure queues`,
    });
    const key = this.encryptionKey?.key;

    this.notifications = new NotificationTopic(this, 'Notifications', {
      topicName: names.notificationTopic(config),
      displayName: `drpilot ${config.name}`,
      key,
    });

    this.stateTable = new StateTable(this, 'State', {
      tableName: config.stateTable,
      config,
      key,
    });

    this.status = new StatusFunction(this, 'Status', {
      config,
      stateTable: this.stateTable.table,
      alarmTopic: this.notifications.topic,
      encryptionKey: key,
    });

    this.backupResync = new BackupResync(this, 'BackupResync', {
      config,
      stateTable: this.stateTable.table,
      alarmTopic: this.notifications.topic,
      encryptionKey: key,
    });

    this.restoreDrill = config.backups.restoreDrill
      ? new RestoreDrill(this, 'RestoreDrill', {
          config,
          stateTable: this.stateTable.table,
          alarmTopic: this.notifications.topic,
          encryptionKey: key,
        })
      : null;

    this.dnsFailover = new DnsFailover(this, 'DnsFailover', {
      config,
      stateTable: this.stateTable.table,
      notificationTopic: this.notifications.topic,
      encryptionKey: key,
    });

    this.aksEvents = config.azure
      ? new AksEvents(this, 'AksEvents', {
          config,
          stateTable: this.stateTable.table,
          notificationTopic: this.notifications.topic,
          encryptionKey: key,
        })
      : null;
    // The DNS function tells the AKS side after every switch.
    this.aksEvents?.grantSender(this.dnsFailover.reactive);

    this.drillRunbook = new DrillRunbook(this, 'DrillRunbook', {
      config,
      functions: {
        status: this.status.reactive.fn,
        resync: this.backupResync.reactive.fn,
        restore: this.restoreDrill?.reactive.fn ?? null,
        dns: this.dnsFailover.reactive.fn,
        aks: this.aksEvents?.reactive.fn ?? null,
      },
    });

    this.dashboard = config.observability.dashboard
      ? new DrpilotDashboard(this, 'Dashboard', {
          config,
          dnsFailover: this.dnsFailover,
          backupResync: this.backupResync,
          restoreDrill: this.restoreDrill,
        })
      : null;

    new CfnOutput(this, 'StateTableName', { value: this.stateTable.table.tableName });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.notifications.topic.topicArn });
    new CfnOutput(this, 'StatusFunctionName', {
      value: this.status.reactive.fn.functionName,
    });
    new CfnOutput(this, 'ResyncFunctionName', {
      value: this.backupResync.reactive.fn.functionName,
    });
    new CfnOutput(this, 'DnsFunctionName', {
      value: this.dnsFailover.reactive.fn.functionName,
    });
    for (const side of SIDES) {
      new CfnOutput(this, `${side === 'primary' ? 'Primary' : 'Dr'}HealthCheckId`, {
        description: `Route 53 health check of ${config.clusters[side].endpoint} (alarm ${config.clusters[side].healthAlarm})`,
        value: this.dnsFailover.healthChecks[side].attrHealthCheckId,
      });
    }
    if (this.dashboard) {
      new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName });
    }
    new CfnOutput(this, 'DrillStateMachineArn', {
      value: this.drillRunbook.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'DrillReportBucketName', {
      value: this.drillRunbook.reportBucket.bucketName,
    });
    new CfnOutput(this, 'BackupRpoAlarmName', { value: this.backupResync.rpoAlarm.alarmName });
    if (this.restoreDrill) {
      new CfnOutput(this, 'RestoreFunctionName', {
        value: this.restoreDrill.reactive.fn.functionName,
      });
      new CfnOutput(this, 'VerifiedRpoAlarmName', {
        value: this.restoreDrill.verifiedRpoAlarm.alarmName,
      });
    }
    // Velero's buckets are not drpilot's: their owner turns on EventBridge notifications once.
    for (const side of SIDES) {
      new CfnOutput(this, `VeleroBucketEventsCommand${side === 'primary' ? 'Primary' : 'Dr'}`, {
        description: `Turns on EventBridge notifications for the ${side} Velero bucket. It replaces the bucket's notification configuration: keep existing SNS/SQS/Lambda ones in the JSON.`,
        value: eventBridgeNotificationCommand(config, side),
      });
    }
  }
}
