import { z } from 'zod';
import { AWS_REGIONS } from './regions';
import { ACCEPTABLE_BACKUP_PHASES } from './velero-phases';

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+(-[a-z0-9]+)?$/;
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

export const SIDES = ['primary', 'dr'] as const;
export type Side = (typeof SIDES)[number];

const cluster = z.strictObject({
  region,
  endpoint: hostname,
  healthAlarm: z.string().min(1, { error: 'expected the name of a CloudWatch alarm' }),
});

const dns = z.strictObject({
  hostedZoneId: z
    .string()
    .regex(/^[A-Z0-9]{2,32}$/, { error: 'expected a Route 53 hosted zone id such as Z0123456789' }),
  recordName: hostname,
  drillRecordName: hostname,
  ttl: z
    .int()
    .min(5, { error: 'expected a TTL between 5 and 300 seconds (30–60 is recommended)' })
    .max(300, { error: 'expected a TTL between 5 and 300 seconds (30–60 is recommended)' }),
  cooldownSeconds: seconds.default(900),
  autoFailback: z.boolean().default(false),
  checks: z
    .strictObject({
      targetHealthy: z.boolean().default(true),
      tlsSan: z.boolean().default(true),
      maxBackupAgeSeconds: z.int().positive({ error: 'expected a number of seconds > 0' }),
    })
    .prefault({ maxBackupAgeSeconds: 3600 }),
  externalDns: z
    .strictObject({
      txtPrefix: z.string().default(''),
      txtSuffix: z.string().default(''),
    })
    .prefault({}),
});

const tagSelector = z.strictObject({
  key: z.string().min(1, { error: 'expected a tag key' }),
  value: z.string().min(1, { error: 'expected a tag value' }),
});

const nodeGroup = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
    error: 'expected a lower-case id of letters, digits and -',
  }),
  cluster: z.string(),
  kind: z.enum(['ec2', 'asg', 'eks-managed'], {
    error: 'expected one of "ec2", "asg", "eks-managed"',
  }),
  selector: z.strictObject({
    tag: tagSelector.optional(),
    autoScalingGroupName: z.string().min(1).optional(),
    eks: z
      .strictObject({ clusterName: z.string().min(1), nodegroupName: z.string().min(1) })
      .optional(),
  }),
  metric: z.enum(['cpu', 'memory'], { error: 'expected "cpu" or "memory"' }),
  ladder: z
    .array(
      z.string().regex(INSTANCE_TYPE, { error: 'expected an EC2 instance type such as m6i.large' }),
    )
    .min(1, { error: 'expected at least one instance type' }),
  maxStepRatio: z.number().gt(1, { error: 'expected a ratio > 1' }).max(16).default(2),
  headroom: z
    .number()
    .min(1, { error: 'expected a headroom factor ≥ 1 (1.2 = size for 120% of load)' })
    .max(4)
    .default(1.2),
  scaleUpAt: percent.default(75),
  scaleDownAt: percent.default(30),
  cooldownSeconds: seconds.default(1800),
  kubernetes: z
    .strictObject({
      kubeconfigSecret: z.string().min(1, { error: 'expected a Secrets Manager secret name' }),
    })
    .optional(),
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
    .default(''),
});

const backups = z.strictObject({
  buckets: z.strictObject({ primary: bucket, dr: bucket }),
  acceptPhases: z
    .array(
      z.enum(ACCEPTABLE_BACKUP_PHASES, {
        error: 'expected "Completed" or "PartiallyFailed": other phases are not restorable',
      }),
    )
    .min(1, { error: 'expected at least one phase' })
    .default(['Completed']),
  keepLatest: z.int().min(1, { error: 'expected at least 1' }).default(3),
  deleteGraceSeconds: seconds.default(86400),
  rpoAlarmSeconds: z.int().positive({ error: 'expected a number of seconds > 0' }).default(7200),
  multipartThresholdBytes: z
    .int()
    .min(5 * 1024 * 1024, { error: 'expected at least 5 MiB (the S3 minimum part size)' })
    .max(5 * 1024 ** 3, { error: 'expected at most 5 GiB (the S3 CopyObject limit)' })
    .default(5 * 1024 ** 3),
});

