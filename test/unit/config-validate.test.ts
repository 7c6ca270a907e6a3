import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/core/config/validate';
import { exampleConfig } from '../support/example-config';

type Mutation = (config: Record<string, any>) => void;

const badConfigs: [string, Mutation, { path: string; message: string }[]][] = [
  [
    'control region elsewhere',
    (c) => (c.controlRegion = 'eu-west-1'),
    [
      {
        path: 'controlRegion',
        message:
          'must be us-east-1: Route 53 health-check metrics and the record-change API live there',
      },
    ],
  ],
  ['missing name', (c) => delete c.name, [{ path: 'name', message: 'required' }]],
  [
    'name with capitals',
    (c) => (c.name = 'Acme'),
    [
      {
        path: 'name',
        message:
          'expected 2–24 lower-case letters, digits or -, starting with a letter, got "Acme"',
      },
    ],
  ],
  ['unknown top-level key', (c) => (c.extra = true), [{ path: 'extra', message: 'unknown field' }]],
  [
    'unknown nested key (typo)',
    (c) => (c.dns.tll = 30),
    [{ path: 'dns.tll', message: 'unknown field' }],
  ],
  [
    'region that does not exist',
    (c) => (c.clusters.dr.region = 'eu-mars-1'),
    [
      {
        path: 'clusters.dr.region',
        message: 'expected an AWS region name such as eu-west-1, got "eu-mars-1"',
      },
    ],
  ],
  [
    'both clusters in one region',
    (c) => (c.clusters.dr.region = 'eu-west-1'),
    [
      {
        path: 'clusters.dr.region',
        message: 'must differ from clusters.primary.region (eu-west-1)',
      },
    ],
  ],
  [
    'node group on an unknown cluster',
    (c) => (c.nodeGroups[0].cluster = 'staging'),
    [
      {
        path: 'nodeGroups[0].cluster',
        message: 'unknown cluster "staging": expected one of "primary", "dr"',
      },
    ],
  ],
  [
    'scaleDownAt above scaleUpAt',
    (c) => (c.nodeGroups[1].scaleDownAt = 90),
    [{ path: 'nodeGroups[1].scaleDownAt', message: 'must be below scaleUpAt (80), got 90' }],
  ],
  [
    'step down that would trigger a step up',
    (c) => (c.nodeGroups[0].scaleDownAt = 40),
    [
      {
        path: 'nodeGroups[0].scaleDownAt',
        message:
          'scaleDownAt × maxStepRatio (40 × 2) must stay below scaleUpAt (75), or a step down would trigger a step up',
      },
    ],
  ],
  [
    'ladder with a duplicate',
    (c) => c.nodeGroups[0].ladder.push('m6i.large'),
    [{ path: 'nodeGroups[0].ladder', message: 'lists m6i.large more than once' }],
  ],
  [
    'ladder entry that is no instance type',
    (c) => (c.nodeGroups[0].ladder[1] = 'large'),
    [
      {
        path: 'nodeGroups[0].ladder[1]',
        message: 'expected an EC2 instance type such as m6i.large, got "large"',
      },
    ],
  ],
  [
    'empty ladder',
    (c) => (c.nodeGroups[0].ladder = []),
    [{ path: 'nodeGroups[0].ladder', message: 'expected at least one instance type, got []' }],
  ],
  [
    'the same bucket on both sides',
    (c) => (c.backups.buckets.dr.bucket = c.backups.buckets.primary.bucket),
    [
      {
        path: 'backups.buckets.dr.bucket',
        message:
          'must differ from backups.buckets.primary.bucket: re-sync copies between two buckets',
      },
    ],
  ],
  [
    'a non-restorable accept phase',
    (c) => (c.backups.acceptPhases = ['Completed', 'InProgress']),
    [
      {
        path: 'backups.acceptPhases[1]',
        message:
          'expected "Completed" or "PartiallyFailed": other phases are not restorable, got "InProgress"',
      },
    ],
  ],
  [
    'TTL too short',
    (c) => (c.dns.ttl = 1),
    [
      {
        path: 'dns.ttl',
        message: 'expected a TTL between 5 and 300 seconds (30–60 is recommended), got 1',
      },
    ],
  ],
  [
    'TTL as a string',
    (c) => (c.dns.ttl = '30'),
    [{ path: 'dns.ttl', message: 'expected number, got "30"' }],
  ],
  [
    'drill record equal to the main record',
    (c) => (c.dns.drillRecordName = 'main.example.com'),
    [
      {
        path: 'dns.drillRecordName',
        message: 'must differ from dns.recordName, or a drill would move customer traffic',
      },
    ],
  ],
  [
    'main record equal to an endpoint',
    (c) => (c.dns.recordName = 'dr.example.com'),
    [
      {
        path: 'dns.recordName',
        message: 'must differ from clusters.dr.endpoint: the main record points at the endpoints',
      },
    ],
  ],
  [
    'hosted zone id of the wrong shape',
    (c) => (c.dns.hostedZoneId = '/hostedzone/Z123'),
    [
      {
        path: 'dns.hostedZoneId',
        message: 'expected a Route 53 hosted zone id such as Z0123456789, got "/hostedzone/Z123"',
      },
    ],
  ],
  [
    'duplicate node group ids',
    (c) => (c.nodeGroups[1].id = c.nodeGroups[0].id),
    [
      {
        path: 'nodeGroups[1].id',
        message: 'duplicate node group id "primary-workers" (also nodeGroups[0])',
      },
    ],
  ],
  [
    'unknown node group kind',
    (c) => (c.nodeGroups[0].kind = 'karpenter'),
    [
      {
        path: 'nodeGroups[0].kind',
        message: 'expected one of "ec2", "asg", "eks-managed", got "karpenter"',
      },
    ],
  ],
  [
    'ec2 group without Kubernetes credentials',
    (c) => delete c.nodeGroups[0].kubernetes,
    [
      {
        path: 'nodeGroups[0].kubernetes',
        message: 'required for kind "ec2": nodes are drained through the Kubernetes API',
      },
    ],
  ],
  [
    'a health-check interval Route 53 does not offer',
    (c) => (c.dns.healthCheckIntervalSeconds = 20),
    [
      {
        path: 'dns.healthCheckIntervalSeconds',
        message: 'expected 10 or 30 (Route 53 request intervals), got 20',
      },
    ],
  ],
  [
    'an encryption mode that does not exist',
    (c) => (c.encryption = 'aws-managed'),
    [
      {
        path: 'encryption',
        message: 'expected "service-managed" or "customer-managed", got "aws-managed"',
      },
    ],
  ],
  [
    'tracing as a string',
    (c) => (c.observability = { tracing: 'yes' }),
    [{ path: 'observability.tracing', message: 'expected boolean, got "yes"' }],
  ],
  [
    'eks-managed group without its node group name',
    (c) => (c.nodeGroups[0].kind = 'eks-managed'),
    [
      {
        path: 'nodeGroups[0].selector.eks',
        message: 'required for kind "eks-managed": { clusterName, nodegroupName }',
      },
    ],
  ],
  [
    'an alarms mode that does not exist',
    (c) => (c.nodeGroups[0].alarms = 'metric-math'),
    [
      {
        path: 'nodeGroups[0].alarms',
        message: 'expected one of "auto", "group", "members", got "metric-math"',
      },
    ],
  ],
  [
    'alarms "group" on an Auto Scaling kind',
    (c) => {
      c.nodeGroups[0].kind = 'asg';
      c.nodeGroups[0].selector = { autoScalingGroupName: 'workers' };
      c.nodeGroups[0].alarms = 'group';
    },
    [
      {
        path: 'nodeGroups[0].alarms',
        message:
          '"group" is for kind "ec2" only: a kind "asg" group is alarmed per Auto Scaling group (AutoScalingGroupName covers its instances); use "auto" or "members"',
      },
    ],
  ],
  [
    'webhook over plain http',
    (c) => (c.azure.webhookUrl = 'http://acme.example.com/api/events'),
    [
      {
        path: 'azure.webhookUrl',
        message: 'expected an https:// URL, got "http://acme.example.com/api/events"',
      },
    ],
  ],
  [
    'private-resolver mode without a ruleset',
    (c) => (c.azure.mode = 'private-resolver'),
    [
      {
        path: 'azure.forwardingRulesetId',
        message: 'required when azure.mode is "private-resolver"',
      },
    ],
  ],
  [
    'VPN connection id of the wrong shape',
    (c) => (c.tunnels.vpnConnections[0].id = 'vpn-xyz'),
    [
      {
        path: 'tunnels.vpnConnections[0].id',
        message: 'expected a VPN connection id such as vpn-0abc1234, got "vpn-xyz"',
      },
    ],
  ],
  [
    'bucket prefix with a leading slash',
    (c) => (c.backups.buckets.dr.prefix = '/velero/'),
    [
      {
        path: 'backups.buckets.dr.prefix',
        message: 'expected "" or a prefix ending in "/" without a leading "/", got "/velero/"',
      },
    ],
  ],
  [
    'drill reports kept 0 days',
    (c) => (c.drills = { reportRetentionDays: 0 }),
    [{ path: 'drills.reportRetentionDays', message: 'expected at least 1 day, got 0' }],
  ],
  [
    'drill reports kept beyond 100 years',
    (c) => (c.drills = { reportRetentionDays: 36501 }),
    [
      {
        path: 'drills.reportRetentionDays',
        message: 'expected at most 36500 days (100 years), got 36501',
      },
    ],
  ],
  [
    'drill reports kept part of a day',
    (c) => (c.drills = { reportRetentionDays: 1.5 }),
    [{ path: 'drills.reportRetentionDays', message: 'expected a whole number of days, got 1.5' }],
  ],
  [
    'clusters as an array',
    (c) => (c.clusters = []),
    [{ path: 'clusters', message: 'expected object, got []' }],
  ],
];

