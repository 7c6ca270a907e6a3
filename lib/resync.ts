import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, WORST_RPO_METRIC } from '../lambdas/core/metric-names';
import { SIDES, type DrpilotConfig, type Side } from '../lambdas/core/config/schema';
import { BACKUP_METADATA_FILE, MIRRORED_AREAS } from '../lambdas/core/resync/bucket-layout';
import { SCHEDULED_ACTIONS, scheduledPayload } from '../lambdas/core/shared-names';
import { names } from './names';
import { acknowledge } from './nag';
import { Pager } from './pager';
import { ReactiveFunction } from './reactive-function';
import { readBucketVersioningStatement, readZoneStatement } from './shared-statements';

export const SCHEDULED_INPUT = scheduledPayload(
  SCHEDULED_ACTIONS.resync,
  'scheduled every 5 minutes',
);

/** `*` and `\` are the special characters of an EventBridge wildcard pattern. */
function escapeWildcard(text: string): string {
  return text.replace(/[\\*]/g, (c) => `\\${c}`);
}

/**
 * The keys of a backup's commit marker: `<prefix>backups/<name>/velero-backup.json`. A wildcard
 * pattern holds the prefix and the suffix in one condition (EventBridge ORs the entries of a
 * field's list, so separate `prefix` and `suffix` matchers would match either).
 */
export function backupMetadataKeyPattern(prefix: string): string {
  return `${escapeWildcard(prefix)}backups/*/${BACKUP_METADATA_FILE}`;
}

/** The `detail` of an `aws.s3` "Object Created" event for one side's backup metadata. */
function objectCreatedDetail(config: DrpilotConfig, side: Side): Record<string, unknown> {
  const { bucket, prefix } = config.backups.buckets[side];
  return {
    bucket: { name: [bucket] },
    object: { key: events.Match.wildcard(backupMetadataKeyPattern(prefix)) },
  };
}

/**
 * Which stack forwards the S3 events of each side's bucket to the control region's default bus:
 * the stack of a cluster region the bucket is in (its own side first). A bucket in the control
 * region needs no forwarding (its events reach the control rule directly); a bucket in a region
 * where drpilot has no stack is a config that cannot be wired, and says so.
 */
export function forwardedBuckets(config: DrpilotConfig, stackSide: Side): Side[] {
  return SIDES.filter((bucketSide) => {
    const { region } = config.backups.buckets[bucketSide];
    if (region === config.controlRegion) return false;
    const owner = [bucketSide, ...SIDES.filter((s) => s !== bucketSide)].find(
      (s) => config.clusters[s].region === region,
    );
    if (owner === undefined) {
      throw new Error(
        `backups.buckets.${bucketSide}.region ${region}: drpilot has no stack there to forward the bucket's S3 events from; put the bucket in a cluster region or in ${config.controlRegion}`,
      );
    }
    return owner === stackSide;
  });
}

/**
 * The command that turns on EventBridge notifications for a Velero bucket. drpilot does not manage
 * Velero's buckets. Careful: put-bucket-notification-configuration replaces the whole
 * configuration, so a bucket that already notifies SNS/SQS/Lambda needs those kept in the JSON
 * (read them with get-bucket-notification-configuration first).
 */
export function eventBridgeNotificationCommand(config: DrpilotConfig, side: Side): string {
  const { bucket, region } = config.backups.buckets[side];
  return `aws s3api put-bucket-notification-configuration --region ${region} --bucket ${bucket} --notification-configuration '{"EventBridgeConfiguration":{}}'`;
}

export interface VeleroEventForwarderProps {
  readonly config: DrpilotConfig;
  /** The side whose region stack this is. */
  readonly side: Side;
}

/**
 * In a cluster region: forwards the `aws.s3` "Object Created" events of the Velero bucket(s) in
 * this region whose key is a backup's `velero-backup.json` to the control region's default event
 * bus, where BackupResync's rule invokes the function. The bus ARN is derived from the config and
 * the account (no cross-region reference). Nothing is created when no bucket needs forwarding.
 */
export class VeleroEventForwarder extends Construct {
  readonly rules: events.Rule[];

