import type { CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { RESIZE_STATE_MACHINE_ENV } from '../../lambdas/core/shared-names';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import type { ReactiveFunction } from '../../lib/reactive-function';
import {
  newTestApp,
  TEST_ACCOUNT,
  validExampleConfig,
  watchNag,
  type NagRun,
  type TemplateJson,
} from './synth';
import { definitionFromTemplate } from '../support/step-functions-fake';

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The example config plus an Auto Scaling group (by name and by tag) and an EKS nodegroup. */
function withEveryKind(doc: Record<string, any>) {
  const base = { cluster: 'primary', metric: 'cpu', ladder: ['m6i.large', 'm6i.xlarge'] };
  doc.nodeGroups.push(
    { ...base, id: 'named-asg', kind: 'asg', selector: { autoScalingGroupName: 'web-asg' } },
    { ...base, id: 'tagged-asg', kind: 'asg', selector: { tag: { key: 'team', value: 'batch' } } },
    {
      ...base,
      id: 'eks-ng',
      kind: 'eks-managed',
      selector: { eks: { clusterName: 'prod', nodegroupName: 'general' } },
    },
  );
}

let config: DrpilotConfig;
let stacks: DrpilotStacks;
let runs: NagRun[];
let primary: Template;

beforeAll(() => {
  const app = newTestApp(false);
  config = validExampleConfig(withEveryKind);
  stacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  ({ runs } = watchNag(() => app.synth()));
  primary = Template.fromStack(stacks.regions.primary);
});

function statementsOf(stack: Stack, reactive: ReactiveFunction): Statement[] {
  const roleId = stack.resolve(
    (reactive.role.node.defaultChild as CfnResource).logicalId,
  ) as string;
  return Object.values<TemplateJson>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === `{"Ref":"${roleId}"}`),
    )
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const resizeStatements = () =>
  statementsOf(stacks.regions.primary, stacks.regions.primary.resize!.reactive);
const bySid = (sid: string) => {
  const found = resizeStatements().find((s) => s.Sid === sid);
  if (!found)
    throw new Error(
      `no statement ${sid} among ${resizeStatements()
        .map((s) => s.Sid)
        .join(', ')}`,
    );
  return found;
};

