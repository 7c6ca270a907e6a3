import { describe, expect, it } from 'vitest';
import {
  dryRunsToAsk,
  planTemplateRollout,
  type AutoScalingGroupFacts,
  type NodegroupFacts,
  type TemplateVersionFacts,
} from '../../lambdas/core/resize/template-preconditions';
import type {
  AutoScalingGroupInfo,
  LaunchTemplateVersion,
  NodegroupInfo,
} from '../../lambdas/core/resize/template-observations';

const REGION = 'eu-west-1';
const TO = 'm6i.xlarge';
const ALLOWED = { allowed: true } as const;
const denied = (code: string, message = 'no') => ({ allowed: false, code, message }) as const;

const version = (over: Partial<LaunchTemplateVersion> = {}): LaunchTemplateVersion => ({
  launchTemplateId: 'lt-0abc',
  launchTemplateName: 'workers',
  versionNumber: 1,
  instanceType: 'm6i.large',
  imageId: 'ami-04681a1dbd79675a5',
  instanceProfile: 'workers-node',
  ...over,
});

const template = (over: Partial<TemplateVersionFacts> = {}): TemplateVersionFacts => ({
  version: version(),
  runInstances: ALLOWED,
  createVersion: ALLOWED,
  ...over,
});

const asg = (over: Partial<AutoScalingGroupInfo> = {}): AutoScalingGroupInfo => ({
  name: 'workers-asg',
  launchTemplate: { id: 'lt-0abc', name: 'workers', version: '1' },
  launchConfigurationName: null,
  mixedInstances: null,
  tags: { 'drpilot:managed': 'true' },
  instances: [
    { id: 'i-2', type: 'm6i.large', zone: 'eu-west-1b', lifecycleState: 'InService' },
    { id: 'i-3', type: 'm6i.large', zone: 'eu-west-1a', lifecycleState: 'Terminating' },
    { id: 'i-1', type: 'm6i.large', zone: 'eu-west-1a', lifecycleState: 'InService' },
  ],
  ...over,
});

const asgFacts = (over: Partial<AutoScalingGroupFacts> = {}): AutoScalingGroupFacts => ({
  kind: 'asg',
  region: REGION,
  located: { name: 'workers-asg' },
  group: asg(),
  template: template(),
  hooks: [{ name: 'nth-drain', transition: 'autoscaling:EC2_INSTANCE_TERMINATING' }],
  refreshes: [{ id: 'ir-old', status: 'Successful', statusReason: null, percentageComplete: 100 }],
  ...over,
});

const nodegroup = (over: Partial<NodegroupInfo> = {}): NodegroupInfo => ({
  clusterName: 'prod',
  nodegroupName: 'workers',
  status: 'ACTIVE',
  launchTemplate: { id: 'lt-0abc', name: 'workers', version: '1' },
  instanceTypes: [],
  tags: { 'drpilot:managed': 'true' },
  autoScalingGroups: ['eks-workers-1234'],
  ...over,
});

const eksFacts = (over: Partial<NodegroupFacts> = {}): NodegroupFacts => ({
  kind: 'eks-managed',
  region: REGION,
  selector: { clusterName: 'prod', nodegroupName: 'workers' },
  nodegroup: nodegroup(),
  template: template({ runInstances: null }),
  memberInstanceIds: ['i-1', 'i-2'],
  ...over,
});

const ASG = 'cannot resize Auto Scaling group workers-asg: ';
const EKS = 'cannot resize node group workers of prod: ';
const VERSION_1 = 'launch template workers version 1';

