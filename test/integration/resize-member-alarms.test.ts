import {
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateLaunchTemplateCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateNodegroupCommand } from '@aws-sdk/client-eks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  autoScalingClient,
  cloudWatchClient,
  ec2Client,
  eksClient,
} from '../../lambdas/adapters/aws/clients';
import { TriggerEventError } from '../../lambdas/core/events/trigger-event';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { validateConfig } from '../../lambdas/core/config/validate';
import { handler, MemberAlarmsFailedError } from '../../lambdas/resize-alarms/handler';
import { INSTANCE_EVENTS, type QueuedBatch } from '../../lambdas/resize-alarms/instance-batch';
import {
  reconcileMemberAlarms,
  type MemberAlarmsReport,
} from '../../lambdas/resize-alarms/reconcile-member-alarms';
import { exampleConfig } from '../support/example-config';
import { useMoto } from '../support/moto';

useMoto();

const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const context = { awsRequestId: 'test' } as never;

/**
 * The example config's two ec2 groups (primary-workers: cpu in eu-west-1, dr-workers: memory in
 * eu-central-1), and in eu-west-1 an Auto Scaling group by name, one by tag and an EKS managed
 * node group.
 */
function testConfig(): DrpilotConfig {
  const raw = exampleConfig();
  const [primaryWorkers] = raw.nodeGroups;
  const asgGroup = (id: string, selector: object) => ({
    ...primaryWorkers,
    id,
    kind: 'asg',
    selector,
    metric: 'memory',
    scaleUpAt: 80,
    scaleDownAt: 35,
    kubernetes: undefined,
  });
  raw.nodeGroups.push(
    asgGroup('web', { autoScalingGroupName: 'web-asg' }),
    asgGroup('batch', { tag: { key: 'drpilot:group', value: 'batch' } }),
    {
      ...asgGroup('system', { eks: { clusterName: 'acme-primary', nodegroupName: 'system' } }),
      kind: 'eks-managed',
      metric: 'cpu',
    },
  );
  const result = validateConfig(JSON.parse(JSON.stringify(raw)));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

async function runNodes(region: string, group: string, count: number): Promise<string[]> {
  const { Instances = [] } = await ec2Client(region).send(
    new RunInstancesCommand({
      ImageId: 'ami-04681a1dbd79675a5',
      InstanceType: 'm6i.large',
      MinCount: count,
      MaxCount: count,
      TagSpecifications: [
        { ResourceType: 'instance', Tags: [{ Key: 'drpilot:group', Value: group }] },
      ],
    }),
  );
  return Instances.map((i) => i.InstanceId!).sort();
}

async function createAutoScalingGroup(name: string, tags: Record<string, string> = {}) {
  await ec2Client(PRIMARY)
    .send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'nodes',
        LaunchTemplateData: { ImageId: 'ami-04681a1dbd79675a5', InstanceType: 'm6i.large' },
      }),
    )
    .catch(() => undefined); // one template for every group of a test
  await autoScalingClient(PRIMARY).send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchTemplate: { LaunchTemplateName: 'nodes' },
      MinSize: 0,
      MaxSize: 2,
      DesiredCapacity: 0,
      AvailabilityZones: [`${PRIMARY}a`],
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value, PropagateAtLaunch: true })),
    }),
  );
}

async function createNodegroup(): Promise<string> {
  const eks = eksClient(PRIMARY);
  await eks.send(
    new CreateClusterCommand({
      name: 'acme-primary',
      roleArn: 'arn:aws:iam::123456789012:role/eks-cluster',
      resourcesVpcConfig: { subnetIds: ['subnet-1', 'subnet-2'] },
    }),
  );
  const { nodegroup } = await eks.send(
    new CreateNodegroupCommand({
      clusterName: 'acme-primary',
      nodegroupName: 'system',
      nodeRole: 'arn:aws:iam::123456789012:role/eks-node',
      subnets: ['subnet-1', 'subnet-2'],
    }),
  );
  return nodegroup!.resources!.autoScalingGroups![0]!.name!;
}

async function alarms(region: string, prefix = ''): Promise<Map<string, MetricAlarm>> {
  const { MetricAlarms = [] } = await cloudWatchClient(region).send(
    new DescribeAlarmsCommand(prefix ? { AlarmNamePrefix: prefix } : {}),
  );
  return new Map(MetricAlarms.map((alarm) => [alarm.AlarmName!, alarm]));
}

