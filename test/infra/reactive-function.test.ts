import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { checkWithNag } from '../../lib/nag';
import type { Pager } from '../../lib/pager';
import {
  NODE_RUNTIME,
  ReactiveFunction,
  type ReactiveFunctionProps,
} from '../../lib/reactive-function';
import {
  acknowledgementsIn,
  actionsOf,
  nagFindings,
  newTestApp,
  statementsOf,
  TEST_ACCOUNT,
  validExampleConfig,
  type TemplateJson,
  watchNag,
} from './synth';

function withFunction(overrides: Partial<ReactiveFunctionProps> = {}) {
  const stack = new Stack(newTestApp(false), 'Probe', {
    env: { account: TEST_ACCOUNT, region: 'eu-west-1' },
  });
  checkWithNag(stack);
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const topic = new sns.Topic(stack, 'Topic', { masterKey: key, enforceSSL: true });
  const reactive = new ReactiveFunction(stack, 'Reactive', {
    entry: 'lambdas/status/handler.ts',
    description: 'probe',
    config: validExampleConfig(),
    alarmTopic: topic,
    encryptionKey: key,
    ...overrides,
  });
  return { stack, reactive, topic };
}

describe('ReactiveFunction', () => {
  it('defaults: newest Node.js, ARM64, untraced, 2 retries within an hour, unreserved', () => {
    const { stack } = withFunction();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: NODE_RUNTIME.name,
      Architectures: ['arm64'],
      TracingConfig: Match.absent(),
      MemorySize: 256,
      Timeout: 60,
      ReservedConcurrentExecutions: Match.absent(),
      Environment: {
        Variables: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_TRACE_ENABLED: 'false' },
      },
    });
    // No X-Ray permissions without tracing.
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('xray:');
    // encryption "service-managed": the failure queue uses SQS-managed SSE, not the key.
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      KmsMasterKeyId: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
    });
  });

  it('with observability.tracing, is actively traced and may write traces (acknowledged)', () => {
    const { stack } = withFunction({
      config: validExampleConfig((doc) => {
        doc.observability = { tracing: true };
      }),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(
      'xray:PutTraceSegments',
    );
  });

  it('with encryption "customer-managed", encrypts the failure queue with the given key', () => {
    const { stack } = withFunction({
      config: validExampleConfig((doc) => {
        doc.encryption = 'customer-managed';
      }),
    });
    const template = Template.fromStack(stack);
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
  });

  it('takes reserved concurrency, retries and event age from its props', () => {
    const { stack } = withFunction({
      reservedConcurrency: 1,
      retryAttempts: 0,
      maxEventAge: Duration.minutes(10),
      functionName: 'acme-drpilot-probe',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'acme-drpilot-probe',
      ReservedConcurrentExecutions: 1,
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 600,
    });
  });

  it('exposes the function, its failure queue and the alarm that pages on the topic', () => {
    const { stack, reactive, topic } = withFunction();
    const template = Template.fromStack(stack);
    const queueId = stack.getLogicalId(reactive.failureQueue.node.defaultChild as never);
    const topicId = stack.getLogicalId(topic.node.defaultChild as never);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    // The alarm pages through the stack's pager (lib/pager.ts), which publishes to the topic.
    const pager = stack.node.findChild('Pager') as Pager;
    const alarmId = stack.getLogicalId(reactive.failureAlarm.node.defaultChild as never);
    const rule =
      template.toJSON().Resources[stack.getLogicalId(pager.alarmRule.node.defaultChild as never)];
    expect(rule.Properties.EventPattern).toMatchObject({
      resources: [{ 'Fn::GetAtt': [alarmId, 'Arn'] }],
      detail: { state: { value: ['ALARM'] } },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { DRPILOT_NOTIFICATION_TOPIC_ARN: { Ref: topicId } } },
    });
    expect(reactive.fn.role).toBe(reactive.role);
    expect(reactive.failureAlarm.alarmArn).toBeDefined();
  });

  it('shares one failure queue and alarm per stack; the alarm is named for the stack', () => {
    const { stack, reactive, topic } = withFunction();
    const key = stack.node.findChild('Key') as kms.Key;
    const second = new ReactiveFunction(stack, 'Second', {
      entry: 'lambdas/status/handler.ts',
      description: 'second probe',
      config: validExampleConfig(),
      alarmTopic: topic,
      encryptionKey: key,
    });
    expect(second.failureQueue).toBe(reactive.failureQueue);
    expect(second.failureAlarm).toBe(reactive.failureAlarm);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    const queueId = stack.getLogicalId(reactive.failureQueue.node.defaultChild as never);
    const configs = Object.values<TemplateJson>(
      template.findResources('AWS::Lambda::EventInvokeConfig'),
    );
    // The two probes and the stack's pager.
    expect(configs.map((c) => c.Properties.DestinationConfig)).toEqual(
      Array(3).fill({ OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } }),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Probe-failed-invocations',
      AlarmDescription: Match.stringLikeRegexp(
        'the record names the function, requestContext.functionArn',
      ),
    });
  });

  it('refuses a second function of the stack that alarms to another topic', () => {
    const { stack } = withFunction();
    const key = stack.node.findChild('Key') as kms.Key;
    const other = new sns.Topic(stack, 'OtherTopic', { masterKey: key, enforceSSL: true });
    expect(
      () =>
        new ReactiveFunction(stack, 'Second', {
          entry: 'lambdas/status/handler.ts',
          description: 'second probe',
          config: validExampleConfig(),
          alarmTopic: other,
          encryptionKey: key,
        }),
    ).toThrow(/Probe\/Second: the stack's failure queue already alarms to Probe\/Topic/);
  });

  it('writes logs only to its own log group', () => {
    const { stack, reactive } = withFunction();
    const logGroupId = stack.getLogicalId(reactive.logGroup.node.defaultChild as never);
    const logStatements = statementsOf(stack, reactive).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('logs:')),
    );
    expect(logStatements).toEqual([
      expect.objectContaining({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      }),
    ]);
  });

  it('refuses a * statement through addToRolePolicy and keeps unscoped grants in their own policy', () => {
    const { stack, reactive } = withFunction();
    expect(() =>
      reactive.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['ec2:DescribeRegions'], resources: ['*'] }),
      ),
    ).toThrow(/allowOnAnyResource/);

    const policy = reactive.allowOnAnyResource('DescribeRegions', {
      actions: ['ec2:DescribeRegions'],
      reason: 'ec2:DescribeRegions supports no resource-level permissions (probe).',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Action: 'ec2:DescribeRegions', Effect: 'Allow', Resource: '*' }],
      },
    });
    expect(acknowledgementsIn(policy)).toEqual([
      {
        path: policy.node.path,
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ec2:DescribeRegions supports no resource-level permissions (probe).',
      },
    ]);
  });

  it('is clean under cdk-nag on its own', () => {
    const { stack } = withFunction();
    const app = stack.node.root as ReturnType<typeof newTestApp>;
    expect(watchNag(() => app.synth()).runs).toEqual([
      { scope: app, success: true, violations: 0 },
    ]);
    expect(nagFindings(app)).toEqual([]);
  });
});