describe('planTemplateRollout: asg refusals, word for word', () => {
  const cases: Array<[string, AutoScalingGroupFacts, string]> = [
    [
      'the selector finds no group',
      asgFacts({ located: { problem: 'no Auto Scaling group in eu-west-1 carries the tag a=b' } }),
      'no Auto Scaling group in eu-west-1 carries the tag a=b',
    ],
    [
      'there is no group of that name',
      asgFacts({ group: null, template: null, hooks: [], refreshes: [] }),
      'there is no Auto Scaling group workers-asg in eu-west-1',
    ],
    [
      'the group lacks the opt-in tag',
      asgFacts({ group: asg({ tags: { 'drpilot:managed': 'false' } }) }),
      `${ASG}the group does not carry the opt-in tag drpilot:managed=true: tag it to let drpilot change its launch template`,
    ],
    [
      'the group uses a launch configuration',
      asgFacts({
        group: asg({ launchTemplate: null, launchConfigurationName: 'workers-lc' }),
        template: null,
      }),
      `${ASG}the group uses launch configuration workers-lc: move it to a launch template that sets InstanceType`,
    ],
    [
      'a MixedInstancesPolicy overrides the type',
      asgFacts({
        group: asg({
          launchTemplate: null,
          mixedInstances: {
            launchTemplate: { id: 'lt-0abc', name: 'workers', version: '1' },
            overrides: ['m6i.large', 'm5.large'],
          },
        }),
        template: null,
      }),
      `${ASG}the group's MixedInstancesPolicy overrides the instance type (m6i.large, m5.large), and overrides beat the template's type: change the overrides instead, or reference the launch template directly`,
    ],
    [
      'a MixedInstancesPolicy without overrides',
      asgFacts({
        group: asg({
          launchTemplate: null,
          mixedInstances: { launchTemplate: null, overrides: [''] },
        }),
        template: null,
      }),
      `${ASG}the group uses a MixedInstancesPolicy: drpilot rolls out groups that reference their launch template directly`,
    ],
    [
      'the group has no launch template',
      asgFacts({ group: asg({ launchTemplate: null }), template: null }),
      `${ASG}the group has no launch template: give it one that sets InstanceType`,
    ],
    [
      'the group references $Latest',
      asgFacts({
        group: asg({ launchTemplate: { id: 'lt-0abc', name: 'workers', version: '$Latest' } }),
        template: null,
      }),
      `${ASG}the group references launch template workers as $Latest: point it at a numbered version, since AutoRollback can only go back to a numbered version`,
    ],
    [
      'an unnamed template on $Default is named by its id',
      asgFacts({
        group: asg({ launchTemplate: { id: 'lt-0abc', name: '', version: '$Default' } }),
        template: null,
      }),
      `${ASG}the group references launch template lt-0abc as $Default: point it at a numbered version, since AutoRollback can only go back to a numbered version`,
    ],
    [
      'the version does not exist',
      asgFacts({ template: { version: null, runInstances: null, createVersion: null } }),
      `${ASG}launch template lt-0abc has no version 1`,
    ],
    [
      'the template does not set InstanceType',
      asgFacts({
        template: {
          version: version({ instanceType: null }),
          runInstances: null,
          createVersion: null,
        },
      }),
      `${ASG}${VERSION_1} does not set InstanceType: set the type in the template, where drpilot changes it`,
    ],
    [
      'the template already sets the target type',
      asgFacts({
        template: {
          version: version({ instanceType: TO }),
          runInstances: null,
          createVersion: null,
        },
      }),
      `${ASG}${VERSION_1} already sets ${TO}`,
    ],
    [
      'the AMI comes from a Systems Manager parameter',
      asgFacts({ template: template({ version: version({ imageId: 'resolve:ssm:/eks/ami' }) }) }),
      `${ASG}${VERSION_1} takes its AMI from a Systems Manager parameter (resolve:ssm:/eks/ami), and AutoRollback cannot go back to such a template: set an AMI id`,
    ],
    [
      'RunInstances is not allowed (instance profile)',
      asgFacts({ template: template({ runInstances: denied('UnauthorizedOperation') }) }),
      `${ASG}drpilot may not launch from ${VERSION_1} with ${TO}: grant it ec2:RunInstances and iam:PassRole for the role of instance profile workers-node (RunInstances dry run: UnauthorizedOperation)`,
    ],
    [
      'RunInstances is not allowed (no instance profile)',
      asgFacts({
        template: template({
          version: version({ instanceProfile: null }),
          runInstances: denied('UnauthorizedOperation'),
        }),
      }),
      `${ASG}drpilot may not launch from ${VERSION_1} with ${TO}: grant it ec2:RunInstances (RunInstances dry run: UnauthorizedOperation)`,
    ],
    [
      'RunInstances would fail otherwise',
      asgFacts({
        template: template({ runInstances: denied('InvalidAMIID.NotFound', 'no such AMI') }),
      }),
      `${ASG}launching from ${VERSION_1} with ${TO} would fail (RunInstances dry run: InvalidAMIID.NotFound: no such AMI)`,
    ],
    [
      'CreateLaunchTemplateVersion is not allowed',
      asgFacts({ template: template({ createVersion: denied('UnauthorizedOperation') }) }),
      `${ASG}drpilot may not create versions of launch template lt-0abc: grant it ec2:CreateLaunchTemplateVersion there (drpilot's deployed role allows it on templates tagged drpilot:managed=true) (dry run: UnauthorizedOperation)`,
    ],
    [
      'CreateLaunchTemplateVersion would fail otherwise',
      asgFacts({
        template: template({ createVersion: denied('VersionLimitExceeded', 'too many') }),
      }),
      `${ASG}creating a version of launch template lt-0abc would fail (dry run: VersionLimitExceeded: too many)`,
    ],
    [
      'there is no EC2_INSTANCE_TERMINATING hook',
      asgFacts({ hooks: [{ name: 'warm', transition: 'autoscaling:EC2_INSTANCE_LAUNCHING' }] }),
      `${ASG}the group has no lifecycle hook for autoscaling:EC2_INSTANCE_TERMINATING: an instance refresh does not drain nodes by itself, so install a termination handler that drains on that hook (aws-node-termination-handler in queue mode, for instance)`,
    ],
    ...['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking'].map(
      (status): [string, AutoScalingGroupFacts, string] => [
        `an instance refresh is ${status}`,
        asgFacts({
          refreshes: [{ id: 'ir-1', status, statusReason: null, percentageComplete: null }],
        }),
        `${ASG}instance refresh ir-1 is ${status}: wait until it has ended`,
      ],
    ),
    [
      'several problems at once, each named in order',
      asgFacts({
        group: asg({ tags: {}, launchTemplate: null }),
        template: null,
        hooks: [],
        refreshes: [
          { id: 'ir-1', status: 'InProgress', statusReason: null, percentageComplete: 5 },
        ],
      }),
      `${ASG}the group does not carry the opt-in tag drpilot:managed=true: tag it to let drpilot change its launch template; the group has no launch template: give it one that sets InstanceType; the group has no lifecycle hook for autoscaling:EC2_INSTANCE_TERMINATING: an instance refresh does not drain nodes by itself, so install a termination handler that drains on that hook (aws-node-termination-handler in queue mode, for instance); instance refresh ir-1 is InProgress: wait until it has ended`,
    ],
  ];

  it.each(cases)('refuses when %s', (_, facts, reason) => {
    expect(planTemplateRollout(facts, TO)).toEqual({ ok: false, reason });
  });
});

