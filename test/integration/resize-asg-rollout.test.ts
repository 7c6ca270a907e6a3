import {
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  PutLifecycleHookCommand,
  StartInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  DescribeInstancesCommand,
  type _InstanceType,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { publishUtilisation } from '../../cli/embedded/seed-load';
import {
  autoScalingClient,
  cloudWatchClient,
  dynamoDbDocumentClient,
  ec2Client,
} from '../../lambdas/adapters/aws/clients';
import { PauseStore } from '../../lambdas/adapters/aws/pause-store';
import { probeRunInstances } from '../../lambdas/adapters/aws/launch-templates';
import type { DrpilotConfig, NodeGroupConfig } from '../../lambdas/core/config/schema';
import { runResize } from '../../lambdas/resize/run-resize';
import { readStatus } from '../../lambdas/status/read-status';
import {
  startTemplateRollout,
  templateGroupMembers,
  type TemplateTarget,
} from '../../lambdas/resize/template-rollout';
import { checkTemplatePreconditions } from '../../lambdas/resize/template-preconditions';
import { recordCommands, writes } from '../support/command-recorder';
import { InstanceRefreshFake } from '../support/instance-refresh-fake';
import { LaunchTemplateVersionsFake } from '../support/launch-template-versions-fake';
import { useMoto } from '../support/moto';
import { pollToEnd, templateVersions } from '../support/template-rollout-helpers';
import { seedExampleEstate } from '../support/seeded-estate';

useMoto();

const REGION = 'eu-west-1';
const AMI = 'ami-04681a1dbd79675a5';
const GROUP = 'workers-asg';

interface Seed {
  optIn?: boolean;
  /** How the group references its template; '1' by default. */
  version?: string;
  hook?: boolean;
  /** The template's InstanceType; null: none. */
  templateType?: string | null;
  imageId?: string;
  launchConfiguration?: boolean;
  mixedOverrides?: string[];
  tags?: Record<string, string>;
}

/** A launch template and an Auto Scaling group of 2 nodes on it, opted in and with a drain hook. */
async function seedGroup(seed: Seed = {}): Promise<string> {
  const ec2 = ec2Client(REGION);
  const autoScaling = autoScalingClient(REGION);
  const type = seed.templateType === undefined ? 'm6i.large' : seed.templateType;
  const { LaunchTemplate } = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'workers',
      LaunchTemplateData: {
        ImageId: seed.imageId ?? AMI,
        ...(type ? { InstanceType: type as _InstanceType } : {}),
        IamInstanceProfile: { Name: 'workers-node' },
      },
    }),
  );
  const launchTemplateId = LaunchTemplate!.LaunchTemplateId!;
  const tags = { ...(seed.optIn === false ? {} : { 'drpilot:managed': 'true' }), ...seed.tags };
  const base = {
    AutoScalingGroupName: GROUP,
    MinSize: 2,
    MaxSize: 4,
    DesiredCapacity: 2,
    AvailabilityZones: ['eu-west-1a', 'eu-west-1b'],
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value, PropagateAtLaunch: false })),
  };
  if (seed.launchConfiguration) {
    await autoScaling.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'workers-lc',
        ImageId: AMI,
        InstanceType: 'm6i.large',
      }),
    );
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({ ...base, LaunchConfigurationName: 'workers-lc' }),
    );
  } else if (seed.mixedOverrides) {
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        ...base,
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: launchTemplateId, Version: '1' },
            Overrides: seed.mixedOverrides.map((InstanceType) => ({ InstanceType })),
          },
        },
      }),
    );
  } else {
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        ...base,
        LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: seed.version ?? '1' },
      }),
    );
  }
  if (seed.hook !== false) {
    await autoScaling.send(
      new PutLifecycleHookCommand({
        AutoScalingGroupName: GROUP,
        LifecycleHookName: 'nth-drain',
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        HeartbeatTimeout: 300,
        DefaultResult: 'CONTINUE',
      }),
    );
  }
  return launchTemplateId;
}

