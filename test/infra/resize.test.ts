import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { RESIZE_STATE_MACHINE_ENV } from '../../lambdas/core/shared-names';
import { INSTANCE_EVENTS } from '../../lambdas/resize-alarms/instance-batch';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import {
  logicalId,
  type NagRun,
  newTestApp,
  statementsOf,
  type TemplateJson,
  TEST_ACCOUNT,
  validExampleConfig,
  watchNag,
} from './synth';
import { LAMBDA_TRANSIENT_ERRORS } from '../../lib/resize';
import { firstNodeStep, nextNodeStep } from '../../lambdas/core/resize/node-steps';
import { ROLLOUT_TIMED_OUT, rolloutTimedOutCause } from '../../lambdas/core/resize/rollout-bound';
import {
  nodeLimitsFor,
  pollBoundFor,
  TEMPLATE_POLL_SECONDS,
} from '../../lambdas/resize/advance-rollout';
import type { RolloutState } from '../../lambdas/resize/rollout-state';
import {
  definitionFromTemplate,
  runStateMachine,
  type AslDefinition,
  type AslState,
} from '../support/step-functions-fake';

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

  it("rolls out in a state machine: Advance → Done? → Count → Within bound? → Wait (the step's own waitSeconds) → Advance, Catch → Finish", () => {
    const definition = definitionFromTemplate(primary);
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
      Default: 'Count',
    });
    expect(definition.States.Count).toMatchObject({
      Type: 'Pass',
      Parameters: { 'count.$': 'States.MathAdd($.poll.count, 1)', 'max.$': '$.poll.max' },
      ResultPath: '$.poll',
      Next: 'Within bound?',
    });
    expect(definition.States['Within bound?']).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.poll.count', NumericGreaterThanEqualsPath: '$.poll.max', Next: 'Timed out' },
      ],
      Default: 'Wait',
    });
    expect(definition.States['Timed out']).toMatchObject({
      Type: 'Pass',
      Parameters: { Error: 'drpilot.RolloutTimedOut' },
      ResultPath: '$.error',
      Next: 'Finish',
    });
    expect(Wait).toEqual({ Type: 'Wait', SecondsPath: '$.waitSeconds', Next: 'Advance' });
    expect(Finish).toMatchObject({
      Type: 'Task',
      End: true,
      Catch: [
        { ErrorEquals: ['States.ALL'], ResultPath: '$.finishError', Next: 'Page Finish failure' },
      ],
    });
    primary.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'acme-drpilot-resize-rollout',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
  });

  it('no path of the definition skips Finish: every path from StartAt reaches Finish or the Finish-failure page', () => {
    const definition = definitionFromTemplate(primary);
    const sinks = new Set(['Finish', 'Page Finish failure']);
    for (const sink of sinks) expect(definition.States[sink]?.Type).toBe('Task');
    const reachable = statesFrom(definition, definition.StartAt, new Set());
    // Every state the execution can be in before a sink: a Task catches everything into a
    // sink, a Choice always has a Default, and nothing ends (End, Succeed, Fail, no Next).
    const beforeSinks = statesFrom(definition, definition.StartAt, sinks);
    expect([...beforeSinks].sort()).toEqual(
      ['Advance', 'Count', 'Done?', 'Timed out', 'Wait', 'Within bound?'].sort(),
    );
    for (const name of beforeSinks) {
      const state = definition.States[name]!;
      expect(isTerminal(state), `${name} ends the execution before Finish`).toBe(false);
      if (state.Type === 'Task') {
        expect(state.Catch, `${name} has no Catch`).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              ErrorEquals: ['States.ALL'],
              Next: expect.toBeOneOf([...sinks]),
            }),
          ]),
        );
      }
      if (state.Type === 'Choice') expect(state.Default, `${name} has no Default`).toBeTruthy();
      expect(['Task', 'Choice', 'Pass', 'Wait'], `${name} is a ${state.Type}`).toContain(
        state.Type,
      );
    }
    // Finish's own failure is caught into the page; the page ends the execution (even when it fails).
    expect(definition.States.Finish!.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Page Finish failure' }),
    ]);
    expect(definition.States['Page Finish failure']!.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['States.ALL'] }),
    ]);
    // Every Task in the definition has a Catch of everything.
    for (const name of reachable) {
      const state = definition.States[name]!;
      if (state.Type === 'Task')
        expect(JSON.stringify(state.Catch), name).toContain('"ErrorEquals":["States.ALL"]');
    }
    // The loop is bounded: every cycle before the sinks passes Count (+1) and Within bound? (count
    // ≥ max → Timed out → Finish). Without either, the states before the sinks have no cycle.
    expect(hasCycle(definition, beforeSinks)).toBe(true);
    for (const cut of ['Count', 'Within bound?']) {
      expect(hasCycle(definition, new Set([...beforeSinks].filter((n) => n !== cut))), cut).toBe(
        false,
      );
    }
    expect(definition.States['Timed out']!.Next).toBe('Finish');
  });

  it('every Lambda task retries the transient Lambda errors and throttling with backoff; the Finish-failure page goes to the alarm topic', () => {
    const definition = definitionFromTemplate(primary);
    const lambdaTasks = Object.entries(definition.States).filter(
      ([, s]) => s.Type === 'Task' && !String(s.Resource).includes(':states:::'),
    );
    expect(lambdaTasks.map(([name]) => name).sort()).toEqual(['Advance', 'Finish']);
    for (const [name, state] of lambdaTasks) {
      const retries = state.Retry as { ErrorEquals: string[]; BackoffRate: number }[];
      expect(retries, name).toHaveLength(1);
      expect(retries[0]!.ErrorEquals, name).toEqual(
        expect.arrayContaining([
          'Lambda.TooManyRequestsException',
          'Lambda.ServiceException',
          'Lambda.SdkClientException',
          'Lambda.AWSLambdaException',
          'Lambda.ClientExecutionTimeoutException',
        ]),
      );
      expect(retries[0]!.ErrorEquals).toEqual(LAMBDA_TRANSIENT_ERRORS);
      expect(retries[0]).toMatchObject({ IntervalSeconds: 2, MaxAttempts: 8, BackoffRate: 2 });
    }
    const page = definition.States['Page Finish failure']!;
    expect(page).toMatchObject({
      Type: 'Task',
      Resource: expect.stringContaining(':states:::sns:publish'),
      Next: 'Finish failed',
      Parameters: { Subject: 'drpilot acme: resize rollout Finish failed' },
    });
    expect(definition.States['Finish failed']).toMatchObject({ Type: 'Fail' });
    const machineRole = Object.values<TemplateJson>(
      primary.findResources('AWS::IAM::Policy'),
    ).filter((p) => JSON.stringify(p.Properties.Roles).includes('ResizeRolloutRole'));
    // The alarm topic is KMS-encrypted: publishing needs its key too.
    expect(JSON.stringify(machineRole)).toContain('"sns:Publish"');
    expect(JSON.stringify(machineRole)).toContain('"kms:GenerateDataKey"');
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
      Action: ['autoscaling:CancelInstanceRefresh', 'autoscaling:StartInstanceRefresh'],
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
    // The tunnel alarms' rule (the AKS side) and the pager's (alarms by ARN, lib/pager.ts) share
    // the source; only the resize rules count here.
    const patterns = Object.values<TemplateJson>(rules)
      .map((r) => r.Properties.EventPattern.detail)
      .filter((detail) => JSON.stringify(detail?.alarmName ?? null).includes('drpilot-resize.'));
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
    const reconciler = statementsOf(
      stacks.regions.primary,
      stacks.regions.primary.memberAlarms!.reactive,
    );
    expect(reconciler.find((s) => s.Sid === 'KeepMemberAlarms')).toMatchObject({
      Resource: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:acme-drpilot-resize.*',
    });
  });

  it('may list metrics in its region for the ec2 groups whose alarms are "auto", and only then', () => {
    const listMetrics = (of: DrpilotStacks) =>
      statementsOf(of.regions.primary, of.regions.primary.memberAlarms!.reactive).filter(
        (s) => JSON.stringify(s.Action) === '"cloudwatch:ListMetrics"',
      );
    expect(listMetrics(stacks)).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
      }),
    ]);
    const members = addDrpilotStacks(
      newTestApp(false),
      validExampleConfig((doc) => {
        for (const group of doc.nodeGroups) group.alarms = 'members';
      }),
      TEST_ACCOUNT,
    );
    expect(listMetrics(members)).toEqual([]);
  });

  it('takes instance state changes from a queue, in batches, never one invocation per instance', () => {
    const memberAlarms = stacks.regions.primary.memberAlarms!;
    const ref = (construct: { node: { defaultChild?: unknown } }) =>
      logicalId(stacks.regions.primary, construct);
    const queueId = ref(memberAlarms.instanceEvents);
    const functionId = ref(memberAlarms.reactive.fn);
    const failedId = ref(memberAlarms.reactive.failureQueue);

    // The rule targets the queue; no rule targets the function with instance events.
    const rules = Object.values<TemplateJson>(
      primary.findResources('AWS::Events::Rule', {
        Properties: { EventPattern: { source: ['aws.ec2'] } },
      }),
    ).filter((r) => JSON.stringify(r.Properties.EventPattern).includes('"running"'));
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.EventPattern).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['running', 'terminated'] },
    });
    expect(rules[0]!.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
    ]);

    // The queue keeps events for days, hands a batch out again only after six function timeouts,
    // and moves what keeps failing to the stack's failure queue, whose alarm pages.
    primary.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: INSTANCE_EVENTS.retentionDays * 86_400,
      VisibilityTimeout: 6 * 120,
      // encryption "service-managed" (the default): EventBridge sends to it without a key policy.
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [failedId, 'Arn'] },
        maxReceiveCount: INSTANCE_EVENTS.maxReceiveCount,
      },
    });

    expect(primary.findResources('AWS::SQS::Queue')).toEqual({
      [failedId]: expect.anything(),
      [queueId]: expect.anything(),
    });
    primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'acme-drpilot-primary-failed-invocations',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [failedId, 'QueueName'] } }],
      Threshold: 0,
    });

    // One invocation per batch: a batching window, partial failures, bounded concurrency.
    primary.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: functionId },
      BatchSize: INSTANCE_EVENTS.batchSize,
      MaximumBatchingWindowInSeconds: INSTANCE_EVENTS.maxBatchingWindowSeconds,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: INSTANCE_EVENTS.maxConcurrency },
    });
    // Room for every batch the mapping may run plus the schedule: a batch is never throttled.
    primary.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'acme-drpilot-resize-alarms',
      ReservedConcurrentExecutions: INSTANCE_EVENTS.maxConcurrency + 1,
    });
    expect(runs).toEqual([expect.objectContaining({ success: true, violations: 0 })]);
  });

  it('each region serves its own groups; a region without groups gets no resize at all', () => {
    const dr = Template.fromStack(stacks.regions.dr);
    const drRules = dr.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.cloudwatch'] } },
    });
    // Besides the pager's rule, which matches alarms by ARN (lib/pager.ts).
    expect(
      Object.values<TemplateJson>(drRules)
        .map((r) => r.Properties.EventPattern.detail.alarmName)
        .filter((name) => name !== undefined),
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

describe('the synthesized rollout definition, run by the Step Functions fake (virtual time)', () => {
  const T0 = Date.parse('2026-12-02T10:00:00Z');
  /**
   * Runs the definition on a virtual clock its Wait states move on: the Finish task records its
   * state in `finished`, the Advance task is `advance`.
   */
  function harness() {
    const definition = definitionFromTemplate(primary);
    let now = T0;
    const finished: RolloutState[] = [];
    const sleep = async (seconds: number) => void (now += seconds * 1000);
    const run = (state: RolloutState, advance: (current: RolloutState) => unknown) =>
      runStateMachine(
        definition,
        state,
        async (_resource, input) => {
          const current = input as RolloutState;
          if (!current.done && !current.error) return advance(current);
          finished.push(current);
          return { outcome: 'finished' };
        },
        sleep,
      );
    return { run, finished, now: () => new Date(now) };
  }
  const rollout = (groupId: string, nodes: number, template: RolloutState['template']) => {
    const group = config.nodeGroups.find((g) => g.id === groupId)!;
    return {
      group,
      state: {
        drpilotRollout: 1,
        groupId,
        nodes: Array.from({ length: nodes }, (_, i) => ({
          id: `i-0${i}`,
          from: 'm6i.large',
          to: 'm6i.xlarge',
          outcome: 'not-started',
          detail: '',
        })),
        next: 0,
        step: null,
        template,
        done: false,
        waitSeconds: 0,
        poll: pollBoundFor(group, nodes),
      } as unknown as RolloutState,
    };
  };

  it('an ec2 drain a PodDisruptionBudget keeps blocking: Wait states between eviction rounds until drainTimeoutSeconds, then the node is blocked (uncordoned) and Finish runs, inside the bound', async () => {
    const h = harness();
    const { group, state } = rollout('primary-workers', 3, null);
    const limits = nodeLimitsFor(group);
    expect(limits.drainSeconds).toBe(180);
    const actions: string[] = [];
    const record = await h.run(state, (current) => {
      // Advance: one sub-step of the first node (core planner), its evictions always refused.
      const node = current.nodes[current.next]!;
      const step = current.step ?? firstNodeStep(h.now());
      actions.push(step.phase);
      const decision = nextNodeStep(
        node,
        step,
        {
          phase: step.phase as 'cordon' | 'drain',
          alreadyCordoned: false,
          remaining: ['app/web-0'],
          blocked: ['app/web-0'],
        },
        limits,
        h.now(),
      );
      if (decision.kind === 'next')
        return { ...current, step: decision.step, waitSeconds: decision.waitSeconds };
      if (decision.uncordon) actions.push('uncordon');
      return {
        ...current,
        step: null,
        next: current.next + 1,
        done: true,
        waitSeconds: 0,
        nodes: current.nodes.map((n, i) =>
          i === current.next ? { ...n, outcome: decision.outcome, detail: decision.detail } : n,
        ),
      };
    });
    expect(record.status).toBe('SUCCEEDED');
    // Cordon and the first round, then a round after every 10 s Wait until 180 s have passed.
    expect(actions).toEqual(['cordon', ...Array<string>(18).fill('drain'), 'uncordon']);
    expect(h.now().getTime() - T0).toBe(180_000);
    expect(record.visited.filter((name) => name === 'Wait')).toHaveLength(18);
    expect(record.visited.slice(-3)).toEqual(['Advance', 'Done?', 'Finish']);
    const [last] = h.finished;
    expect(last!.error).toBeUndefined();
    expect(last!.poll!.count).toBe(18);
    expect(last!.poll!.count).toBeLessThan(last!.poll!.max);
    expect(last!.nodes[0]).toMatchObject({
      outcome: 'blocked',
      detail: expect.stringMatching(
        /^not stopped: drain blocked by a PodDisruptionBudget: app\/web-0 .*within drainTimeoutSeconds \(180 s\); uncordoned/,
      ),
    });
  });

  it.each(['named-asg', 'eks-ng'])(
    'a %s rollout whose launch-template change never ends runs into the bound: Timed out → Finish with the error, after per-node budget × nodes of 30 s waits',
    async (groupId) => {
      const h = harness();
      const { state } = rollout(groupId, 3, {
        target: { kind: groupId === 'eks-ng' ? 'eks-managed' : 'asg' },
        handle: { operationId: 'op-1', newVersion: 2 },
        status: 'in-progress',
        detail: 'started',
      } as unknown as RolloutState['template']);
      // 1 + ⌈3 nodes × 900 s / 30 s⌉
      expect(state.poll).toEqual({ count: 0, max: 91 });
      let advances = 0;
      const record = await h.run(state, (current) => {
        advances++;
        return { ...current, waitSeconds: TEMPLATE_POLL_SECONDS };
      });
      expect(record.status).toBe('SUCCEEDED');
      expect(advances).toBe(91);
      expect(h.now().getTime() - T0).toBe(90 * TEMPLATE_POLL_SECONDS * 1000);
      expect(record.visited.slice(-4)).toEqual(['Count', 'Within bound?', 'Timed out', 'Finish']);
      expect(h.finished).toHaveLength(1);
      expect(h.finished[0]!.error).toEqual({
        Error: ROLLOUT_TIMED_OUT,
        Cause: rolloutTimedOutCause({ count: 91, max: 91 }),
      });
      // Finish sees the change still in progress and cancels it where AWS allows
      // (test/integration/resize-asg-rollout.test.ts, resize-eks-rollout.test.ts).
      expect(h.finished[0]!.template).toMatchObject({ status: 'in-progress' });
    },
  );
});

/** The states reachable from `start`, not entering `stop` (whose names are left out). */
function statesFrom(definition: AslDefinition, start: string, stop: Set<string>): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (stop.has(name) || seen.has(name)) continue;
    const state = definition.States[name];
    if (!state) throw new Error(`a transition names ${name}, which is not a state`);
    seen.add(name);
    todo.push(...successors(state));
  }
  return seen;
}

function successors(state: AslState): string[] {
  const choices = (state.Choices ?? []) as { Next: string }[];
  const catches = (state.Catch ?? []) as { Next: string }[];
  return [
    ...(state.Next ? [state.Next] : []),
    ...choices.map((c) => c.Next),
    ...(state.Default ? [state.Default as string] : []),
    ...catches.map((c) => c.Next),
  ];
}

function isTerminal(state: AslState): boolean {
  return (
    state.End === true ||
    ['Succeed', 'Fail'].includes(state.Type) ||
    (state.Type !== 'Choice' && !state.Next)
  );
}

/** Whether the states in `within` (edges between them only) contain a cycle. */
function hasCycle(definition: AslDefinition, within: Set<string>): boolean {
  const done = new Set<string>();
  const onPath = new Set<string>();
  const visit = (name: string): boolean => {
    if (onPath.has(name)) return true;
    if (done.has(name) || !within.has(name)) return false;
    onPath.add(name);
    const cyclic = successors(definition.States[name]!).some(visit);
    onPath.delete(name);
    done.add(name);
    return cyclic;
  };
  return [...within].some(visit);
}