describe('planTemplateRollout: eks-managed refusals, word for word', () => {
  const cases: Array<[string, NodegroupFacts, string]> = [
    [
      'the config names no node group',
      eksFacts({ selector: null, nodegroup: null, template: null, memberInstanceIds: [] }),
      'kind "eks-managed" needs selector.eks: { clusterName, nodegroupName }',
    ],
    [
      'there is no node group of that name',
      eksFacts({ nodegroup: null, template: null, memberInstanceIds: [] }),
      'there is no node group workers in EKS cluster prod (eu-west-1)',
    ],
    [
      'the node group lacks the opt-in tag',
      eksFacts({ nodegroup: nodegroup({ tags: {} }) }),
      `${EKS}the node group does not carry the opt-in tag drpilot:managed=true: tag it to let drpilot change its launch template`,
    ],
    [
      'an update is in progress',
      eksFacts({ nodegroup: nodegroup({ status: 'UPDATING' }) }),
      `${EKS}an update of the node group is in progress: wait until it has ended`,
    ],
    [
      'the node group is not ACTIVE',
      eksFacts({ nodegroup: nodegroup({ status: 'DEGRADED' }) }),
      `${EKS}the node group is DEGRADED, not ACTIVE: resolve the health issues EKS reports for it first`,
    ],
    [
      'the node group was created without a launch template',
      eksFacts({ nodegroup: nodegroup({ launchTemplate: null }), template: null }),
      `${EKS}the node group was created without a launch template, and EKS updates a node group with a launch template only if it was created with one: create a node group with a launch template that sets InstanceType`,
    ],
    [
      'the node group sets instanceTypes itself',
      eksFacts({
        nodegroup: nodegroup({ instanceTypes: ['m6i.large', 'm5.large'] }),
        template: null,
      }),
      `${EKS}the node group sets instanceTypes itself (m6i.large, m5.large), and EKS then refuses a type in the launch template: create a node group whose launch template sets InstanceType and whose instanceTypes is empty`,
    ],
    [
      'the version does not exist',
      eksFacts({ template: { version: null, runInstances: null, createVersion: null } }),
      `${EKS}launch template lt-0abc has no version 1`,
    ],
    [
      'the template does not set InstanceType',
      eksFacts({
        template: {
          version: version({ instanceType: null }),
          runInstances: null,
          createVersion: null,
        },
      }),
      `${EKS}${VERSION_1} does not set InstanceType: set the type in the template, where drpilot changes it`,
    ],
    [
      'the template already sets the target type',
      eksFacts({
        template: {
          version: version({ instanceType: TO }),
          runInstances: null,
          createVersion: null,
        },
      }),
      `${EKS}${VERSION_1} already sets ${TO}`,
    ],
    [
      'CreateLaunchTemplateVersion is not allowed',
      eksFacts({
        template: template({ runInstances: null, createVersion: denied('UnauthorizedOperation') }),
      }),
      `${EKS}drpilot may not create versions of launch template lt-0abc: grant it ec2:CreateLaunchTemplateVersion there (drpilot's deployed role allows it on templates tagged drpilot:managed=true) (dry run: UnauthorizedOperation)`,
    ],
    [
      'several problems at once, each named in order',
      eksFacts({
        nodegroup: nodegroup({ tags: {}, status: 'UPDATING', launchTemplate: null }),
        template: null,
      }),
      `${EKS}the node group does not carry the opt-in tag drpilot:managed=true: tag it to let drpilot change its launch template; an update of the node group is in progress: wait until it has ended; the node group was created without a launch template, and EKS updates a node group with a launch template only if it was created with one: create a node group with a launch template that sets InstanceType`,
    ],
  ];

  it.each(cases)('refuses when %s', (_, facts, reason) => {
    expect(planTemplateRollout(facts, TO)).toEqual({ ok: false, reason });
  });
});

