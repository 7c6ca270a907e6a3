import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SIDES, type DrpilotConfig, type Side } from '../lambdas/core/config/schema';
import {
  HEALTH_ALARM,
  HEALTH_CHECK_FAILURE_THRESHOLD,
} from '../lambdas/core/dns/health-check-timing';
import {
  NOTIFICATION_TOPIC_ENV,
  SCHEDULED_ACTIONS,
  scheduledPayload,
} from '../lambdas/core/shared-names';
import { names } from './names';
import { acknowledge } from './nag';
import { Pager } from './pager';
import { ReactiveFunction } from './reactive-function';
import { backupDirectionNeedsRoleName, grantBackupDirection } from './backup-direction-access';
import { describeHealthAlarmsStatement, readZoneStatement } from './shared-statements';

/**
 * The every-minute payload. An alarm fires only on a transition, so a refused automatic failover
 * is re-planned on this tick for as long as the primary stays unhealthy; the handler answers
 * `noop` at once when it is healthy.
 */
export const RECONCILE_INPUT = scheduledPayload(
  SCHEDULED_ACTIONS.dnsReconcile,
  'every minute while the primary is unhealthy',
);

/**
 * How the Route 53 health checks probe each endpoint: every `dns.healthCheckIntervalSeconds`
 * (30 s by default; 10 s is the "fast interval" option, billed extra per check), 3 failures to
 * declare it unhealthy.
 */
export const HEALTH_CHECK = {
  port: 443,
  failureThreshold: HEALTH_CHECK_FAILURE_THRESHOLD,
} as const;

/**
 * Reserved concurrency of the DNS function. The DynamoDB lease (a conditional write) is what makes
 * duplicate and concurrent triggers produce exactly one change, so concurrency is not a safety
 * mechanism here; the reservation is about availability:
 * - reserved at all, because failover happens during an incident, when other functions of the
 *   account may be eating the unreserved pool: this one must never be throttled by them;
 * - not 1, because the run holding the lease can spend up to 5 minutes waiting for INSYNC; with 1,
 *   a person's `drpilot status|failover --via lambda` (a synchronous invoke, never retried by
 *   Lambda) would fail with a throttle instead of a prompt "refused: lease held", and the
 *   every-minute tick and the alarm event would queue behind it instead of being answered;
 * - 3 covers the lease holder, one concurrent trigger (alarm event and tick together) and one
 *   manual call; more only lets a flood of duplicates fan out, each of which loses the lease.
 */
export const DNS_RESERVED_CONCURRENCY = 3;

export { NOTIFICATION_TOPIC_ENV };

/**
 * A record name as `route53:ChangeResourceRecordSetsNormalizedRecordNames` compares it (Route 53
 * Developer Guide, "Normalizing the condition key values"): lower case, no trailing dot, and any
 * character other than a–z, 0–9, `-`, `_` and `.` written as a `\` and three octal digits
 * (`*` → `\052`).
 */
export function normalizedRecordName(name: string): string {
  return [...name.toLowerCase().replace(/\.$/, '')]
    .map((c) => {
      if (/[a-z0-9_.-]/.test(c)) return c;
      const code = c.codePointAt(0) ?? 0;
      // Route 53 escapes bytes; a non-ASCII character has several in UTF-8, and IDNs belong in
      // punycode anyway.
      if (code > 0x7f) {
        throw new Error(`${name}: write internationalized names in punycode (xn--…)`);
      }
      return `\\${code.toString(8).padStart(3, '0')}`;
    })
    .join('');
}

const sideId = (side: Side) => (side === 'primary' ? 'Primary' : 'Dr');

export interface DnsFailoverProps {
  readonly config: DrpilotConfig;
  /** Leases, cooldowns and the audit trail. */
  readonly stateTable: dynamodb.ITable;
  /** Health alarms (OK and ALARM), the failure alarm and the function's decisions go here. */
  readonly notificationTopic: sns.ITopic;
  /** Encrypts the failure queue. */
  readonly encryptionKey?: kms.IKey;
}

/**
 * DR DNS rotation in the control region (us-east-1, where Route 53's HealthCheckStatus metrics and
 * record API live): an HTTPS health check per cluster endpoint, an alarm on each (named as the
 * config says, so every front door finds them), and the function that moves `dns.recordName` (or,
 * in a drill, `dns.drillRecordName`) between the two endpoints. It runs on every state change of
 * either alarm and every minute; its role may change only those two CNAMEs in the one zone.
 */
export class DnsFailover extends Construct {
  readonly reactive: ReactiveFunction;
  readonly healthChecks: Record<Side, route53.CfnHealthCheck>;
  readonly healthAlarms: Record<Side, cloudwatch.Alarm>;
  /** Both health alarms' state changes, delivered as EventBridge events. */
  readonly alarmChanged: events.Rule;
  /** The every-minute reconcile tick. */
  readonly reconcile: events.Rule;
  private readonly config: DrpilotConfig;

