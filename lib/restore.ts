import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { validatedKubernetesAccess } from '../lambdas/core/config/kubernetes-access';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import type { RestoreDrillConfig } from '../lambdas/core/config/restore-drill-schema';
import { METRICS_NAMESPACE, VERIFIED_RPO_METRIC } from '../lambdas/core/metric-names';
import { SCHEDULED_ACTIONS, scheduledPayload } from '../lambdas/core/shared-names';
import { describeClusterStatement } from './eks-api-access';
import { names } from './names';
import { acknowledge } from './nag';
import { Pager } from './pager';
import { ReactiveFunction } from './reactive-function';

/** What the drill reads in the DR bucket: backups (and their resource lists), its restore's files. */
export const RESTORE_DRILL_AREAS = ['backups', 'restores'] as const;

export interface RestoreDrillProps {
  readonly config: DrpilotConfig;
  readonly stateTable: dynamodb.ITable;
  /** The failure alarm and the verified-RPO alarm notify this topic. */
  readonly alarmTopic: sns.ITopic;
  /** Encrypts the failure queue. */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The scheduled restore drill in the control region: one function that, on
 * `backups.restoreDrill.schedule` (default weekly), restores the DR side's newest restorable
 * backup into scratch namespaces of the DR cluster through its Velero, checks it and cleans up,
 * and publishes the verified RPO — hourly too, aged to now, for its alarm. It reads the DR
 * bucket's `backups/` and `restores/` (never writes to it: Velero does), the DR cluster's
 * kubeconfig secret in the DR region, and the state table; it talks to the DR cluster's API
 * server over the network (a public endpoint; a private one needs the function in a VPC).
 */
export class RestoreDrill extends Construct {
  readonly reactive: ReactiveFunction;
  readonly schedule: events.Rule;
  readonly publishSchedule: events.Rule;
  readonly verifiedRpoAlarm: cloudwatch.Alarm;
  private readonly drill: RestoreDrillConfig;

  constructor(scope: Construct, id: string, props: RestoreDrillProps) {
    super(scope, id);
    const { config } = props;
    const drill = config.backups.restoreDrill;
    if (!drill) throw new Error('RestoreDrill needs backups.restoreDrill in the config');
    this.drill = drill;

    this.reactive = new ReactiveFunction(this, 'Restore', {
      entry: 'lambdas/restore/handler.ts',
      description:
        "drpilot restore drill: restores the DR side's newest backup into scratch namespaces through Velero, cleans up, publishes the verified RPO",
      functionName: names.function(config, 'restore'),
      ...(validatedKubernetesAccess(drill).auth === 'eks'
        ? { roleName: names.restoreDrillRole(config) }
        : {}),
      config,
      alarmTopic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
      timeout: Duration.minutes(15),
      memorySize: 512,
      // One drill at a time (a lease in the state table guards too): two drills would race for the
      // DR cluster's Velero, which runs one restore at a time anyway.
      reservedConcurrency: 1,
      // A failed drill is cleaned up and audited before it throws; running it again at once would
      // hide the failure behind a retry. It goes straight to the failure queue, whose alarm pages.
      retryAttempts: 0,
    });
    const fn = this.reactive.fn;

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `drpilot ${config.name}: restore drill in the DR cluster, ${drill.schedule}`,
      schedule: events.Schedule.expression(drill.schedule),
      targets: [
        new targets.LambdaFunction(fn, {
          event: events.RuleTargetInput.fromObject(
            scheduledPayload(SCHEDULED_ACTIONS.restoreDrill, `scheduled: ${drill.schedule}`),
          ),
        }),
      ],
    });
    this.publishSchedule = new events.Rule(this, 'PublishVerifiedRpo', {
      description: `drpilot ${config.name}: publish the verified RPO hourly (restores nothing)`,
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [
        new targets.LambdaFunction(fn, {
          event: events.RuleTargetInput.fromObject(
            scheduledPayload(SCHEDULED_ACTIONS.restorePublish, 'hourly'),
          ),
        }),
      ],
    });

    this.grantDrBucket(config);
    this.grantKubeconfig(config);
    this.reactive.allowPublishMetrics('PublishVerifiedRpo');
    // Lease, the verified restores record and the audit trail; the grant covers the table's key.
    props.stateTable.grantReadWriteData(this.reactive.role);

    this.verifiedRpoAlarm = new cloudwatch.Alarm(this, 'VerifiedRpoAlarm', {
      alarmName: names.alarm(config, 'verified-rpo'),
      alarmDescription: `The newest backup a restore drill actually restored in the DR cluster is older than ${drill.verifiedRpoAlarmSeconds} s, or no verified RPO was published for an hour (no drill ever passed, or the function does not run).`,
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: VERIFIED_RPO_METRIC,
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.hours(1),
      }),
      threshold: drill.verifiedRpoAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No datapoint means nothing was ever verified, or the hourly publication stopped.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    Pager.of(this, {
      config,
      topic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
    }).pageOnAlarm(this.verifiedRpoAlarm);
  }

  /**
   * The DR bucket only, read only: list and read `<prefix>backups/` (the restorable rule, the
   * backup's resource list) and `<prefix>restores/` (the restore's results; whether Velero left
   * files behind). The drill never writes there; Velero does, and deletes its restore's files.
   */
  private grantDrBucket(config: DrpilotConfig): void {
    const stack = Stack.of(this);
    const { bucket, prefix, kmsKeyArn, region } = config.backups.buckets.dr;
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListDrBackupsAndRestores',
        actions: ['s3:ListBucket'],
        resources: [stack.formatArn({ service: 's3', region: '', account: '', resource: bucket })],
        conditions: {
          StringLike: { 's3:prefix': RESTORE_DRILL_AREAS.map((area) => `${prefix}${area}/*`) },
        },
      }),
    );
    const objects = RESTORE_DRILL_AREAS.map((area) =>
      stack.formatArn({
        service: 's3',
        region: '',
        account: '',
        resource: bucket,
        resourceName: `${prefix}${area}/*`,
      }),
    );
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadDrBackupsAndRestores',
        actions: ['s3:GetObject'],
        resources: objects,
      }),
    );
    acknowledge(this, [
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          "The drill reads whichever backup is newest and its restore's files, named by Velero: read-only, only under the DR bucket's backups/ and restores/ areas.",
        appliesTo: objects.map((arn) => `Resource::${arn}`),
      },
    ]);
    if (kmsKeyArn !== undefined) {
      this.reactive.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DecryptDrBucket',
          actions: ['kms:Decrypt'],
          resources: [kmsKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
        }),
      );
    }
  }

  /**
   * The DR cluster's kubeconfig secret, in the DR cluster's region, by name; or, with EKS auth,
   * DescribeCluster on the DR cluster (its access entry is in the DR region's stack).
   */
  private grantKubeconfig(config: DrpilotConfig): void {
    const access = validatedKubernetesAccess(this.drill);
    if (access.auth === 'eks') {
      this.reactive.addToRolePolicy(
        describeClusterStatement(
          this,
          'DescribeDrCluster',
          access.clusterName,
          config.clusters.dr.region,
        ),
      );
      return;
    }
    const secret = Stack.of(this).formatArn({
      service: 'secretsmanager',
      region: config.clusters.dr.region,
      resource: 'secret',
      // Secrets Manager appends six random characters to a secret's ARN.
      resourceName: `${access.secretName}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadDrKubeconfig',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret],
      }),
    );
  }
}