const tunnels = z.strictObject({
  vpnConnections: z.array(
    z.strictObject({
      id: z.string().regex(/^vpn-[0-9a-f]{8,17}$/, {
        error: 'expected a VPN connection id such as vpn-0abc1234',
      }),
      region,
    }),
  ),
});

const azure = z.strictObject({
  webhookUrl: z.url({ protocol: /^https$/, error: 'expected an https:// URL' }),
  secretName: z.string().min(1, { error: 'expected a Secrets Manager secret name' }),
  mode: z.enum(['coredns', 'private-resolver'], {
    error: 'expected "coredns" or "private-resolver"',
  }),
  zones: z.array(hostname).min(1, { error: 'expected at least one zone' }),
  resolverEndpoints: z.strictObject({
    primary: z.string().regex(/^rslvr-in-[0-9a-z]+$/, {
      error: 'expected an inbound resolver endpoint id (rslvr-in-…)',
    }),
    dr: z.string().regex(/^rslvr-in-[0-9a-z]+$/, {
      error: 'expected an inbound resolver endpoint id (rslvr-in-…)',
    }),
  }),
  forwardingRulesetId: z.string().min(1).optional(),
});

const baseConfig = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().regex(/^[a-z][a-z0-9-]{1,23}$/, {
    error: 'expected 2–24 lower-case letters, digits or -, starting with a letter',
  }),
  controlRegion: z.literal('us-east-1', {
    error: 'must be us-east-1: Route 53 health-check metrics and the record-change API live there',
  }),
  stateTable: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, {
    error: 'expected a DynamoDB table name (3–255 of A-Z a-z 0-9 _ . -)',
  }),
  clusters: z.strictObject({ primary: cluster, dr: cluster }),
  dns,
  nodeGroups: z.array(nodeGroup).default([]),
  backups,
  tunnels: tunnels.optional(),
  azure: azure.optional(),
});

type Issue = { path: (string | number)[]; message: string };

