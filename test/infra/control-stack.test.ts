import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  acknowledgementsIn,
  actionsOf,
  defined,
  synthExampleApp,
  TEST_ACCOUNT,
  type SynthesizedApp,
  type TemplateJson,
} from './synth';

type Resource = TemplateJson[string];
type Statement = {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Condition?: unknown;
};

let synthesized: SynthesizedApp;
let template: Template;
let resources: Record<string, Resource>;

// One bundled synthesis for the whole file: esbuild runs once.
beforeAll(() => {
  synthesized = synthExampleApp({ bundle: true });
  template = Template.fromStack(synthesized.stacks.control);
  resources = template.toJSON().Resources;
});

/** Logical ids of the resources defined at or below `scope` (the whole stack by default). */
function logicalIdsIn(scope?: IConstruct): Set<string> | null {
  if (scope === undefined) return null;
  const control = synthesized.stacks.control;
  return new Set(
    scope.node
      .findAll()
      .filter(CfnResource.isCfnResource)
      .map((c) => control.resolve(c.logicalId) as string),
  );
}

function logicalIdOf(type: string, scope?: IConstruct): string {
  const within = logicalIdsIn(scope);
  const ids = Object.entries(resources)
    .filter(([id, r]) => r.Type === type && (within === null || within.has(id)))
    .map(([id]) => id);
  expect(ids, `exactly one ${type}`).toHaveLength(1);
  return defined(ids[0], type);
}

function statementsOf(
  policyType: 'AWS::IAM::Policy',
  scope?: IConstruct,
): { policy: string; statement: Statement }[] {
  const within = logicalIdsIn(scope);
  return Object.entries(resources)
    .filter(([id, r]) => r.Type === policyType && (within === null || within.has(id)))
    .flatMap(([id, r]) =>
      (r.Properties.PolicyDocument.Statement as Statement[]).map((statement) => ({
        policy: id,
        statement,
      })),
    );
}