describe('planTemplateRollout: the target of a rollout that may go ahead', () => {
  it('asg: the numbered version it runs, its type, and its InService members sorted', () => {
    expect(planTemplateRollout(asgFacts(), TO)).toEqual({
      ok: true,
      target: {
        kind: 'asg',
        region: REGION,
        autoScalingGroupName: 'workers-asg',
        launchTemplateId: 'lt-0abc',
        launchTemplateName: 'workers',
        currentVersion: 1,
        currentType: 'm6i.large',
        memberInstanceIds: ['i-1', 'i-2'],
      },
    });
  });

  it('eks-managed: the node group and its members; neither a RunInstances answer nor an AMI id is needed', () => {
    const facts = eksFacts({
      template: template({
        version: version({ imageId: 'resolve:ssm:/eks/ami' }),
        runInstances: null,
      }),
    });
    expect(planTemplateRollout(facts, TO)).toEqual({
      ok: true,
      target: {
        kind: 'eks-managed',
        region: REGION,
        clusterName: 'prod',
        nodegroupName: 'workers',
        launchTemplateId: 'lt-0abc',
        launchTemplateName: 'workers',
        currentVersion: 1,
        currentType: 'm6i.large',
        memberInstanceIds: ['i-1', 'i-2'],
      },
    });
  });

  it('ec2 groups are not resized through a launch template', () => {
    expect(planTemplateRollout({ kind: 'ec2' }, TO)).toEqual({
      ok: false,
      reason: 'kind "ec2" is not resized through a launch template',
    });
  });
});

describe('dryRunsToAsk: the rights probed before a version is rolled out', () => {
  it.each([
    ['asg', 'm6i.large', { runInstances: true, createVersion: true }],
    ['eks-managed', 'm6i.large', { runInstances: false, createVersion: true }],
    ['asg', TO, { runInstances: false, createVersion: false }],
    ['asg', null, { runInstances: false, createVersion: false }],
  ] as const)('%s, template type %s', (kind, instanceType, expected) => {
    expect(dryRunsToAsk(kind, version({ instanceType }), TO)).toEqual(expected);
  });

  it('an answer the planner needs but was not given is a bug in the observer, not a refusal', () => {
    expect(() => planTemplateRollout(asgFacts({ template: null }), TO)).toThrow(/was not read/);
    expect(() =>
      planTemplateRollout(asgFacts({ template: template({ runInstances: null }) }), TO),
    ).toThrow(/RunInstances dry run was not asked/);
  });
});
