import { z } from 'zod';
import {
  ALARM_NAME_MAX_LENGTH,
  INSTANCE_TYPE,
  INSTANCE_TYPE_MAX_LENGTH,
  NODE_GROUP_ID,
} from './patterns';
import { AWS_REGIONS } from './regions';
import { ACCEPTABLE_BACKUP_PHASES } from '../resync/velero-phases';
import { restoreDrillSchema } from './restore-drill-schema';
import { backupDirectionSchema } from './backup-direction-schema';
import { eksClusterName } from './eks-cluster-name';
import { KUBERNETES_AUTH } from './kubernetes-access';
import { SIDES, type Side } from './sides';
import { ALARM_MODES } from './alarm-modes';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const S3_BUCKET = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const region = z.enum(AWS_REGIONS, { error: 'expected an AWS region name such as eu-west-1' });
const hostname = z
  .string()
  .regex(HOSTNAME, { error: 'expected a lower-case DNS name such as main.example.com' });
const seconds = z.int().min(0, { error: 'expected a number of seconds ≥ 0' });
const percent = z
  .number()
  .min(0, { error: 'expected a percentage between 0 and 100' })
  .max(100, { error: 'expected a percentage between 0 and 100' });
const secretName = z
  .string()
  .min(1, { error: 'expected a Secrets Manager secret name' })
  .max(512, { error: 'expected at most 512 characters (the Secrets Manager limit)' });
const instanceType = z
  .string()
  .max(INSTANCE_TYPE_MAX_LENGTH)
  .regex(INSTANCE_TYPE, { error: 'expected an EC2 instance type such as m6i.large' });

/**
 * List limits: a config is read by every function at cold start and by every CLI run, and each
 * entry costs API calls (status reads every node group) and CloudFormation resources (a region
 * stack holds at most 500), so no list may grow without bound.
 */
export const LIST_LIMITS = {
  nodeGroups: 50,
  ladder: 32,
  zones: 20,
  vpnConnections: 10,
} as const;

export { SIDES, type Side };

const cluster = z.strictObject({
  region: region.describe('AWS region of the EKS cluster'),
  endpoint: hostname.describe(
    'the name external-dns publishes for this cluster (the main record points here)',
  ),
  healthAlarm: z
    .string()
    .min(1, { error: 'expected the name of a CloudWatch alarm' })
    .max(ALARM_NAME_MAX_LENGTH, { error: 'expected at most 255 characters (the CloudWatch limit)' })
    .describe("CloudWatch alarm (in controlRegion) on the endpoint's Route 53 health check"),
});