const names = (map: Map<string, unknown>) => [...map.keys()].sort();
const pair = (group: string, member: string) => [
  `acme-drpilot-resize.${group}.down.${member}`,
  `acme-drpilot-resize.${group}.up.${member}`,
];
const reconcile = (config: DrpilotConfig, region = PRIMARY, options = {}) =>
  reconcileMemberAlarms(config, { region, dryRun: false, ...options });

describe('member alarms of tag-selected ec2 groups, against moto', () => {
  it('a member added gets its pair of alarms, as specified and tagged', async () => {
    const config = testConfig();
    const [a, b] = await runNodes(PRIMARY, 'primary-workers', 2);
    const first = await reconcile(config);
    expect(first.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      members: [a, b],
      put: expect.arrayContaining([...pair('primary-workers', a!), ...pair('primary-workers', b!)]),
      deleted: [],
      unchanged: 0,
      error: null,
    });

    const held = await alarms(PRIMARY, 'acme-drpilot-resize.primary-workers.');
    expect(names(held)).toEqual(
      [...pair('primary-workers', a!), ...pair('primary-workers', b!)].sort(),
    );
    const up = held.get(`acme-drpilot-resize.primary-workers.up.${a}`)!;
    expect(up).toMatchObject({
      Namespace: 'AWS/EC2',
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'InstanceId', Value: a }],
      Statistic: 'Average',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 75,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(up.AlarmActions ?? []).toEqual([]);
    expect(held.get(`acme-drpilot-resize.primary-workers.down.${a}`)).toMatchObject({
      Threshold: 30,
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      EvaluationPeriods: 6,
    });
    const { Tags } = await cloudWatchClient(PRIMARY).send(
      new ListTagsForResourceCommand({ ResourceARN: up.AlarmArn }),
    );
    expect(Tags).toEqual([{ Key: 'drpilot:group', Value: 'primary-workers' }]);

    const [c] = await runNodes(PRIMARY, 'primary-workers', 1);
    const second = await reconcile(config);
    expect(second.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      put: [
        `acme-drpilot-resize.primary-workers.up.${c}`,
        `acme-drpilot-resize.primary-workers.down.${c}`,
      ],
      deleted: [],
      unchanged: 4,
    });
  });

  it('a member terminated loses its alarms; a stopped one keeps them', async () => {
    const config = testConfig();
    const [a, b] = await runNodes(PRIMARY, 'primary-workers', 2);
    await reconcile(config);
    await ec2Client(PRIMARY).send(new StopInstancesCommand({ InstanceIds: [a!] }));
    await ec2Client(PRIMARY).send(new TerminateInstancesCommand({ InstanceIds: [b!] }));
    const report = await reconcile(config);
    expect(report.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      members: [a],
      put: [],
      deleted: pair('primary-workers', b!),
      unchanged: 2,
    });
    expect(names(await alarms(PRIMARY))).toEqual(pair('primary-workers', a!));
  });

  it('an alarm whose threshold drifted, or that gained an action, is put back', async () => {
    const config = testConfig();
    const [a] = await runNodes(PRIMARY, 'primary-workers', 1);
    await reconcile(config);
    const name = `acme-drpilot-resize.primary-workers.up.${a}`;
    const original = (await alarms(PRIMARY)).get(name)!;
    await cloudWatchClient(PRIMARY).send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        AlarmDescription: original.AlarmDescription,
        Namespace: original.Namespace,
        MetricName: original.MetricName,
        Dimensions: original.Dimensions,
        Statistic: original.Statistic,
        Period: original.Period,
        EvaluationPeriods: original.EvaluationPeriods,
        DatapointsToAlarm: original.DatapointsToAlarm,
        ComparisonOperator: original.ComparisonOperator,
        TreatMissingData: original.TreatMissingData,
        Threshold: 95,
        AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:pager'],
      }),
    );

    const report = await reconcile(config);
    expect(report.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      put: [name],
      unchanged: 1,
    });
    const fixed = (await alarms(PRIMARY)).get(name)!;
    expect(fixed.Threshold).toBe(75);
    expect(fixed.AlarmActions ?? []).toEqual([]);
    const again = await reconcile(config);
    expect(again.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      put: [],
      unchanged: 2,
    });
  });

  it("leaves other deployments' and hand-made alarms alone, deletes retired groups' here", async () => {
    const config = testConfig();
    const cloudwatch = cloudWatchClient(PRIMARY);
    const put = (AlarmName: string) =>
      cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName,
          Namespace: 'AWS/EC2',
          MetricName: 'CPUUtilization',
          Dimensions: [{ Name: 'InstanceId', Value: 'i-0123456789abcdef0' }],
          Statistic: 'Average',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 50,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
    const foreign = [
      'other-drpilot-resize.primary-workers.up.i-0123456789abcdef0',
      'acme-drpilot-resize.notes',
      'acme-drpilot-resize-failures',
      'acme-primary-health',
    ];
    for (const name of foreign) await put(name);
    // A group that was removed, and one that moved to the dr cluster: not kept in this region.
    const retired = [
      ...pair('retired', 'i-0123456789abcdef0'),
      ...pair('dr-workers', 'i-0123456789abcdef0'),
    ];
    for (const name of retired) await put(name);
    // The dr cluster's own alarms live in its region, which this run never touches.
    const [drNode] = await runNodes(DR, 'dr-workers', 1);
    await reconcile(config, DR);

    const report = await reconcile(config);
    expect(report.orphansDeleted).toEqual(retired.sort());
    expect(names(await alarms(PRIMARY))).toEqual(foreign.sort());
    expect(names(await alarms(DR))).toEqual(pair('dr-workers', drNode!));
    expect((await alarms(DR)).get(`acme-drpilot-resize.dr-workers.up.${drNode}`)).toMatchObject({
      Namespace: 'CWAgent',
      MetricName: 'mem_used_percent',
      Threshold: 80,
    });
  });

  it('puts at most maxPuts per run, reports the rest, and the next run finishes', async () => {
    const config = testConfig();
    const nodes = await runNodes(PRIMARY, 'primary-workers', 3);
    const first = await reconcile(config, PRIMARY, { maxPuts: 4 });
    const group = first.groups.find((g) => g.id === 'primary-workers')!;
    expect(group.put).toEqual(
      nodes
        .map((id) => `acme-drpilot-resize.primary-workers.up.${id}`)
        .concat(`acme-drpilot-resize.primary-workers.down.${nodes[0]}`),
    );
    expect(group.deferred).toHaveLength(2);
    expect((await alarms(PRIMARY)).size).toBe(4);

    const second = await reconcile(config, PRIMARY, { maxPuts: 4 });
    expect(second.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      put: group.deferred,
      deferred: [],
      unchanged: 4,
    });
  });

  it('a dry run reports the plan and changes nothing', async () => {
    const config = testConfig();
    const [a] = await runNodes(PRIMARY, 'primary-workers', 1);
    const report = await reconcile(config, PRIMARY, { dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.groups.find((g) => g.id === 'primary-workers')!.put).toEqual(
      pair('primary-workers', a!).reverse(),
    );
    expect((await alarms(PRIMARY)).size).toBe(0);
  });
});