const asgGroup = (
  selector: NodeGroupConfig['selector'] = { autoScalingGroupName: GROUP },
): NodeGroupConfig => ({
  id: 'workers',
  cluster: 'primary',
  kind: 'asg',
  selector,
  metric: 'cpu',
  alarms: 'auto',
  ladder: ['m6i.large', 'm6i.xlarge', 'm6i.2xlarge'],
  maxStepRatio: 2,
  headroom: 1.2,
  scaleUpAt: 75,
  scaleDownAt: 30,
  cooldownSeconds: 1800,
  drainTimeoutSeconds: 180,
});

async function groupLaunchTemplateVersion() {
  const { AutoScalingGroups = [] } = await autoScalingClient(REGION).send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }),
  );
  return AutoScalingGroups[0]?.LaunchTemplate?.Version;
}

async function checkedTarget(toType = 'm6i.xlarge'): Promise<TemplateTarget> {
  const check = await checkTemplatePreconditions(asgGroup(), REGION, toType);
  if (!check.ok) throw new Error(`unexpected refusal: ${check.reason}`);
  return check.target;
}

/** EC2 answers a DryRun with UnauthorizedOperation when the caller lacks a right it needs. */
function denyDryRun(ec2: EC2Client, command: string): void {
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === `${command}Command` && (args.input as any).DryRun) {
        throw Object.assign(
          new Error(
            'You are not authorized to perform this operation. Encoded authorization failure message: c2VjcmV0',
          ),
          { name: 'UnauthorizedOperation', $fault: 'client', $metadata: { httpStatusCode: 403 } },
        );
      }
      return next(args);
    },
    { step: 'initialize', name: `deny${command}` },
  );
}