const dns = z.strictObject({
  hostedZoneId: z
    .string()
    .regex(/^[A-Z0-9]{2,32}$/, { error: 'expected a Route 53 hosted zone id such as Z0123456789' })
    .describe('public hosted zone holding the main and drill records'),
  recordName: hostname.describe('customer-facing CNAME that drpilot alone owns'),
  drillRecordName: hostname.describe('CNAME that drills flip instead of the main record'),
  ttl: z
    .int()
    .min(5, { error: 'expected a TTL between 5 and 300 seconds (30–60 is recommended)' })
    .max(300, { error: 'expected a TTL between 5 and 300 seconds (30–60 is recommended)' })
    .describe('TTL of the CNAME in seconds; 30–60 keeps failover fast'),
  healthCheckIntervalSeconds: z
    .union([z.literal(10), z.literal(30)], {
      error: 'expected 10 or 30 (Route 53 request intervals)',
    })
    .default(30)
    .describe(
      'seconds between the Route 53 health checks of each endpoint: 30 (standard), or 10 (fast: an endpoint is declared unhealthy 60 s sooner, for $1.00 more per check and month)',
    ),
  healthCheckPath: z
    .string()
    .max(255, { error: 'expected at most 255 characters (the Route 53 health check limit)' })
    .regex(/^\/[^\s]*$/, { error: 'expected a path such as /healthz' })
    .default('/healthz')
    .describe('path the Route 53 HTTPS health checks request on each endpoint'),
  cooldownSeconds: seconds.default(900).describe('no further switch this long after a switch'),
  autoFailback: z
    .boolean()
    .default(false)
    .describe('fail back automatically when the primary recovers (off: a person decides)'),
  mode: z
    .enum(['auto', 'approve'], { error: 'expected "auto" or "approve"' })
    .default('auto')
    .describe(
      "auto: alarms and the re-plan switch by themselves; approve: such a switch waits as a request for `drpilot approve <id>` (a person's failover/failback is not held)",
    ),
  approvalTtlSeconds: z
    .int()
    .min(60, { error: 'expected between 60 and 604800 seconds' })
    .max(604800, { error: 'expected between 60 and 604800 seconds' })
    .default(3600)
    .describe('how long an approval request (DNS or resize) can be approved before it expires'),
  checks: z
    .strictObject({
      targetHealthy: z.boolean().default(true).describe("the target's health alarm must be OK"),
      tlsSan: z
        .boolean()
        .default(true)
        .describe('the target must present a valid certificate whose SANs cover recordName'),
      maxBackupAgeSeconds: z
        .int()
        .positive({ error: 'expected a number of seconds > 0' })
        .default(3600)
        .describe('the target side needs a restorable backup at most this old'),
      caBundle: z
        .string()
        .max(65536, { error: 'expected at most 64 KiB of PEM' })
        .regex(/-----BEGIN CERTIFICATE-----/, { error: 'expected PEM certificates' })
        .optional()
        .describe('PEM of CAs to trust besides the system ones (a private CA), for the TLS check'),
    })
    .prefault({})
    .describe('checks before switching to a side; --force skips them (audited)'),
  externalDns: z
    .strictObject({
      txtPrefix: z.string().max(63).default('').describe('external-dns --txt-prefix, if set'),
      txtSuffix: z.string().max(63).default('').describe('external-dns --txt-suffix, if set'),
    })
    .prefault({})
    .describe('how external-dns names its ownership TXT records (to refuse a name it owns)'),
});

// EC2 tags: keys up to 128 characters, values up to 256.
const tagSelector = z.strictObject({
  key: z.string().min(1, { error: 'expected a tag key' }).max(128),
  value: z.string().min(1, { error: 'expected a tag value' }).max(256),
});