describe('alarms "auto": one pair per group once the agent publishes the group metric, against moto', () => {
  /** What a member's CloudWatch agent sends under `drpilot agent-config primary-workers`. */
  const publish = (
    dimensions: { Name: string; Value: string }[],
    MetricName = 'cpu_usage_active',
  ) =>
    cloudWatchClient(PRIMARY).send(
      new PutMetricDataCommand({
        Namespace: 'CWAgent',
        MetricData: [
          { MetricName, Dimensions: dimensions, Value: 42, Unit: 'Percent', Timestamp: new Date() },
        ],
      }),
    );
  const groupPair = pair('primary-workers', 'group');

  it('without the metric: a pair per member; once published: one pair, member pairs deleted', async () => {
    const config = testConfig();
    const [a, b] = await runNodes(PRIMARY, 'primary-workers', 2);
    const before = await reconcile(config);
    expect(before.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      mode: 'members',
    });
    expect(names(await alarms(PRIMARY, 'acme-drpilot-resize.primary-workers.'))).toEqual(
      [...pair('primary-workers', a!), ...pair('primary-workers', b!)].sort(),
    );

    await publish([{ Name: 'DrpilotGroup', Value: 'primary-workers' }]);
    const after = await reconcile(config);
    expect(after.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      mode: 'group',
      members: [a, b],
      put: [groupPair[1], groupPair[0]],
      deleted: [...pair('primary-workers', a!), ...pair('primary-workers', b!)].sort(),
    });
    const held = await alarms(PRIMARY, 'acme-drpilot-resize.primary-workers.');
    expect(names(held)).toEqual(groupPair);
    expect(held.get(groupPair[1]!)).toMatchObject({
      Namespace: 'CWAgent',
      MetricName: 'cpu_usage_active',
      Dimensions: [{ Name: 'DrpilotGroup', Value: 'primary-workers' }],
      Statistic: 'Maximum',
      Threshold: 75,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });

    // A member joining changes nothing: the pair covers whoever publishes.
    await runNodes(PRIMARY, 'primary-workers', 1);
    const again = await reconcile(config);
    expect(again.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      put: [],
      deleted: [],
      unchanged: 2,
    });
  });

  it("a metric with more dimensions than DrpilotGroup alone, or another group's, is not the group metric", async () => {
    const config = testConfig();
    const [a] = await runNodes(PRIMARY, 'primary-workers', 1);
    await publish([
      { Name: 'DrpilotGroup', Value: 'primary-workers' },
      { Name: 'InstanceId', Value: a! },
    ]);
    await publish([{ Name: 'DrpilotGroup', Value: 'other-workers' }]);
    await publish([{ Name: 'DrpilotGroup', Value: 'primary-workers' }], 'mem_used_percent');
    const report = await reconcile(config);
    expect(report.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      mode: 'members',
    });
    expect(names(await alarms(PRIMARY))).toEqual(pair('primary-workers', a!));
  });

  it('alarms "members" keeps a pair per member although the metric is published', async () => {
    const raw = JSON.parse(JSON.stringify(testConfig()));
    raw.nodeGroups[0].alarms = 'members';
    const result = validateConfig(raw);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const [a] = await runNodes(PRIMARY, 'primary-workers', 1);
    await publish([{ Name: 'DrpilotGroup', Value: 'primary-workers' }]);
    const report = await reconcile(result.config);
    expect(report.groups.find((g) => g.id === 'primary-workers')).toMatchObject({
      mode: 'members',
    });
    expect(names(await alarms(PRIMARY))).toEqual(pair('primary-workers', a!));
  });
});