describe('control stack', () => {
  it('is pinned to the control region and named after the config', () => {
    const { control } = synthesized.stacks;
    expect(control.region).toBe('us-east-1');
    expect(control.account).toBe(TEST_ACCOUNT);
    expect(control.stackName).toBe('acme-drpilot-control');
  });

  it('keeps state in a pk/sk table with TTL, PITR, on-demand billing and the AWS owned key, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: 'acme-drpilot-state',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        // encryption "service-managed" (the default): SSEEnabled false is DynamoDB's AWS owned key
        // (encryption at rest stays on, no KMS charges: AWS::DynamoDB::Table SSESpecification).
        SSESpecification: { SSEEnabled: false },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('with encryption "customer-managed", encrypts the table and every queue with the stack key', () => {
    const custom = synthExampleApp({
      bundle: false,
      config: (doc) => {
        doc.encryption = 'customer-managed';
      },
    });
    for (const stack of custom.all) {
      const t = Template.fromStack(stack);
      const [keyId] = Object.keys(t.findResources('AWS::KMS::Key'));
      const queues = Object.values<Resource>(t.findResources('AWS::SQS::Queue'));
      expect(queues.length).toBeGreaterThan(0);
      for (const queue of queues) {
        expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      }
    }
    const control = Template.fromStack(custom.stacks.control);
    const [keyId] = Object.keys(control.findResources('AWS::KMS::Key'));
    control.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      },
    });
  });

  it('by default, encrypts every queue with SQS-managed SSE and makes no key', () => {
    for (const stack of synthesized.all) {
      const t = Template.fromStack(stack);
      const queues = Object.values<Resource>(t.findResources('AWS::SQS::Queue'));
      expect(queues.length).toBeGreaterThan(0);
      for (const queue of queues) {
        expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true });
        expect(queue.Properties.KmsMasterKeyId).toBeUndefined();
      }
      // The topic is under the AWS managed key alias/aws/sns (alarms page through EventBridge,
      // lib/pager.ts): no key of drpilot's own (test/infra/pager.test.ts covers every stack).
      expect(t.findResources('AWS::KMS::Key')).toEqual({});
    }
  });

  it('gives every function that events or alarms invoke an on-failure queue that alarms to the topic, one queue per stack', () => {
    for (const stack of synthesized.all) {
      const t = Template.fromStack(stack);
      const all = t.toJSON().Resources as Record<string, Resource>;
      const ofType = (type: string) => Object.entries(all).filter(([, r]) => r.Type === type);
      // A function is named by { Ref } in its invoke config and by { Fn::GetAtt: [id, Arn] } in permissions.
      const functionId = (name: { Ref?: string; 'Fn::GetAtt'?: [string, string] }) =>
        defined(name.Ref ?? name['Fn::GetAtt']?.[0], JSON.stringify(name));
      const topics = ofType('AWS::SNS::Topic').map(([id]) => id);
      expect(topics, stack.stackName).toHaveLength(1);
      // Asynchronous invokers: EventBridge rules and CloudWatch alarm actions.
      const invoked = new Set(
        ofType('AWS::Lambda::Permission')
          .filter(([, r]) =>
            ['events.amazonaws.com', 'lambda.alarms.cloudwatch.amazonaws.com'].includes(
              r.Properties.Principal,
            ),
          )
          .map(([, r]) => functionId(r.Properties.FunctionName)),
      );
      expect(invoked.size, stack.stackName).toBeGreaterThan(0);
      const destinations = new Map(
        ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => [
          functionId(r.Properties.FunctionName),
          r.Properties.DestinationConfig?.OnFailure?.Destination,
        ]),
      );
      const failureQueues = new Set<string>();
      for (const fn of invoked) {
        const destination = destinations.get(fn);
        expect(destination, `${stack.stackName}: on-failure destination of ${fn}`).toMatchObject({
          'Fn::GetAtt': [expect.any(String), 'Arn'],
        });
        failureQueues.add((destination as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
      }
      expect([...failureQueues], stack.stackName).toHaveLength(1);
      const [queueId] = [...failureQueues];
      expect(all[defined(queueId, 'queue')]?.Type).toBe('AWS::SQS::Queue');
      const alarms = Object.keys(
        t.findResources('AWS::CloudWatch::Alarm', {
          Properties: {
            AlarmName: `${stack.stackName}-failed-invocations`,
            Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
          },
        }),
      );
      expect(alarms, stack.stackName).toHaveLength(1);
      // It pages through the stack's pager, which publishes to the one topic (pager.test.ts).
      const pagerRule = Object.entries(all).find(([id]) => id.startsWith('PagerAlarmStateChanged'));
      expect(JSON.stringify(pagerRule?.[1].Properties.EventPattern)).toContain(`"${alarms[0]}"`);
    }
  });

  it('notifies through a TLS-only topic under the AWS managed key', () => {
    const topicId = logicalIdOf('AWS::SNS::Topic');
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'acme-drpilot-notifications',
      KmsMasterKeyId: `arn:aws:kms:us-east-1:${TEST_ACCOUNT}:alias/aws/sns`,
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  describe('status function', () => {
    // The control stack holds other functions too (BackupResync has its own test file).
    const status = () => synthesized.stacks.control.status;
    const statusFunction = () => resources[logicalIdOf('AWS::Lambda::Function', status())];

    it('runs on the newest Node.js runtime aws-cdk-lib knows, on ARM64, untraced by default', () => {
      const newestNode = lambda.Runtime.ALL.filter((r) => /^nodejs\d+\.x$/.test(r.name))
        .map((r) => r.name)
        .sort((a, b) => parseInt(b.slice(6), 10) - parseInt(a.slice(6), 10))[0];
      expect(newestNode).toBe('nodejs24.x');
      expect(statusFunction().Properties).toMatchObject({
        FunctionName: 'acme-drpilot-status',
        Runtime: newestNode,
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
      // X-Ray is opt-in (observability.tracing); Powertools' Tracer is told so.
      expect(statusFunction().Properties.TracingConfig).toBeUndefined();
      expect(statusFunction().Properties.Environment?.Variables).toMatchObject({
        POWERTOOLS_TRACE_ENABLED: 'false',
      });
    });

    it('gets its config from the bundle, never from an environment variable', () => {
      const variables = statusFunction().Properties.Environment?.Variables ?? {};
      expect(Object.keys(variables)).not.toContain('DRPILOT_CONFIG_JSON');
      // Nothing from the config beyond the names the resources carry appears in any template.
      for (const stack of synthesized.all) {
        const text = JSON.stringify(Template.fromStack(stack).toJSON());
        expect(text).not.toContain('azurewebsites.net');
        // Kubeconfig secrets appear by name only, in the ARNs the resize and restore functions
        // may read.
        for (const mention of text.match(/[^"]*kubeconfig[^"]*/g) ?? []) {
          expect(mention).toMatch(
            /^arn:aws:secretsmanager:[a-z0-9-]+:\d+:secret:acme\/drpilot\/[a-z-]+-kubeconfig-\?{6}$/,
          );
        }
      }

      const outdir = synthesized.app.outdir;
      const bundles = readdirSync(outdir)
        .filter((d) => d.startsWith('asset.'))
        .map((d) => join(outdir, d, 'index.mjs'))
        .filter((f) => existsSync(f));
      // One bundle per function of the app; the region stacks' resize functions share theirs.
      // CDK's own CallAwsServiceCrossRegion function (the drill runbook's scale-up) is not ours.
      const functions = synthesized.all.flatMap((stack) =>
        Object.entries<Resource>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
          .filter(([id]) => !id.startsWith('CrossRegionAwsSdk'))
          .map(([, f]) => f),
      );
      expect(functions.map((f) => f.Properties.FunctionName).sort()).toEqual([
        'acme-drpilot-aks',
        'acme-drpilot-aks-secret',
        'acme-drpilot-dns',
        'acme-drpilot-pager',
        'acme-drpilot-pager',
        'acme-drpilot-pager',
        'acme-drpilot-resize',
        'acme-drpilot-resize',
        'acme-drpilot-resize-alarms',
        'acme-drpilot-resize-alarms',
        'acme-drpilot-restore',
        'acme-drpilot-resync',
        'acme-drpilot-status',
        'acme-drpilot-tunnels',
      ]);
      expect(bundles).toHaveLength(new Set(functions.map((f) => f.Properties.Code.S3Key)).size);
      const bundled = new Set(bundles.map((f) => basename(dirname(f))));
      for (const f of functions) {
        expect(bundled).toContain(`asset.${String(f.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      }
      const assetHash = String(statusFunction().Properties.Code.S3Key).replace(/\.zip$/, '');
      const code = readFileSync(join(outdir, `asset.${assetHash}`, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire')).toBe(true);
      expect(code).toContain('"stateTable":"acme-drpilot-state"');
      expect(code).not.toContain('process.env.DRPILOT_CONFIG_JSON');
      // Every function signs with the Lambda credential chain (lambdaEsbuildAlias), not the SDK's
      // default one with its profile and SSO links.
      for (const file of bundles) {
        const text = readFileSync(file, 'utf8');
        expect(text).toContain('a Lambda function gets AWS_ACCESS_KEY_ID');
        expect(text).not.toContain('Skipping SSO provider in default chain');
      }
    });

    it('logs to its own log group with a retention', () => {
      const logGroupId = logicalIdOf('AWS::Logs::LogGroup', status());
      expect(resources[logGroupId].Properties.RetentionInDays).toBe(90);
      expect(statusFunction().Properties.LoggingConfig).toMatchObject({
        LogGroup: { Ref: logGroupId },
        LogFormat: 'JSON',
      });
    });

    it("sends failed asynchronous invocations to the stack's encrypted queue, which alarms", () => {
      const queueId = logicalIdOf('AWS::SQS::Queue');
      const topicId = logicalIdOf('AWS::SNS::Topic');
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'acme-drpilot-control-failed-invocations',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      // It pages through the stack's pager, which publishes to the topic (pager.test.ts).
      const pager = synthesized.stacks.control.node.findChild('Pager');
      const pagerFunction = resources[logicalIdOf('AWS::Lambda::Function', pager)];
      expect(pagerFunction.Properties.Environment.Variables).toMatchObject({
        DRPILOT_NOTIFICATION_TOPIC_ARN: { Ref: topicId },
      });
      const alarmId = Object.keys(
        template.findResources('AWS::CloudWatch::Alarm', {
          Properties: { AlarmName: 'acme-drpilot-control-failed-invocations' },
        }),
      )[0];
      const pagerRule = resources[logicalIdOf('AWS::Events::Rule', pager)];
      expect(JSON.stringify(pagerRule.Properties.EventPattern)).toContain(`"${alarmId}"`);
    });

    it('has a role with no managed policies', () => {
      const roleId = logicalIdOf('AWS::IAM::Role', status());
      expect(resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
      expect(resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Principal: { Service: 'lambda.amazonaws.com' } }),
      ]);
    });

    it('reads only the configured zone, the two health alarms and the state table', () => {
      const statements = statementsOf('AWS::IAM::Policy', status()).map((s) => s.statement);
      const find = (action: string) => statements.filter((s) => actionsOf(s).includes(action));

      const [route53] = find('route53:ListResourceRecordSets');
      // enablePartitionLiterals: the region is known, so the partition is written out.
      expect(route53?.Resource).toBe('arn:aws:route53:::hostedzone/Z0123456789');

      const alarms = statements.find((s) => s.Sid === 'ReadTheHealthAlarms');
      expect(actionsOf(defined(alarms, 'DescribeAlarms'))).toEqual(['cloudwatch:DescribeAlarms']);
      expect(([] as string[]).concat(alarms?.Resource as string[]).sort()).toEqual(
        ['acme-dr-health', 'acme-primary-health'].map(
          (name) => `arn:aws:cloudwatch:us-east-1:${TEST_ACCOUNT}:alarm:${name}`,
        ),
      );

      const tableId = logicalIdOf('AWS::DynamoDB::Table');
      const [tableRead] = find('dynamodb:GetItem');
      expect(actionsOf(defined(tableRead, 'table read'))).toEqual(
        expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem']),
      );
      expect(
        actionsOf(defined(tableRead, 'table read')).filter((a) =>
          /Put|Update|Delete|Write/.test(a),
        ),
      ).toEqual([]);
      expect(tableRead?.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
    });

    it("lists alarms (the node groups' resize alarms, by prefix) only in the cluster regions, read-only, acknowledged", () => {
      const listed = statementsOf('AWS::IAM::Policy', status()).filter(
        ({ statement }) => statement.Sid === 'ListAlarms',
      );
      expect(listed).toHaveLength(1);
      const { statement, policy } = defined(listed[0], 'the ListAlarms statement');
      expect(actionsOf(statement)).toEqual(['cloudwatch:DescribeAlarms']);
      // A listing by prefix is authorised against alarm:* (lib/shared-statements.ts), per region.
      const arns = ['eu-west-1', 'eu-central-1'].map(
        (region) => `arn:aws:cloudwatch:${region}:${TEST_ACCOUNT}:alarm:*`,
      );
      expect(([] as string[]).concat(statement.Resource as string[]).sort()).toEqual(
        [...arns].sort(),
      );
      const control = synthesized.stacks.control;
      const policyPath = defined(
        control.node
          .findAll()
          .find((c) => CfnResource.isCfnResource(c) && control.resolve(c.logicalId) === policy),
        'the ListAlarms policy construct',
      ).node.path;
      const acknowledged = acknowledgementsIn(control).filter(
        (ack) => policyPath === ack.path || policyPath.startsWith(`${ack.path}/`),
      );
      for (const arn of arns) {
        expect(acknowledged).toContainEqual(
          expect.objectContaining({
            id: `AwsSolutions-IAM5[Resource::${arn}]`,
            reason: expect.stringMatching(/DescribeAlarms by name prefix/),
          }),
        );
      }
    });

    it('uses * only where the action has no resource-level permissions, each with a reason', () => {
      const unscoped = statementsOf('AWS::IAM::Policy', status()).filter(({ statement }) =>
        ([] as unknown[]).concat(statement.Resource).includes('*'),
      );
      // X-Ray's PutTraceSegments would be a third, with observability.tracing.
      expect(unscoped.map(({ statement }) => actionsOf(statement).sort())).toEqual([
        ['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeInstances'],
      ]);

      const describeInstances = defined(
        unscoped.find(({ statement }) => actionsOf(statement).includes('ec2:DescribeInstances')),
        'the DescribeInstances statement',
      );
      expect(describeInstances.statement.Condition).toEqual({
        StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] },
      });
      // Its acknowledgement (with its reason) sits on the policy or a construct above it.
      const control = synthesized.stacks.control;
      const policyPath = defined(
        control.node
          .findAll()
          .find(
            (c) =>
              CfnResource.isCfnResource(c) &&
              control.resolve(c.logicalId) === describeInstances.policy,
          ),
        'the DescribeInstances policy construct',
      ).node.path;
      expect(
        acknowledgementsIn(control).filter(
          (ack) =>
            ack.id === 'AwsSolutions-IAM5[Resource::*]' &&
            (policyPath === ack.path || policyPath.startsWith(`${ack.path}/`)),
        ),
      ).toEqual([expect.objectContaining({ reason: expect.stringMatching(/DescribeInstances/) })]);
    });
  });

  it('exports what the CLI and people look up', () => {
    template.hasOutput('StatusFunctionName', {});
    template.hasOutput('StateTableName', {});
    template.hasOutput('NotificationTopicArn', {});
  });
});
