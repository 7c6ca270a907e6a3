import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { checkWithNag } from '../../lib/nag';
import {
  NODE_RUNTIME,
  ReactiveFunction,
  type ReactiveFunctionProps,
} from '../../lib/reactive-function';
import {
  acknowledgementsIn,
  nagFindings,
  newTestApp,
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
  it('defaults: newest Node.js, ARM64, active tracing, 2 retries within an hour, unreserved', () => {
    const { stack } = withFunction();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: NODE_RUNTIME.name,
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 256,
      Timeout: 60,
      ReservedConcurrentExecutions: Match.absent(),
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
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
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'acme-drpilot-probe-failed-invocations',
    });
  });

  it('exposes the function, its failure queue and the alarm that notifies the topic', () => {
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
      AlarmActions: [{ Ref: topicId }],
    });
    expect(reactive.fn.role).toBe(reactive.role);
    expect(reactive.failureAlarm.alarmArn).toBeDefined();
  });

  it('writes logs only to its own log group', () => {
    const { stack, reactive } = withFunction();
    const logGroupId = stack.getLogicalId(reactive.logGroup.node.defaultChild as never);
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const logStatements = Object.values<TemplateJson>(policies)
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s) => [].concat(s.Action).some((a: string) => a.startsWith('logs:')));
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