describe('member alarms of Auto Scaling kinds, against moto', () => {
  it('alarms each Auto Scaling group on AutoScalingGroupName: by name, by tag, behind EKS', async () => {
    const config = testConfig();
    await createAutoScalingGroup('web-asg');
    await createAutoScalingGroup('batch-asg', { 'drpilot:group': 'batch' });
    await createAutoScalingGroup('unrelated-asg', { 'drpilot:group': 'other' });
    const eksAsg = await createNodegroup();

    const report = await reconcile(config);
    const byId = new Map(report.groups.map((g) => [g.id, g]));
    expect(byId.get('web')).toMatchObject({ kind: 'asg', members: ['web-asg'], error: null });
    expect(byId.get('batch')).toMatchObject({ kind: 'asg', members: ['batch-asg'], error: null });
    expect(byId.get('system')).toMatchObject({
      kind: 'eks-managed',
      members: [eksAsg],
      error: null,
    });
    expect(byId.has('dr-workers')).toBe(false);

    const held = await alarms(PRIMARY);
    expect(names(held)).toEqual(
      [...pair('web', 'web-asg'), ...pair('batch', 'batch-asg'), ...pair('system', eksAsg)].sort(),
    );
    expect(held.get('acme-drpilot-resize.web.up.web-asg')).toMatchObject({
      Namespace: 'CWAgent',
      MetricName: 'mem_used_percent',
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web-asg' }],
      Threshold: 80,
    });
    expect(held.get(`acme-drpilot-resize.system.up.${eksAsg}`)).toMatchObject({
      Namespace: 'AWS/EC2',
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: eksAsg }],
    });

    await autoScalingClient(PRIMARY).send(
      new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: 'web-asg', ForceDelete: true }),
    );
    const after = await reconcile(config);
    expect(after.groups.find((g) => g.id === 'web')).toMatchObject({
      members: [],
      deleted: pair('web', 'web-asg'),
    });
  });

  it('a group whose members cannot be read keeps its alarms; the others go ahead', async () => {
    const config = testConfig();
    const eksAsg = await createNodegroup();
    await reconcile(config);
    const [a] = await runNodes(PRIMARY, 'primary-workers', 1);
    eksClient(PRIMARY).middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error('not authorized to perform: eks:DescribeNodegroup'), {
          name: 'AccessDeniedException',
        });
      },
      { step: 'initialize', name: 'denyDescribeNodegroup' },
    );

    const report = await reconcile(config);
    expect(report.groups.find((g) => g.id === 'system')).toMatchObject({
      error: 'AccessDeniedException: not authorized to perform: eks:DescribeNodegroup',
      put: [],
      deleted: [],
      unchanged: 2,
    });
    expect(report.orphansDeleted).toEqual([]);
    expect(names(await alarms(PRIMARY))).toEqual(
      [...pair('system', eksAsg), ...pair('primary-workers', a!)].sort(),
    );
  });
});