describe('asg rollout against moto + InstanceRefreshFake + LaunchTemplateVersionsFake', () => {
  let refreshes: InstanceRefreshFake;

  beforeEach(() => {
    new LaunchTemplateVersionsFake().install(ec2Client(REGION), REGION);
    refreshes = new InstanceRefreshFake();
    refreshes.install(autoScalingClient(REGION), REGION);
  });

  it('end to end through runResize (the steps the state machine runs): an alarm-level load moves the whole group by one refresh; status sees the new type; the next step is refused by the cooldown', async () => {
    const { config: example } = await seedExampleEstate();
    await seedGroup();
    const config: DrpilotConfig = { ...example, nodeGroups: [...example.nodeGroups, asgGroup()] };
    const members = await templateGroupMembers(asgGroup(), REGION);
    await publishUtilisation(
      cloudWatchClient(REGION),
      'cpu',
      members.map((m) => m.id),
      90,
    );

    const progress: string[] = [];
    const result = await runResize(config, 'workers', {
      request: { kind: 'auto' },
      dryRun: false,
      trigger: 'test',
      timeouts: { nodeMs: 5_000, pollMs: 1 },
      sleep: async () => undefined,
      onProgress: (message) => progress.push(message),
    });
    expect(result).toMatchObject({
      outcome: 'resized',
      group: 'workers',
      from: ['m6i.large'],
      to: 'm6i.xlarge',
    });
    expect(result.nodes.map((n) => n.outcome)).toEqual(['resized', 'resized']);
    expect(progress.some((m) => /new launch-template version with m6i.xlarge/.test(m))).toBe(true);
    expect(await groupLaunchTemplateVersion()).toBe('2');

    const status = await readStatus(config);
    expect(status.nodeGroups.find((g) => g.id === 'workers')?.instanceTypes).toEqual([
      'm6i.xlarge',
    ]);

    const again = await runResize(config, 'workers', {
      request: { kind: 'step', direction: 'up' },
      dryRun: false,
      trigger: 'test',
    });
    expect(again.outcome).toBe('refused');
    expect(again.reason).toMatch(/cooling down/);
  });

  it('end to end through runResize: a refresh that stays InProgress runs into the poll bound; Finish cancels it (CancelInstanceRefresh) and reports failed: timed out', async () => {
    const { config: example } = await seedExampleEstate();
    await seedGroup();
    const config: DrpilotConfig = { ...example, nodeGroups: [...example.nodeGroups, asgGroup()] };
    refreshes.stallNextRefresh();
    let slept = 0;
    const result = await runResize(config, 'workers', {
      request: { kind: 'to', type: 'm6i.xlarge' },
      dryRun: false,
      trigger: 'test',
      timeouts: { nodeMs: 5_000, pollMs: 1 },
      sleep: async () => void slept++,
    });
    // 2 members: the start, then ⌈2 × 900 s / 30 s⌉ polls; the runner sleeps between them.
    const max = 1 + 60;
    expect(slept).toBe(max - 1);
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(
      new RegExp(
        `^timed out: no result after ${max} of ${max} polls .*; instance refresh \\S+ of ${GROUP} cancelled \\(CancelInstanceRefresh\\); instances it already replaced keep m6i.xlarge`,
      ),
    );
    expect(result.nodes.map((n) => n.outcome)).toEqual(['interrupted', 'interrupted']);
    expect(refreshes.newestStatus(GROUP)).toBe('Cancelling');
    // The lease is back: the next plan is refused only while the refresh is still Cancelling,
    // and goes through once it is Cancelled.
    const ask = {
      request: { kind: 'to', type: 'm6i.xlarge' } as const,
      dryRun: true,
      trigger: 'test',
    };
    const again = await runResize(config, 'workers', ask);
    expect(again).toMatchObject({
      outcome: 'refused',
      reason: expect.stringContaining('is Cancelling: wait until it has ended'),
    });
    expect(refreshes.newestStatus(GROUP)).toBe('Cancelled');
    expect((await runResize(config, 'workers', ask)).outcome).toBe('dry-run');
  });

  it('end to end through runResize: a pause set once the instance refresh runs does not cancel it; the result says the pause could not stop it', async () => {
    const { config: example } = await seedExampleEstate();
    await seedGroup();
    const config: DrpilotConfig = { ...example, nodeGroups: [...example.nodeGroups, asgGroup()] };
    const pauses = new PauseStore(dynamoDbDocumentClient(config.controlRegion), config.stateTable);
    const result = await runResize(config, 'workers', {
      request: { kind: 'to', type: 'm6i.xlarge' },
      dryRun: false,
      trigger: 'test',
      timeouts: { nodeMs: 5_000, pollMs: 1 },
      // The first wait follows StartInstanceRefresh: the pause arrives while AWS rolls out.
      sleep: async () => {
        if (!(await pauses.inForce('resize'))) {
          await pauses.pause('resize', {
            by: 'alice',
            reason: 'CHG-1234',
            untilMs: Date.now() + 3_600_000,
          });
        }
      },
    });
    expect(result.outcome).toBe('resized');
    expect(result.nodes.map((n) => n.outcome)).toEqual(['resized', 'resized']);
    expect(result.reason).toMatch(
      /; not held by the pause of resize \(paused by alice until \S+: CHG-1234\): an instance refresh cannot be stopped safely mid-way .*, so AWS's rollout ran on$/,
    );
    expect(refreshes.newestStatus(GROUP)).toBe('Successful');
    expect(await groupLaunchTemplateVersion()).toBe('2');
  });

  it('end to end through runResize: a group whose Auto Scaling group does not exist is refused, naming it', async () => {
    const { config: example } = await seedExampleEstate();
    const config: DrpilotConfig = { ...example, nodeGroups: [...example.nodeGroups, asgGroup()] };
    const result = await runResize(config, 'workers', {
      request: { kind: 'step', direction: 'up' },
      dryRun: false,
      trigger: 'test',
    });
    expect(result.outcome).toBe('refused');
    expect(result.reason).toBe(
      `could not read the members of workers: there is no Auto Scaling group ${GROUP} in ${REGION}`,
    );
  });

  it('end to end through runResize: a refusal by the preconditions (no drain hook) is audited and writes nothing', async () => {
    const { config: example } = await seedExampleEstate();
    const launchTemplateId = await seedGroup({ hook: false });
    const config: DrpilotConfig = { ...example, nodeGroups: [...example.nodeGroups, asgGroup()] };
    const result = await runResize(config, 'workers', {
      request: { kind: 'step', direction: 'up' },
      dryRun: false,
      trigger: 'test',
    });
    expect(result.outcome).toBe('refused');
    expect(result.reason).toMatch(/lifecycle hook/);
    expect((await templateVersions(REGION, launchTemplateId)).map((v) => v.version)).toEqual([1]);
    expect(refreshes.started).toHaveLength(0);
  });

  it('instance-refresh fake, Pending → InProgress → Successful: a new numbered version with only the type changed, refreshed with AutoRollback and SkipMatching; the group ends on it with m6i.xlarge nodes', async () => {
    const launchTemplateId = await seedGroup();
    const before = await templateGroupMembers(asgGroup(), REGION);
    expect(before.map((m) => m.type)).toEqual(['m6i.large', 'm6i.large']);

    const target = await checkedTarget();
    expect(target).toEqual({
      kind: 'asg',
      region: REGION,
      autoScalingGroupName: GROUP,
      launchTemplateId,
      launchTemplateName: 'workers',
      currentVersion: 1,
      currentType: 'm6i.large',
      memberInstanceIds: before.map((m) => m.id),
    });

    const handle = await startTemplateRollout(target, 'm6i.xlarge', 'p95 cpu 91% ≥ 75%');
    expect(handle).toMatchObject({ toType: 'm6i.xlarge', newVersion: 2 });
    expect(JSON.parse(JSON.stringify(handle))).toEqual(handle);
    expect(await templateVersions(REGION, launchTemplateId)).toEqual([
      { version: 1, type: 'm6i.large', imageId: AMI, profile: 'workers-node' },
      { version: 2, type: 'm6i.xlarge', imageId: AMI, profile: 'workers-node' },
    ]);
    expect(refreshes.started).toEqual([
      {
        AutoScalingGroupName: GROUP,
        DesiredConfiguration: {
          LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: '2' },
        },
        Preferences: { AutoRollback: true, SkipMatching: true, MinHealthyPercentage: 90 },
      },
    ]);

    const seen = await pollToEnd(handle);
    expect(seen.map((p) => p.status)).toEqual(['in-progress', 'in-progress', 'succeeded']);
    expect(seen.map((p) => p.percentComplete)).toEqual([0, 50, 100]);
    expect(seen[1]!.detail).toContain('InProgress, 50% complete');
    expect(seen[2]!.detail).toContain('the group runs m6i.xlarge from launch template version 2');

    expect(await groupLaunchTemplateVersion()).toBe('2');
    const after = await templateGroupMembers(asgGroup(), REGION);
    expect(after.map((m) => m.type)).toEqual(['m6i.xlarge', 'm6i.xlarge']);
    expect(after.map((m) => m.id)).not.toContain(before[0]!.id);
    expect(after[0]!.tags['aws:autoscaling:groupName']).toBe(GROUP);
  });

  it('instance-refresh fake, injected failure (new instances fail health checks): RollbackInProgress → RollbackSuccessful, the group stays on version 1 and m6i.large', async () => {
    await seedGroup();
    const before = await templateGroupMembers(asgGroup(), REGION);
    refreshes.failNextRefresh('new instances failed their ELB health checks');

    const handle = await startTemplateRollout(await checkedTarget(), 'm6i.xlarge', 'test');
    const seen = await pollToEnd(handle);

    expect(seen.map((p) => p.status)).toEqual([
      'in-progress',
      'in-progress',
      'in-progress',
      'rolled-back',
    ]);
    expect(seen[3]!.detail).toContain('RollbackSuccessful');
    expect(seen[3]!.detail).toContain('new instances failed their ELB health checks');
    expect(seen[3]!.detail).toContain('back on version 1 (m6i.large)');
    expect(await groupLaunchTemplateVersion()).toBe('1');
    expect(await templateGroupMembers(asgGroup(), REGION)).toEqual(before);
  });

  const refusals: Array<[string, Seed, string, string[]]> = [
    [
      'the group lacks the opt-in tag',
      { optIn: false },
      'm6i.xlarge',
      ['opt-in tag drpilot:managed=true'],
    ],
    [
      'the group uses a launch configuration',
      { launchConfiguration: true },
      'm6i.xlarge',
      ['launch configuration workers-lc', 'move it to a launch template'],
    ],
    [
      'a MixedInstancesPolicy overrides the instance type',
      { mixedOverrides: ['m6i.large', 'm5.large'] },
      'm6i.xlarge',
      ['(m6i.large, m5.large)', 'overrides beat the template'],
    ],
    [
      'the group references $Latest, not a numbered version',
      { version: '$Latest' },
      'm6i.xlarge',
      ['as $Latest', 'AutoRollback can only go back to a numbered version'],
    ],
    [
      'the template does not set InstanceType',
      { templateType: null },
      'm6i.xlarge',
      ['launch template workers version 1 does not set InstanceType'],
    ],
    [
      'there is no EC2_INSTANCE_TERMINATING lifecycle hook',
      { hook: false },
      'm6i.xlarge',
      [
        'autoscaling:EC2_INSTANCE_TERMINATING',
        'does not drain nodes by itself',
        'aws-node-termination-handler',
      ],
    ],
    [
      'the template takes its AMI from a Systems Manager parameter',
      {
        imageId:
          'resolve:ssm:/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id',
      },
      'm6i.xlarge',
      ['takes its AMI from a Systems Manager parameter', 'AutoRollback cannot go back'],
    ],
    ['the template already sets the target type', {}, 'm6i.large', ['already sets m6i.large']],
    [
      'several things at once (no opt-in tag, no drain hook), each named',
      { optIn: false, hook: false },
      'm6i.xlarge',
      ['opt-in tag', 'does not drain nodes by itself'],
    ],
  ];

  it.each(refusals)(
    'refuses without writing anything when %s',
    async (_, seed, toType, expected) => {
      const launchTemplateId = await seedGroup(seed);
      const calls = recordCommands(ec2Client(REGION), autoScalingClient(REGION));

      const check = await checkTemplatePreconditions(asgGroup(), REGION, toType);

      expect(check.ok).toBe(false);
      const reason = check.ok ? '' : check.reason;
      expect(reason).toContain(`cannot resize Auto Scaling group ${GROUP}`);
      for (const text of expected) expect(reason).toContain(text);
      expect(writes(calls)).toEqual([]);
      expect((await templateVersions(REGION, launchTemplateId)).map((v) => v.version)).toEqual([1]);
      expect(refreshes.started).toEqual([]);
    },
  );

  it('InstanceRefreshInProgress rule (instance-refresh fake): refuses while a refresh someone else started is Pending', async () => {
    const launchTemplateId = await seedGroup();
    await autoScalingClient(REGION).send(
      new StartInstanceRefreshCommand({ AutoScalingGroupName: GROUP }),
    );
    const calls = recordCommands(ec2Client(REGION), autoScalingClient(REGION));

    const check = await checkTemplatePreconditions(asgGroup(), REGION, 'm6i.xlarge');

    expect(check).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/instance refresh \S+ is Pending: wait/),
    });
    expect(writes(calls)).toEqual([]);
    expect((await templateVersions(REGION, launchTemplateId)).map((v) => v.version)).toEqual([1]);
    expect(refreshes.started).toHaveLength(1);
  });

  it.each([
    [
      'RunInstances',
      [
        'may not launch from launch template workers version 1 with m6i.xlarge',
        'ec2:RunInstances and iam:PassRole for the role of instance profile workers-node',
      ],
    ],
    ['CreateLaunchTemplateVersion', ['ec2:CreateLaunchTemplateVersion', 'drpilot:managed=true']],
  ])(
    'refuses without writing when a %s dry run answers UnauthorizedOperation (injected), naming the missing right',
    async (command, expected) => {
      const launchTemplateId = await seedGroup();
      denyDryRun(ec2Client(REGION), command);
      const calls = recordCommands(ec2Client(REGION), autoScalingClient(REGION));

      const check = await checkTemplatePreconditions(asgGroup(), REGION, 'm6i.xlarge');

      const reason = check.ok ? '' : check.reason;
      for (const text of expected) expect(reason).toContain(text);
      expect(reason).not.toContain('c2VjcmV0');
      expect(writes(calls)).toEqual([]);
      expect((await templateVersions(REGION, launchTemplateId)).map((v) => v.version)).toEqual([1]);
    },
  );

  it('InstanceRefreshInProgress rule (instance-refresh fake): when a refresh starts between the check and the start, the start fails and the new version is deleted again (LaunchTemplateVersionsFake)', async () => {
    const launchTemplateId = await seedGroup();
    const target = await checkedTarget();
    await autoScalingClient(REGION).send(
      new StartInstanceRefreshCommand({ AutoScalingGroupName: GROUP }),
    );
    const calls = recordCommands(ec2Client(REGION), autoScalingClient(REGION));

    await expect(startTemplateRollout(target, 'm6i.xlarge', 'test')).rejects.toThrow(
      /StartInstanceRefresh failed \(InstanceRefreshInProgressFault: .*\); version 2 of launch template lt-\w+ was deleted again/,
    );
    expect(writes(calls)).toEqual([
      'CreateLaunchTemplateVersion',
      'StartInstanceRefresh',
      'DeleteLaunchTemplateVersions',
    ]);
    expect((await templateVersions(REGION, launchTemplateId)).map((v) => v.version)).toEqual([1]);
    expect(await groupLaunchTemplateVersion()).toBe('1');
  });

  it('finds the group by selector.tag, and refuses when no group carries the tag', async () => {
    await seedGroup({ tags: { 'drpilot:group': 'workers' } });
    const byTag = await checkTemplatePreconditions(
      asgGroup({ tag: { key: 'drpilot:group', value: 'workers' } }),
      REGION,
      'm6i.xlarge',
    );
    expect(byTag).toMatchObject({ ok: true, target: { autoScalingGroupName: GROUP } });
    const none = await checkTemplatePreconditions(
      asgGroup({ tag: { key: 'drpilot:group', value: 'nobody' } }),
      REGION,
      'm6i.xlarge',
    );
    expect(none).toEqual({
      ok: false,
      reason: 'no Auto Scaling group in eu-west-1 carries the tag drpilot:group=nobody',
    });
  });

  it('AutoRollback rule (instance-refresh fake): a group on $Latest cannot be refreshed with AutoRollback — why drpilot wants a numbered version', async () => {
    const launchTemplateId = await seedGroup({ version: '$Latest' });
    await expect(
      autoScalingClient(REGION).send(
        new StartInstanceRefreshCommand({
          AutoScalingGroupName: GROUP,
          DesiredConfiguration: {
            LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: '1' },
          },
          Preferences: { AutoRollback: true },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(
      autoScalingClient(REGION).send(
        new StartInstanceRefreshCommand({
          AutoScalingGroupName: GROUP,
          Preferences: { AutoRollback: true },
        }),
      ),
    ).rejects.toThrow(/without a desired configuration/);
  });

  it('moto answers a RunInstances dry run the AWS way: DryRunOperation, and nothing is launched', async () => {
    const launchTemplateId = await seedGroup();
    const count = async () => {
      const { Reservations = [] } = await ec2Client(REGION).send(new DescribeInstancesCommand({}));
      return Reservations.flatMap((r) => r.Instances ?? []).length;
    };
    const before = await count();
    expect(await probeRunInstances(ec2Client(REGION), launchTemplateId, 1, 'm6i.xlarge')).toEqual({
      allowed: true,
    });
    expect(await count()).toBe(before);
  });
});