  constructor(scope: Construct, id: string, props: DnsFailoverProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region) && stack.region !== 'us-east-1') {
      throw new Error(
        `${this.node.path}: Route 53 publishes HealthCheckStatus only in us-east-1; this stack is in ${stack.region}`,
      );
    }

    this.healthChecks = {
      primary: this.healthCheck('primary'),
      dr: this.healthCheck('dr'),
    };
    this.healthAlarms = {
      primary: this.healthAlarm('primary'),
      dr: this.healthAlarm('dr'),
    };
    // People hear both ways: a side going down, and coming back.
    const pager = Pager.of(this, {
      config,
      topic: props.notificationTopic,
      encryptionKey: props.encryptionKey,
    });
    for (const side of SIDES) pager.pageOnAlarm(this.healthAlarms[side], { alsoWhenOk: true });

    this.reactive = new ReactiveFunction(this, 'Dns', {
      entry: 'lambdas/dns/handler.ts',
      description:
        'drpilot dns: moves the main CNAME between the primary and DR endpoints after checks, exactly once',
      functionName: names.function(config, 'dns'),
      ...(backupDirectionNeedsRoleName(config) ? { roleName: names.dnsRole(config) } : {}),
      config,
      alarmTopic: props.notificationTopic,
      encryptionKey: props.encryptionKey,
      // A switch waits for Route 53 to report INSYNC (usually under a minute, bounded by the
      // executor's own timeout, which must stay below this one).
      timeout: Duration.minutes(5),
      memorySize: 512,
      reservedConcurrency: DNS_RESERVED_CONCURRENCY,
    });
    const fn = this.reactive.fn;
    fn.addEnvironment(NOTIFICATION_TOPIC_ENV, props.notificationTopic.topicArn);

    // The event as is: the handler parses EventBridge "CloudWatch Alarm State Change" events.
    // Every state (OK too: autoFailback, and clearing a refused failover) goes to the function.
    this.alarmChanged = new events.Rule(this, 'HealthAlarmChanged', {
      description: `drpilot ${config.name}: a cluster health alarm changed state; re-plan the DNS target`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: SIDES.map((side) => config.clusters[side].healthAlarm) },
      },
      targets: [new targets.LambdaFunction(fn)],
    });

    // No dead-letter queue on either target: EventBridge retries delivery for 24 hours, a failed
    // run lands in the function's failure queue (alarmed), and the next tick re-plans anyway.
    this.reconcile = new events.Rule(this, 'Reconcile', {
      description: `drpilot ${config.name}: re-plan the DNS target every minute (an alarm fires only on a transition)`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(fn, {
          event: events.RuleTargetInput.fromObject(RECONCILE_INPUT),
        }),
      ],
    });

    this.grantRoute53();
    this.grantAlarms();
    this.grantBackups();
    grantBackupDirection(this.reactive, config);
    // Lease (conditional writes), cooldown and audit entries; the grant covers the table's key.
    props.stateTable.grantReadWriteData(this.reactive.role);
    // Decision notifications, refusals included; the grant covers the topic's key.
    this.reactive.allowPublish(props.notificationTopic);
  }

  private healthCheck(side: Side): route53.CfnHealthCheck {
    const { config } = this;
    return new route53.CfnHealthCheck(this, `${sideId(side)}HealthCheck`, {
      healthCheckConfig: {
        type: 'HTTPS',
        fullyQualifiedDomainName: config.clusters[side].endpoint,
        port: HEALTH_CHECK.port,
        resourcePath: config.dns.healthCheckPath,
        requestInterval: config.dns.healthCheckIntervalSeconds,
        failureThreshold: HEALTH_CHECK.failureThreshold,
        // The endpoint's ingress picks its certificate by SNI; Route 53 never validates it (the
        // function's TLS check does, with SNI = the main name).
        enableSni: true,
        measureLatency: false,
      },
      healthCheckTags: [{ key: 'Name', value: names.healthCheck(config, side) }],
    });
  }

  private healthAlarm(side: Side): cloudwatch.Alarm {
    const { config } = this;
    const { endpoint, healthAlarm } = config.clusters[side];
    const alarm = new cloudwatch.Alarm(this, `${sideId(side)}HealthAlarm`, {
      alarmName: healthAlarm,
      alarmDescription: `drpilot ${config.name}: the Route 53 HTTPS health check of the ${side} endpoint https://${endpoint}${config.dns.healthCheckPath} reports unhealthy (or no data).`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Route53',
        metricName: 'HealthCheckStatus',
        dimensionsMap: { HealthCheckId: this.healthChecks[side].attrHealthCheckId },
        statistic: cloudwatch.Stats.MINIMUM,
        period: Duration.seconds(HEALTH_ALARM.periodSeconds),
      }),
      // The health check already needs 3 failures 10 s apart to turn unhealthy: one minute is
      // enough debouncing here.
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: HEALTH_ALARM.evaluationPeriods,
      // No status (a check just created, or a CloudWatch delay) is INSUFFICIENT_DATA: never OK, so
      // never a side to fail over to, and never ALARM, so it never triggers a failover either.
      // Breaching would put both alarms in ALARM right after a deploy, and whichever check
      // reported first could pull the record over.
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    return alarm;
  }

  /**
   * The one zone: read records (the current target, external-dns's TXT records), and change only
   * the main and drill CNAMEs, as the executor's compare-and-swap does (DELETE the exact current
   * record, CREATE the new one). UPSERT is not granted: it would overwrite whatever is there.
   */
  private grantRoute53(): void {
    const { config } = this;
    const stack = Stack.of(this);
    const zoneArn = stack.formatArn({
      service: 'route53',
      region: '',
      account: '',
      resource: 'hostedzone',
      resourceName: config.dns.hostedZoneId,
    });
    const recordNames = [
      ...new Set([config.dns.recordName, config.dns.drillRecordName].map(normalizedRecordName)),
    ];
    const conditionKeys = {
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': recordNames,
      'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
      'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
    };
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SwitchTheMainAndDrillRecords',
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [zoneArn],
        conditions: {
          'ForAllValues:StringEquals': conditionKeys,
          // ForAllValues is true for a request without the key; require each one to be present.
          Null: Object.fromEntries(Object.keys(conditionKeys).map((key) => [key, 'false'])),
        },
      }),
    );
    this.reactive.addToRolePolicy(readZoneStatement(this, config, 'ReadTheZone'));
    const changes = stack.formatArn({
      service: 'route53',
      region: '',
      account: '',
      resource: 'change',
      resourceName: '*',
    });
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WaitForInsync',
        actions: ['route53:GetChange'],
        resources: [changes],
      }),
    );
    acknowledge(this.reactive.role, [
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          'route53:GetChange is authorized on the change resource, whose id Route 53 assigns per ChangeResourceRecordSets call; change/* is the narrowest ARN that can be written ahead of time, and GetChange only reads a status.',
        appliesTo: [`Resource::${changes}`],
      },
    ]);
  }

  /** The function asks both health alarms' state before it switches (DescribeAlarms by name). */
  private grantAlarms(): void {
    this.reactive.addToRolePolicy(describeHealthAlarmsStatement(this, this.config));
  }

  /**
   * The fresh-backup check reads `<prefix>backups/` of both Velero buckets (the target side is
   * whichever the switch goes to), and nothing else. Object existence must be checked by listing:
   * a HeadObject on a missing key answers 403, not 404, because s3:ListBucket is granted only for
   * requests whose `s3:prefix` is under `backups/`.
   */
  private grantBackups(): void {
    const { config } = this;
    const stack = Stack.of(this);
    const objectArns: string[] = [];
    for (const side of SIDES) {
      const { bucket, prefix, kmsKeyArn, region } = config.backups.buckets[side];
      this.reactive.addToRolePolicy(
        new iam.PolicyStatement({
          sid: `ListBackups${sideId(side)}`,
          actions: ['s3:ListBucket'],
          resources: [
            stack.formatArn({ service: 's3', region: '', account: '', resource: bucket }),
          ],
          conditions: { StringLike: { 's3:prefix': [`${prefix}backups/*`] } },
        }),
      );
      objectArns.push(
        stack.formatArn({
          service: 's3',
          region: '',
          account: '',
          resource: bucket,
          resourceName: `${prefix}backups/*`,
        }),
      );
      if (kmsKeyArn !== undefined) {
        this.reactive.addToRolePolicy(
          new iam.PolicyStatement({
            sid: `DecryptBackups${sideId(side)}`,
            actions: ['kms:Decrypt'],
            resources: [kmsKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
          }),
        );
      }
    }
    this.reactive.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadBackups',
        actions: ['s3:GetObject'],
        resources: objectArns,
      }),
    );
    acknowledge(this.reactive.role, [
      {
        rule: 'AwsSolutions-IAM5',
        reason:
          "The fresh-backup check reads Velero's backup metadata (velero-backup.json and its sidecars) under names Velero chooses per backup, read-only and only under the BackupStorageLocation's backups/ prefix of the two configured buckets.",
        appliesTo: objectArns.map((arn) => `Resource::${arn}`),
      },
    ]);
  }
}