describe('the resize-alarms handler', () => {
  afterEach(() => {
    delete process.env.DRPILOT_CONFIG_JSON;
  });

  // From the EC2 user guide, "State change events for Amazon EC2 instances".
  const stateChange = (instanceId: string, state: string) => ({
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '123456789012',
    time: '2021-11-11T21:29:54Z',
    region: PRIMARY,
    resources: [`arn:aws:ec2:${PRIMARY}:123456789012:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, state },
  });

  it('reconciles its own region on an instance state change and on the schedule', async () => {
    const [a] = await runNodes(PRIMARY, 'primary-workers', 1);
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(testConfig());
    const region = process.env.AWS_REGION;
    process.env.AWS_REGION = PRIMARY;
    try {
      const report = (await handler(stateChange(a!, 'running'), context)) as MemberAlarmsReport;
      expect(report.region).toBe(PRIMARY);
      expect(names(await alarms(PRIMARY))).toEqual(pair('primary-workers', a!));

      await ec2Client(PRIMARY).send(new TerminateInstancesCommand({ InstanceIds: [a!] }));
      const scheduled = (await handler(
        { action: 'reconcile-alarms', reason: 'every 5 minutes' },
        context,
      )) as MemberAlarmsReport;
      expect(scheduled.groups.find((g) => g.id === 'primary-workers')!.deleted).toEqual(
        pair('primary-workers', a!),
      );
    } finally {
      process.env.AWS_REGION = region;
    }
  });

  it('throws once the other groups are done when a group cannot be read', async () => {
    await createNodegroup();
    const [a] = await runNodes(PRIMARY, 'primary-workers', 1);
    eksClient(PRIMARY).middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error('throttled for good'), { name: 'ThrottlingException' });
      },
      { step: 'initialize', name: 'throttleEks' },
    );
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(testConfig());
    const region = process.env.AWS_REGION;
    process.env.AWS_REGION = PRIMARY;
    try {
      const error = await handler({ action: 'reconcile-alarms' }, context).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MemberAlarmsFailedError);
      expect((error as Error).message).toBe(
        'could not read the members of system (ThrottlingException: throttled for good)',
      );
      expect(names(await alarms(PRIMARY))).toEqual(pair('primary-workers', a!));
    } finally {
      process.env.AWS_REGION = region;
    }
  });

  it.each([
    [
      'a CloudWatch alarm state change',
      {
        'detail-type': 'CloudWatch Alarm State Change',
        source: 'aws.cloudwatch',
        region: PRIMARY,
        time: '2021-11-11T21:29:54Z',
        detail: { alarmName: 'x', state: { value: 'ALARM' } },
      },
      /unsupported EventBridge event: .*got source "aws.cloudwatch" and detail-type "CloudWatch Alarm State Change"/,
    ],
    [
      'a state change without an instance id',
      { ...stateChange('i-1', 'running'), detail: { state: 'running' } },
      /invalid "EC2 Instance State-change Notification": detail\.instance-id/,
    ],
    ['another manual action', { action: 'failover' }, /"failover" is not an action/],
    [
      'an SNS notification',
      { Records: [{ EventSource: 'aws:sns' }] },
      /got an object with keys \[Records\]/,
    ],
    ['an empty object', {}, /got an empty object/],
    ['a string', 'reconcile', /got a string/],
  ])('rejects %s before reading its config or calling AWS', async (_what, event, message) => {
    // No DRPILOT_CONFIG_JSON: a handler that went past parsing would fail differently.
    const error = await handler(event, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TriggerEventError);
    expect((error as Error).message).toMatch(message);
    expect((await alarms(PRIMARY)).size).toBe(0);
  });
});

/**
 * The queue between the instance-state rule and the reconciler, as SQS and Lambda's SQS event
 * source mapping behave (lib/resize-alarms.ts sets the numbers from INSTANCE_EVENTS): events wait
 * until a batch is full or the batching window has passed since its first event; a batch's records
 * the function did not report as failed are deleted; a failed record is handed out again after the
 * visibility timeout, and after maxReceiveCount receives it moves to the failure queue, whose
 * alarm pages. The clock is simulated; each invocation runs the real handler against moto and
 * advances the clock by the time it took.
 */
class InstanceEventQueue {
  readonly failureQueue: { body: string; receives: number }[] = [];
  readonly invocations: { at: number; size: number; oldestAgeMs: number }[] = [];
  readonly expired: string[] = [];
  private readonly messages: {
    id: string;
    body: string;
    sentAt: number;
    visibleAt: number;
    receives: number;
  }[] = [];
  private next = 0;
  now = 0;

  constructor(
    private readonly invoke: (batch: QueuedBatch) => Promise<unknown>,
    private readonly visibilityTimeoutMs = 12 * 60_000,
    private readonly retentionMs = INSTANCE_EVENTS.retentionDays * 86_400_000,
  ) {}

  send(event: object): void {
    this.messages.push({
      id: `m-${this.next++}`,
      body: JSON.stringify(event),
      sentAt: this.now,
      visibleAt: this.now,
      receives: 0,
    });
  }

  get depth(): number {
    return this.messages.length;
  }

  /** Moves the clock to `until`, invoking the function whenever the mapping would. */
  async runUntil(until: number): Promise<void> {
    while (this.now <= until) {
      const visible = this.messages.filter((m) => m.visibleAt <= this.now);
      const windowOpen =
        visible.length > 0 &&
        this.now - Math.min(...visible.map((m) => m.visibleAt)) <
          INSTANCE_EVENTS.maxBatchingWindowSeconds * 1000;
      if (visible.length === 0 || (windowOpen && visible.length < INSTANCE_EVENTS.batchSize)) {
        this.now += 100;
        this.expire();
        continue;
      }
      await this.invokeWith(visible.slice(0, INSTANCE_EVENTS.batchSize));
    }
  }

  private async invokeWith(batch: InstanceEventQueue['messages']): Promise<void> {
    for (const m of batch) {
      m.receives += 1;
      m.visibleAt = this.now + this.visibilityTimeoutMs;
    }
    this.invocations.push({
      at: this.now,
      size: batch.length,
      oldestAgeMs: this.now - Math.min(...batch.map((m) => m.sentAt)),
    });
    const started = Date.now();
    let failed: Set<string>;
    try {
      const result = (await this.invoke({
        Records: batch.map((m) => ({ messageId: m.id, eventSource: 'aws:sqs', body: m.body })),
      })) as { batchItemFailures: { itemIdentifier: string }[] };
      failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      failed = new Set(batch.map((m) => m.id));
    }
    this.now += Date.now() - started;
    for (const m of batch) {
      const at = this.messages.indexOf(m);
      if (!failed.has(m.id)) this.messages.splice(at, 1);
      else if (m.receives >= INSTANCE_EVENTS.maxReceiveCount) {
        this.messages.splice(at, 1);
        this.failureQueue.push({ body: m.body, receives: m.receives });
      }
    }
    this.expire();
  }

  private expire(): void {
    for (const m of [...this.messages]) {
      if (this.now - m.sentAt >= this.retentionMs) {
        this.messages.splice(this.messages.indexOf(m), 1);
        this.expired.push(m.id);
      }
    }
  }
}

describe('instance state changes reach the reconciler through a queue, in batches', () => {
  afterEach(() => {
    delete process.env.DRPILOT_CONFIG_JSON;
  });

  const ACCOUNT = '123456789012';
  const reconcilerContext = {
    awsRequestId: 'batch',
    invokedFunctionArn: `arn:aws:lambda:${PRIMARY}:${ACCOUNT}:function:acme-drpilot-resize-alarms`,
  } as never;
  const stateChange = (instanceId: string, state: string, account = ACCOUNT) => ({
    id: `event-${instanceId}-${state}`,
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account,
    time: '2021-11-11T21:29:54Z',
    region: PRIMARY,
    resources: [`arn:aws:ec2:${PRIMARY}:${account}:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, state },
  });

  async function withRegion<T>(run: () => Promise<T>): Promise<T> {
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(testConfig());
    const region = process.env.AWS_REGION;
    process.env.AWS_REGION = PRIMARY;
    try {
      return await run();
    } finally {
      process.env.AWS_REGION = region;
    }
  }

  it('500 instance events in a minute: a couple of reconciliations, nothing expires, nothing pages', async () => {
    const members = await runNodes(PRIMARY, 'primary-workers', 3);
    const leaving = members.pop()!;
    await ec2Client(PRIMARY).send(new TerminateInstancesCommand({ InstanceIds: [leaving] }));
    await withRegion(async () => {
      const queue = new InstanceEventQueue((batch) => handler(batch, reconcilerContext));
      // The region's churn: 500 state changes over a minute, almost all of instances in no group.
      for (let i = 0; i < 500; i++) {
        queue.now = i * 120;
        const id =
          i === 10 ? members[0]! : i === 20 ? members[1]! : `i-${i.toString(16).padStart(17, '0')}`;
        queue.send(stateChange(id, i % 2 === 0 ? 'running' : 'terminated'));
        await queue.runUntil(queue.now);
      }
      queue.send(stateChange(leaving, 'terminated'));
      await queue.runUntil(queue.now + 10 * 60_000);

      expect(queue.depth).toBe(0);
      expect(queue.expired).toEqual([]);
      expect(queue.failureQueue).toEqual([]);
      // One invocation per batching window, not one per event.
      expect(queue.invocations.length).toBeLessThanOrEqual(3);
      expect(queue.invocations.reduce((n, i) => n + i.size, 0)).toBe(501);
      for (const invocation of queue.invocations) {
        expect(invocation.oldestAgeMs).toBeLessThan(
          (INSTANCE_EVENTS.maxBatchingWindowSeconds + 5) * 1000,
        );
      }
      // The batches re-observed the world: the members have their alarms, the one gone has none.
      expect(names(await alarms(PRIMARY, 'acme-drpilot-resize.primary-workers.'))).toEqual(
        [...pair('primary-workers', members[0]!), ...pair('primary-workers', members[1]!)].sort(),
      );
    });
  });

  it('a record that is not from this deployment is refused alone and, retried, lands in the failure queue', async () => {
    const [a] = await runNodes(PRIMARY, 'primary-workers', 1);
    await withRegion(async () => {
      const queue = new InstanceEventQueue((batch) => handler(batch, reconcilerContext));
      queue.send(stateChange(a!, 'running'));
      queue.send(stateChange('i-0123456789abcdef0', 'running', '999999999999'));
      queue.send({ action: 'reconcile-alarms' });
      await queue.runUntil(60 * 60_000);

      expect(queue.failureQueue.map((m) => JSON.parse(m.body))).toEqual([
        stateChange('i-0123456789abcdef0', 'running', '999999999999'),
        { action: 'reconcile-alarms' },
      ]);
      expect(queue.failureQueue.map((m) => m.receives)).toEqual([
        INSTANCE_EVENTS.maxReceiveCount,
        INSTANCE_EVENTS.maxReceiveCount,
      ]);
      expect(names(await alarms(PRIMARY))).toEqual(pair('primary-workers', a!));
    });
  });

  it('a batch of refused records only reconciles nothing', async () => {
    await runNodes(PRIMARY, 'primary-workers', 1);
    const result = await withRegion(() =>
      handler(
        {
          Records: [
            { messageId: 'a', eventSource: 'aws:sqs', body: 'not json' },
            {
              messageId: 'b',
              eventSource: 'aws:sqs',
              body: JSON.stringify({ action: 'failover' }),
            },
          ],
        },
        reconcilerContext,
      ),
    );
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }],
      report: null,
    });
    expect((await alarms(PRIMARY)).size).toBe(0);
  });
});