  constructor(scope: Construct, id: string, props: VeleroEventForwarderProps) {
    super(scope, id);
    const { config, side } = props;
    const stack = Stack.of(this);
    const controlBus = events.EventBus.fromEventBusArn(
      this,
      'ControlBus',
      stack.formatArn({
        service: 'events',
        region: config.controlRegion,
        resource: 'event-bus',
        resourceName: 'default',
      }),
    );

    this.rules = forwardedBuckets(config, side).map((bucketSide) => {
      const { bucket } = config.backups.buckets[bucketSide];
      const rule = new events.Rule(this, `Forward${bucketSide === 'primary' ? 'Primary' : 'Dr'}`, {
        description: `drpilot ${config.name}: velero-backup.json written to s3://${bucket}; forwarded to the re-sync in ${config.controlRegion}`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: objectCreatedDetail(config, bucketSide),
        },
      });
      // No dead-letter queue: EventBridge retries delivery for 24 hours, and the 5-minute schedule
      // runs the same re-sync anyway, so a lost event delays a copy by minutes, never loses it.
      rule.addTarget(new targets.EventBus(controlBus));
      return rule;
    });
  }
}

export interface BackupResyncProps {
  readonly config: DrpilotConfig;
  readonly stateTable: dynamodb.ITable;
  /** The failure alarm and the RPO alarm notify this topic. */
  readonly alarmTopic: sns.ITopic;
  /** Encrypts the failure queue. */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The Velero backup re-sync in the control region: one function, run every 5 minutes and whenever
 * a `velero-backup.json` lands in either bucket (forwarded by the region stacks'
 * VeleroEventForwarder), that copies restorable backups from the active side's bucket to the
 * standby side's; and an alarm on the RPO it publishes.
 */
export class BackupResync extends Construct {
  readonly reactive: ReactiveFunction;
  readonly schedule: events.Rule;
  readonly backupWritten: events.Rule;
  readonly rpoAlarm: cloudwatch.Alarm;
  private readonly config: DrpilotConfig;