const nodeGroup = z.strictObject({
  id: z
    .string()
    .regex(NODE_GROUP_ID, {
      error: 'expected a lower-case id of letters, digits and - (at most 63)',
    })
    .describe('name used by the CLI (`drpilot resize <id>`) and in alarms'),
  cluster: z.string().describe('"primary" or "dr"'),
  kind: z
    .enum(['ec2', 'asg', 'eks-managed'], {
      error: 'expected one of "ec2", "asg", "eks-managed"',
    })
    .describe('standalone instances, an Auto Scaling group, or an EKS managed node group'),
  selector: z
    .strictObject({
      tag: tagSelector.optional().describe('instances carrying this tag (kind ec2, or asg)'),
      autoScalingGroupName: z.string().min(1).max(255).optional().describe('kind asg'),
      eks: z
        .strictObject({
          clusterName: z.string().min(1).max(100),
          nodegroupName: z.string().min(1).max(63),
        })
        .optional()
        .describe('kind eks-managed'),
    })
    .describe('which nodes belong to the group'),
  metric: z
    .enum(['cpu', 'memory'], { error: 'expected "cpu" or "memory"' })
    .describe('the alarmed dimension (memory needs the CloudWatch agent)'),
  alarms: z
    .enum(ALARM_MODES, { error: 'expected one of "auto", "group", "members"' })
    .default('auto')
    .describe(
      'kind ec2: how the resize alarms cover the members. "members": an up/down alarm pair per instance ($0.20 per node a month); "group": one pair on the CloudWatch agent\'s rollup of the alarmed metric over the dimension `DrpilotGroup=<id>` (`drpilot agent-config <id>` prints the agent config); "auto": "group" once CloudWatch lists that metric (ListMetrics, data in the past three hours), else "members". The Auto Scaling kinds always alarm each Auto Scaling group, which covers its instances: "group" is refused there',
    ),
  ladder: z
    .array(instanceType)
    .min(1, { error: 'expected at least one instance type' })
    .max(LIST_LIMITS.ladder)
    .describe(
      "instance types from smallest to largest; a single type means: derive the family's sizes from DescribeInstanceTypes",
    ),
  maxStepRatio: z
    .number()
    .gt(1, { error: 'expected a ratio > 1' })
    .max(16)
    .default(2)
    .describe('largest growth of the alarmed dimension in one step'),
  headroom: z
    .number()
    .min(1, { error: 'expected a headroom factor ≥ 1 (1.2 = size for 120% of load)' })
    .max(4)
    .default(1.2)
    .describe('size for this multiple of the p95 load'),
  scaleUpAt: percent.default(75).describe('utilisation (%) that triggers a step up'),
  scaleDownAt: percent.default(30).describe('utilisation (%) that allows a step down'),
  cooldownSeconds: seconds.default(1800).describe('no further rollout this long after one'),
  drainTimeoutSeconds: z
    .int()
    .min(10, { error: 'expected a drain timeout of 10 to 3600 seconds' })
    .max(3600, { error: 'expected a drain timeout of 10 to 3600 seconds' })
    .default(180)
    .describe(
      'kind ec2: how long a node may take to drain (evictions blocked by a PodDisruptionBudget, pods terminating); after it the node is uncordoned, not stopped, and the rollout ends as blocked',
    ),
  approveAboveShare: z
    .number()
    .min(0, { error: 'expected a share of the nodes from 0 to 1' })
    .max(1, { error: 'expected a share of the nodes from 0 to 1' })
    .optional()
    .describe(
      'an automatic resize moving more than this share (0–1) of the nodes waits for `drpilot approve <id>`',
    ),
  kubernetes: z
    .strictObject({
      auth: z
        .enum(KUBERNETES_AUTH, { error: 'expected "kubeconfig" or "eks"' })
        .optional()
        .describe(
          'how drpilot authenticates: "eks" (a short-lived IAM token; the CDK gives the resize role an EKS access entry) or "kubeconfig" (kubeconfigSecret); default: "eks" when only clusterName is set',
        ),
      kubeconfigSecret: secretName
        .optional()
        .describe('Secrets Manager secret holding the kubeconfig (auth "kubeconfig")'),
      clusterName: eksClusterName
        .optional()
        .describe('the EKS cluster the nodes belong to (auth "eks")'),
    })
    .optional()
    .describe('API access for cordon and drain (required for kind ec2)'),
});

const bucket = z.strictObject({
  bucket: z
    .string()
    .regex(S3_BUCKET, { error: 'expected an S3 bucket name (3–63 of a-z 0-9 . -)' }),
  region,
  prefix: z
    .string()
    .regex(/^$|^[^/].*\/$/, {
      error: 'expected "" or a prefix ending in "/" without a leading "/"',
    })
    .default('')
    .describe('the BackupStorageLocation prefix'),
  kmsKeyArn: z
    .string()
    .regex(/^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, {
      error: 'expected a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/<uuid>',
    })
    .optional()
    .describe(
      'customer-managed KMS key of the bucket (SSE-KMS), if any: re-sync decrypts/encrypts with it',
    ),
});