describe('node resize in the region stacks', () => {
  it('is clean under cdk-nag AwsSolutions with every kind of group (each acknowledgement with a reason)', () => {
    expect(runs).toEqual([expect.objectContaining({ success: true, violations: 0 })]);
  });

  it("rolls out in a state machine: Advance → Done? → Wait (the step's own waitSeconds) → Advance, Catch → Finish", () => {
    const definition = definitionFromTemplate(
      primary.toJSON() as Parameters<typeof definitionFromTemplate>[0],
    );
    expect(definition.StartAt).toBe('Advance');
    const { Advance, Wait, Finish } = definition.States;
    expect(Advance).toMatchObject({
      Type: 'Task',
      Next: 'Done?',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Finish' }],
    });
    expect(definition.States['Done?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'Finish' }],
      Default: 'Wait',
    });
    expect(Wait).toEqual({ Type: 'Wait', SecondsPath: '$.waitSeconds', Next: 'Advance' });
    expect(Finish).toMatchObject({ Type: 'Task', End: true });
    primary.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'acme-drpilot-resize-rollout',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
  });

  it('the function finds the state machine by a name-built ARN (no circular reference) and may start only it', () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:acme-drpilot-resize-rollout';
    primary.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'acme-drpilot-resize',
      Timeout: 900,
      Environment: { Variables: Match.objectLike({ [RESIZE_STATE_MACHINE_ENV]: arn }) },
    });
    expect(bySid('StartRollouts')).toMatchObject({
      Action: 'states:StartExecution',
      Resource: arn,
    });
  });

  it("re-plans groups whose alarms stay in ALARM every 5 minutes, listing this region's alarms only", () => {
    primary.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Input: JSON.stringify({ action: 'reconcile', reason: 'scheduled every 5 minutes' }),
        }),
      ],
    });
    expect(bySid('ListAlarms')).toMatchObject({
      Action: 'cloudwatch:DescribeAlarms',
      Resource: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*',
    });
  });

  it('ec2 group: stop/start and retype (the instance type only, to a ladder type) only instances carrying the group tag and the opt-in tag; kubeconfig by name', () => {
    const groupTags = {
      'aws:ResourceTag/drpilot:managed': 'true',
      'aws:ResourceTag/drpilot:group': 'primary-workers',
    };
    expect(bySid('primaryworkersStopStart')).toEqual({
      Sid: 'primaryworkersStopStart',
      Effect: 'Allow',
      Action: ['ec2:StartInstances', 'ec2:StopInstances'],
      Resource: 'arn:aws:ec2:eu-west-1:123456789012:instance/*',
      Condition: { StringEquals: groupTags },
    });
    expect(bySid('primaryworkersRetypeOnly')).toEqual({
      Sid: 'primaryworkersRetypeOnly',
      Effect: 'Allow',
      Action: 'ec2:ModifyInstanceAttribute',
      Resource: 'arn:aws:ec2:eu-west-1:123456789012:instance/*',
      Condition: {
        StringEquals: {
          ...groupTags,
          'ec2:Attribute/InstanceType': ['m6i.2xlarge', 'm6i.4xlarge', 'm6i.large', 'm6i.xlarge'],
        },
      },
    });
    expect(bySid('primaryworkersReadKubeconfig')).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource:
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/drpilot/primary-kubeconfig-??????',
    });
  });

  it('kms:CreateGrant only for EC2 in the region, for AWS resources (encrypted volumes must start)', () => {
    expect(bySid('primaryworkersVolumeKeyGrants')).toMatchObject({
      Action: 'kms:CreateGrant',
      Condition: {
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
        StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' },
      },
    });
  });

  it('asg and eks-managed groups: template versions by opt-in tag, the refresh or update on the named group only', () => {
    expect(bySid('namedasgNewTemplateVersion')).toMatchObject({
      Action: ['ec2:CreateLaunchTemplateVersion', 'ec2:DeleteLaunchTemplateVersions'],
      Condition: { StringEquals: { 'aws:ResourceTag/drpilot:managed': 'true' } },
    });
    expect(bySid('namedasgRefreshTheGroup')).toMatchObject({
      Action: 'autoscaling:StartInstanceRefresh',
      Resource:
        'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/web-asg',
    });
    expect(bySid('taggedasgRefreshTheGroup')).toMatchObject({
      Resource:
        'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*',
      Condition: {
        StringEquals: {
          'aws:ResourceTag/drpilot:managed': 'true',
          'aws:ResourceTag/team': 'batch',
        },
      },
    });
    expect(bySid('eksngUpdateTheNodegroup')).toMatchObject({
      Action: ['eks:DescribeNodegroup', 'eks:DescribeUpdate', 'eks:UpdateNodegroupVersion'],
      Resource: 'arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/general/*',
    });
    const launch = resizeStatements().find((s) =>
      JSON.stringify(s.Action).includes('ec2:RunInstances'),
    );
    expect(launch).toMatchObject({
      Resource: '*',
      Condition: {
        ArnLike: { 'ec2:LaunchTemplate': 'arn:aws:ec2:eu-west-1:123456789012:launch-template/*' },
      },
    });
    const passRole = resizeStatements().find((s) => s.Action === 'iam:PassRole');
    expect(passRole?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    });
  });

  it("delivers each group's alarms going to ALARM to the resize function", () => {
    const rules = primary.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.cloudwatch'] } },
    });
    // The tunnel alarms' rule (the AKS side) shares the source; only the resize rules count here.
    const patterns = Object.values<TemplateJson>(rules)
      .map((r) => r.Properties.EventPattern.detail)
      .filter((detail) => JSON.stringify(detail.alarmName).includes('drpilot-resize.'));
    expect(patterns).toEqual(
      expect.arrayContaining(
        ['primary-workers', 'named-asg', 'tagged-asg', 'eks-ng'].map((id) => ({
          alarmName: [{ prefix: `acme-drpilot-resize.${id}.` }],
          state: { value: ['ALARM'] },
        })),
      ),
    );
    expect(patterns).toHaveLength(4);
  });

  it('keeps member alarms with a reconciler: every 5 minutes and on instance state changes, writing only its own alarms', () => {
    primary.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Input: JSON.stringify({
            action: 'reconcile-alarms',
            reason: 'scheduled every 5 minutes',
          }),
        }),
      ],
    });
    primary.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ec2'],
        'detail-type': ['EC2 Instance State-change Notification'],
        detail: { state: ['running', 'terminated'] },
      },
    });
    const reconciler = statementsOf(
      stacks.regions.primary,
      stacks.regions.primary.memberAlarms!.reactive,
    );
    expect(reconciler.find((s) => s.Sid === 'KeepMemberAlarms')).toMatchObject({
      Resource: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:acme-drpilot-resize.*',
    });
  });

  it('each region serves its own groups; a region without groups gets no resize at all', () => {
    const dr = Template.fromStack(stacks.regions.dr);
    const drRules = dr.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.cloudwatch'] } },
    });
    expect(
      Object.values<TemplateJson>(drRules).map((r) => r.Properties.EventPattern.detail.alarmName),
    ).toEqual([[{ prefix: 'acme-drpilot-resize.dr-workers.' }]]);

    const app = newTestApp(false);
    const noDr = addDrpilotStacks(
      app,
      validExampleConfig((doc) => {
        doc.nodeGroups = doc.nodeGroups.filter((g: { cluster: string }) => g.cluster !== 'dr');
      }),
      TEST_ACCOUNT,
    );
    expect(noDr.regions.dr.resize).toBeNull();
    Template.fromStack(noDr.regions.dr).resourceCountIs('AWS::StepFunctions::StateMachine', 0);
  });
});