  constructor(scope: Construct, id: string, props: BackupResyncProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;

    this.reactive = new ReactiveFunction(this, 'Resync', {
      entry: 'lambdas/resync/handler.ts',
      description:
        'drpilot resync: copies restorable Velero backups from the active side to the standby side, publishes the RPO',
      functionName: names.function(config, 'resync'),
      config,
      alarmTopic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      // One run at a time (a lease in the state table guards too): two copiers would race on the
      // same commit markers. Triggers that arrive during a run wait in Lambda's async queue.
      reservedConcurrency: 1,
    });
    const fn = this.reactive.fn;

    // events.Rule rather than EventBridge Scheduler: a fixed rate needs none of Scheduler's
    // extras (time zones, flexible windows, one-off schedules), and a rule invokes the function
    // through its resource policy, scoped to the rule's ARN, where Scheduler needs an execution
    // role. Both triggers are then rules of the same default bus.
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `drpilot ${config.name}: Velero backup re-sync every 5 minutes`,
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(fn, {
          event: events.RuleTargetInput.fromObject(SCHEDULED_INPUT),
        }),
      ],
    });

    // Events of buckets in other regions arrive forwarded (same source and shape); a bucket in
    // the control region is matched here directly.
    const bucketName = events.EventField.fromPath('$.detail.bucket.name');
    const objectKey = events.EventField.fromPath('$.detail.object.key');
    this.backupWritten = new events.Rule(this, 'BackupWritten', {
      description: `drpilot ${config.name}: re-sync when a velero-backup.json is written to either Velero bucket`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { $or: SIDES.map((side) => objectCreatedDetail(config, side)) },
      },
      targets: [
        new targets.LambdaFunction(fn, {
          event: events.RuleTargetInput.fromObject(
            scheduledPayload(
              SCHEDULED_ACTIONS.resync,
              `velero-backup.json written: s3://${bucketName}/${objectKey}`,
            ),
          ),
        }),
      ],
    });

    this.grantBuckets();
    this.grantKeys();
    // Nothing is deleted unless both buckets are versioned: it reads their versioning first.
    this.reactive.addToRolePolicy(
      readBucketVersioningStatement(this, config, 'CheckVeleroBucketVersioning'),
    );

    // Finds the active side: where the main record points.
    this.reactive.addToRolePolicy(readZoneStatement(this, config, 'ReadTheMainRecord'));

    this.reactive.allowPublishMetrics('PublishRpo');

    // Lease, last run and RPO record; the grant covers the table's key too.
    props.stateTable.grantReadWriteData(this.reactive.role);

    this.rpoAlarm = new cloudwatch.Alarm(this, 'RpoAlarm', {
      alarmName: names.alarm(config, 'backup-rpo'),
      alarmDescription: `The standby side's newest restorable Velero backup (worst schedule) is older than ${config.backups.rpoAlarmSeconds} s, or the re-sync published no RPO for 5 minutes (not running).`,
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: WORST_RPO_METRIC,
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
      threshold: config.backups.rpoAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No metric means no re-sync: that is an RPO nobody measures, so it alarms.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    Pager.of(this, {
      config,
      topic: props.alarmTopic,
      encryptionKey: props.encryptionKey,
    }).pageOnAlarm(this.rpoAlarm);
  }

  /**
   * Both buckets get read and write on drpilot's three areas, because the direction follows the
   * active side: primary → DR normally, DR → primary after a failover (so DR's backups come home
   * before a failback). The function decides at run time which bucket is the source; IAM cannot
   * know which side is active. Nothing outside `<prefix>{backups,kopia,restic}/` of the two
   * buckets is reachable.
   */
  private grantBuckets(): void {
    const { config } = this;
    const stack = Stack.of(this);
    const objectArns: string[] = [];
    for (const side of SIDES) {
      const { bucket, prefix } = config.backups.buckets[side];
      // ListObjectsV2 is authorized as s3:ListBucket on the bucket; s3:prefix is the request's
      // Prefix parameter. The re-sync lists the whole BackupStorageLocation prefix in one
      // paginated listing (pages come in key order, so `backups/` is listed before `kopia/` and
      // `restic/`, as the copy order needs); the DNS check lists `backups/` alone. An empty BSL
      // prefix is sent as no Prefix at all, hence IfExists there.
      this.reactive.addToRolePolicy(
        new iam.PolicyStatement({
          sid: `ListVelero${side === 'primary' ? 'Primary' : 'Dr'}`,
          actions: ['s3:ListBucket'],
          resources: [
            stack.formatArn({ service: 's3', region: '', account: '', resource: bucket }),
          ],
          conditions: {
            [prefix === '' ? 'StringLikeIfExists' : 'StringLike']: {
              's3:prefix': [prefix, ...MIRRORED_AREAS.map((area) => `${prefix}${area}/*`)],
            },
          },
        }),
      );
      for (const area of MIRRORED_AREAS) {
        objectArns.push(
          stack.formatArn({
            service: 's3',
            region: '',
            account: '',
            resource: bucket,
            resourceName: `${prefix}${area}/*`,
          }),
        );
      }
    }
    // GetObject also authorizes HeadObject and reading a copy source; PutObject authorizes the
    // copy target, CreateMultipartUpload, UploadPartCopy and CompleteMultipartUpload.
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteVeleroAreas',
        actions: [
          's3:GetObject',
          's3:PutObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        resources: objectArns,
      }),
    );
    acknowledge(this, [
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          "The re-sync copies, verifies and deletes arbitrary objects of Velero's backups/, kopia/ and restic/ areas (names chosen by Velero and the repository), only under the BackupStorageLocation prefix of the two configured buckets.",
        appliesTo: objectArns.map((arn) => `Resource::${arn}`),
      },
    ]);
  }

  /**
   * The buckets' customer-managed keys, when configured: Decrypt to read (and to complete
   * multipart uploads), GenerateDataKey to write. S3 never calls kms:Encrypt for SSE-KMS. Only
   * through S3 in the bucket's own region.
   */
  private grantKeys(): void {
    const { config } = this;
    for (const side of SIDES) {
      const { kmsKeyArn, region } = config.backups.buckets[side];
      if (kmsKeyArn === undefined) continue;
      this.reactive.addToRolePolicy(
        new iam.PolicyStatement({
          sid: `UseVeleroKey${side === 'primary' ? 'Primary' : 'Dr'}`,
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [kmsKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
        }),
      );
    }
  }
}