const backups = z.strictObject({
  buckets: z
    .strictObject({ primary: bucket, dr: bucket })
    .describe('the Velero BackupStorageLocation bucket of each side'),
  acceptPhases: z
    .array(
      z.enum(ACCEPTABLE_BACKUP_PHASES, {
        error: 'expected "Completed" or "PartiallyFailed": other phases are not restorable',
      }),
    )
    .min(1, { error: 'expected at least one phase' })
    .max(ACCEPTABLE_BACKUP_PHASES.length)
    .default(['Completed'])
    .describe('backup phases that count as restorable'),
  keepLatest: z
    .int()
    .min(1, { error: 'expected at least 1' })
    .default(3)
    .describe('the newest restorable backups on the standby side are never deleted'),
  deleteGraceSeconds: seconds
    .default(86400)
    .describe('a backup gone from the active side is deleted on the standby side after this'),
  rpoAlarmSeconds: z
    .int()
    .positive({ error: 'expected a number of seconds > 0' })
    .default(7200)
    .describe("alarm when the standby side's newest restorable backup is older than this"),
  multipartThresholdBytes: z
    .int()
    .min(5 * 1024 * 1024, { error: 'expected at least 5 MiB (the S3 minimum part size)' })
    .max(5 * 1024 ** 3, { error: 'expected at most 5 GiB (the S3 CopyObject limit)' })
    .default(5 * 1024 ** 3)
    .describe('objects at least this large are copied with multipart UploadPartCopy'),
  restoreDrill: restoreDrillSchema
    .optional()
    .describe(
      "the restore drill: restores the DR side's newest restorable backup into scratch namespaces of the DR cluster",
    ),
  velero: backupDirectionSchema.optional(),
});

const tunnels = z.strictObject({
  vpnConnections: z
    .array(
      z.strictObject({
        id: z.string().regex(/^vpn-[0-9a-f]{8,17}$/, {
          error: 'expected a VPN connection id such as vpn-0abc1234',
        }),
        region,
        outsideIps: z
          .array(z.string().regex(IPV4, { error: 'expected an IPv4 address such as 203.0.113.10' }))
          .length(2, { error: 'expected the outside IPs of both tunnels of the connection' })
          .describe(
            'the outside IPs of the connection\'s two tunnels (TunnelIpAddress of TunnelState): aws ec2 describe-vpn-connections --query "VpnConnections[].VgwTelemetry[].OutsideIpAddress"',
          ),
      }),
    )
    .max(LIST_LIMITS.vpnConnections)
    .describe('site-to-site VPN connections to AKS whose tunnels are watched'),
});

const resolverEndpoint = z.string().regex(/^rslvr-in-[0-9a-z]+$/, {
  error: 'expected an inbound resolver endpoint id (rslvr-in-…)',
});

const azure = z.strictObject({
  webhookUrl: z
    .url({ protocol: /^https$/, error: 'expected an https:// URL' })
    .max(2048)
    .describe("the Azure Function's events endpoint"),
  secretName: secretName.describe('Secrets Manager secret with the HMAC key for signed events'),
  mode: z
    .enum(['coredns', 'private-resolver'], {
      error: 'expected "coredns" or "private-resolver"',
    })
    .describe('AKS forwards via coredns-custom, or via a DNS private resolver ruleset'),
  zones: z
    .array(hostname)
    .min(1, { error: 'expected at least one zone' })
    .max(LIST_LIMITS.zones)
    .describe('AWS private zones AKS forwards to Route 53 Resolver'),
  resolverEndpoints: z
    .strictObject({ primary: resolverEndpoint, dr: resolverEndpoint })
    .describe('Route 53 Resolver inbound endpoints per side'),
  caBundle: z
    .string()
    .max(65536, { error: 'expected at most 64 KiB of PEM' })
    .regex(/-----BEGIN CERTIFICATE-----/, { error: 'expected PEM certificates' })
    .optional()
    .describe(
      'PEM of CAs to trust besides the system ones for webhookUrl (a private CA in front of the Function app)',
    ),
  forwardingRulesetId: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe('Azure DNS forwarding ruleset (mode private-resolver)'),
});

const triggers = z
  .strictObject({
    maxEventAgeSeconds: z
      .int()
      .min(60, { error: 'expected between 60 and 86400 seconds' })
      .max(86400, { error: 'expected between 60 and 86400 seconds' })
      .default(600)
      .describe(
        'an alarm event whose state change is older than this is refused as stale (a late redelivery or a replay); a standing alarm is re-planned every few minutes instead',
      ),
  })
  .prefault({})
  .describe('how far drpilot trusts an alarm event before it re-observes the alarm');