describe('validateConfig', () => {
  it('accepts the checked-in example config and fills the defaults', () => {
    const result = validateConfig(exampleConfig());
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('fills defaults for optional fields', () => {
    const config = exampleConfig();
    delete config.dns.autoFailback;
    delete config.backups.acceptPhases;
    delete config.nodeGroups[0].maxStepRatio;
    delete config.tunnels;
    const result = validateConfig(config);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.config.dns.autoFailback).toBe(false);
    expect(result.config.backups.acceptPhases).toEqual(['Completed']);
    expect(result.config.nodeGroups[0]?.maxStepRatio).toBe(2);
    expect(result.config.nodeGroups[0]?.alarms).toBe('auto');
    expect(result.config.tunnels).toBeUndefined();
    expect(result.config.backups.multipartThresholdBytes).toBe(5 * 1024 ** 3);
    expect(result.config.dns.healthCheckIntervalSeconds).toBe(30);
    expect(result.config.drills.reportRetentionDays).toBe(365);
    // What costs money every month without doing drpilot's job is opt-in (docs/cost.md).
    expect(result.config.encryption).toBe('service-managed');
    expect(result.config.observability).toEqual({ tracing: false, dashboard: false });
  });

  it.each(badConfigs)('rejects %s with the exact message', (_name, mutate, expected) => {
    const config = exampleConfig();
    mutate(config);
    expect(validateConfig(config)).toEqual({ ok: false, errors: expected });
  });

  it('reports every structural error at once', () => {
    const config = exampleConfig();
    config.controlRegion = 'eu-west-1';
    config.dns.ttl = 1;
    config.surprise = 1;
    const result = validateConfig(config);
    expect(result.ok).toBe(false);
    expect(result.errors.map((e) => e.path)).toEqual(['controlRegion', 'dns.ttl', 'surprise']);
  });

  it('rejects a document that is not an object', () => {
    expect(validateConfig([])).toEqual({
      ok: false,
      errors: [{ path: '(config)', message: 'expected object, got []' }],
    });
  });
});