/** Rules that span fields; each names the field a person has to change. */
export function crossFieldIssues(config: DrpilotConfig): Issue[] {
  const issues: Issue[] = [];
  const { clusters, dns, backups } = config;

  if (clusters.primary.region === clusters.dr.region) {
    issues.push({
      path: ['clusters', 'dr', 'region'],
      message: `must differ from clusters.primary.region (${clusters.primary.region})`,
    });
  }
  if (clusters.primary.endpoint === clusters.dr.endpoint) {
    issues.push({
      path: ['clusters', 'dr', 'endpoint'],
      message: 'must differ from clusters.primary.endpoint',
    });
  }
  if (clusters.primary.healthAlarm === clusters.dr.healthAlarm) {
    issues.push({
      path: ['clusters', 'dr', 'healthAlarm'],
      message: 'must differ from clusters.primary.healthAlarm',
    });
  }
  if (dns.drillRecordName === dns.recordName) {
    issues.push({
      path: ['dns', 'drillRecordName'],
      message: 'must differ from dns.recordName, or a drill would move customer traffic',
    });
  }
  for (const side of SIDES) {
    if (dns.recordName === clusters[side].endpoint) {
      issues.push({
        path: ['dns', 'recordName'],
        message: `must differ from clusters.${side}.endpoint: the main record points at the endpoints`,
      });
    }
  }
  if (backups.buckets.primary.bucket === backups.buckets.dr.bucket) {
    issues.push({
      path: ['backups', 'buckets', 'dr', 'bucket'],
      message:
        'must differ from backups.buckets.primary.bucket: re-sync copies between two buckets',
    });
  }
  if (new Set(backups.acceptPhases).size !== backups.acceptPhases.length) {
    issues.push({ path: ['backups', 'acceptPhases'], message: 'lists a phase twice' });
  }

  const seenIds = new Map<string, number>();
  config.nodeGroups.forEach((group, i) => {
    const at = (...rest: (string | number)[]) => ['nodeGroups', i, ...rest];
    const firstIndex = seenIds.get(group.id);
    if (firstIndex !== undefined) {
      issues.push({
        path: at('id'),
        message: `duplicate node group id "${group.id}" (also nodeGroups[${firstIndex}])`,
      });
    } else {
      seenIds.set(group.id, i);
    }
    if (!(SIDES as readonly string[]).includes(group.cluster)) {
      issues.push({
        path: at('cluster'),
        message: `unknown cluster "${group.cluster}": expected one of "primary", "dr"`,
      });
    }
    const duplicates = group.ladder.filter((type, j) => group.ladder.indexOf(type) !== j);
    if (duplicates.length > 0) {
      issues.push({
        path: at('ladder'),
        message: `lists ${[...new Set(duplicates)].join(', ')} more than once`,
      });
    }
    if (group.scaleDownAt >= group.scaleUpAt) {
      issues.push({
        path: at('scaleDownAt'),
        message: `must be below scaleUpAt (${group.scaleUpAt}), got ${group.scaleDownAt}`,
      });
    } else if (group.scaleDownAt * group.maxStepRatio >= group.scaleUpAt) {
      issues.push({
        path: at('scaleDownAt'),
        message: `scaleDownAt × maxStepRatio (${group.scaleDownAt} × ${group.maxStepRatio}) must stay below scaleUpAt (${group.scaleUpAt}), or a step down would trigger a step up`,
      });
    }
    issues.push(...selectorIssues(group, at));
  });

  const vpnIds = config.tunnels?.vpnConnections.map((c) => c.id) ?? [];
  vpnIds.forEach((id, j) => {
    if (vpnIds.indexOf(id) !== j) {
      issues.push({
        path: ['tunnels', 'vpnConnections', j, 'id'],
        message: `duplicate VPN connection id "${id}"`,
      });
    }
  });

  if (config.azure) {
    const zones = config.azure.zones;
    zones.forEach((zone, j) => {
      if (zones.indexOf(zone) !== j)
        issues.push({ path: ['azure', 'zones', j], message: `duplicate zone "${zone}"` });
    });
    if (config.azure.mode === 'private-resolver' && !config.azure.forwardingRulesetId) {
      issues.push({
        path: ['azure', 'forwardingRulesetId'],
        message: 'required when azure.mode is "private-resolver"',
      });
    }
  }
  return issues;
}

function selectorIssues(
  group: NodeGroupConfig,
  at: (...rest: (string | number)[]) => (string | number)[],
): Issue[] {
  const { selector, kind } = group;
  switch (kind) {
    case 'ec2': {
      const issues: Issue[] = [];
      if (!selector.tag)
        issues.push({
          path: at('selector', 'tag'),
          message: 'required for kind "ec2": instances are selected by tag',
        });
      if (!group.kubernetes)
        issues.push({
          path: at('kubernetes'),
          message: 'required for kind "ec2": nodes are drained through the Kubernetes API',
        });
      return issues;
    }
    case 'asg':
      return selector.autoScalingGroupName || selector.tag
        ? []
        : [
            {
              path: at('selector'),
              message: 'kind "asg" needs selector.autoScalingGroupName or selector.tag',
            },
          ];
    case 'eks-managed':
      return selector.eks
        ? []
        : [
            {
              path: at('selector', 'eks'),
              message: 'required for kind "eks-managed": { clusterName, nodegroupName }',
            },
          ];
  }
}

/** The structure of drpilot.config.json; validateConfig adds the cross-field rules once it holds. */
export const configSchema = baseConfig;

export type DrpilotConfig = z.output<typeof configSchema>;
export type ClusterConfig = DrpilotConfig['clusters'][Side];
export type NodeGroupConfig = DrpilotConfig['nodeGroups'][number];
export type BackupsConfig = DrpilotConfig['backups'];