export const ENCRYPTION_MODES = ['service-managed', 'customer-managed'] as const;

// What drpilot's own resources are encrypted with. Under service-managed no stack has a customer
// managed key: the notification topics use the AWS managed key alias/aws/sns, which works because
// alarms page through EventBridge and a function (lib/pager.ts) rather than publishing to the
// topic themselves, which needs a key whose policy lets cloudwatch.amazonaws.com in
// (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
const encryption = z
  .enum(ENCRYPTION_MODES, { error: 'expected "service-managed" or "customer-managed"' })
  .default('service-managed')
  .describe(
    'service-managed: failure and event queues use SQS-managed SSE, the state table the DynamoDB AWS owned key and the notification topics the AWS managed key alias/aws/sns (no key to pay for); customer-managed: each stack gets a customer managed key ($1 a month each) for its queues, table and topic (plus about $0.40 a month in KMS requests at the default schedules: npm run cost)',
  );

const observability = z
  .strictObject({
    tracing: z
      .boolean()
      .default(false)
      .describe(
        'X-Ray active tracing of every function ($5 per million traces: about $0.72 a month at the default schedules); the state machines are traced either way',
      ),
    dashboard: z
      .boolean()
      .default(false)
      .describe(
        'the CloudWatch dashboard <name>-drpilot in controlRegion ($3.00 a month beyond the account’s first three dashboards)',
      ),
  })
  .prefault({})
  .describe('optional observability that costs money every month');

const drills = z
  .strictObject({
    reportRetentionDays: z
      .int({ error: 'expected a whole number of days' })
      // S3 takes Object Lock's default retention as a positive number of days
      // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DefaultRetention.html); drpilot caps it
      // at 100 years, since a governance lock cannot be shortened on reports already written.
      .min(1, { error: 'expected at least 1 day' })
      .max(36500, { error: 'expected at most 36500 days (100 years)' })
      .default(365)
      .describe(
        'how long each drill report stays in the drill report bucket, locked (Object Lock, governance mode) and then expired by the lifecycle',
      ),
  })
  .prefault({})
  .describe('the drill runbook and its reports');

/** The structure of drpilot.config.json; validateConfig adds the cross-field rules once it holds. */
export const configSchema = z.strictObject({
  $schema: z.string().optional().describe('path or URL of drpilot.schema.json, for editors'),
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,23}$/, {
      error: 'expected 2–24 lower-case letters, digits or -, starting with a letter',
    })
    .describe('prefix of every resource name'),
  controlRegion: z
    .literal('us-east-1', {
      error:
        'must be us-east-1: Route 53 health-check metrics and the record-change API live there',
    })
    .describe('where the control plane runs: us-east-1'),
  stateTable: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, {
      error: 'expected a DynamoDB table name (3–255 of A-Z a-z 0-9 _ . -)',
    })
    .describe('DynamoDB table (controlRegion) for leases, cooldowns and the audit trail'),
  clusters: z
    .strictObject({
      primary: cluster.describe('the cluster that serves normally'),
      dr: cluster.describe('the standby cluster in the other region'),
    })
    .describe('the two EKS clusters'),
  dns: dns.describe('the DR DNS record'),
  nodeGroups: z
    .array(nodeGroup)
    .max(LIST_LIMITS.nodeGroups)
    .default([])
    .describe('node groups drpilot may resize'),
  backups: backups.describe('Velero backup re-sync between the sides'),
  triggers: triggers,
  encryption: encryption,
  observability: observability,
  drills: drills,
  tunnels: tunnels.optional().describe('VPN tunnels to AKS'),
  azure: azure.optional().describe('the paired Azure Function (AKS side)'),
});

export type DrpilotConfig = z.output<typeof configSchema>;
export type ClusterConfig = DrpilotConfig['clusters'][Side];
export type NodeGroupConfig = DrpilotConfig['nodeGroups'][number];
export type BackupsConfig = DrpilotConfig['backups'];
