import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIDES, type DrpilotConfig, type Side } from '../../lambdas/core/config/schema';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import {
  DNS_RESERVED_CONCURRENCY,
  DnsFailover,
  normalizedRecordName,
  NOTIFICATION_TOPIC_ENV,
  RECONCILE_INPUT,
} from '../../lib/dns';
import {
  acknowledgementsIn,
  actionsOf,
  defined,
  nagFindings,
  type NagRun,
  newTestApp,
  type PolicyStatement as Statement,
  resourcesOf,
  type TemplateJson,
  TEST_ACCOUNT,
  validExampleConfig,
  watchNag,
} from './synth';

const ZONE_ARN = 'arn:aws:route53:::hostedzone/Z0123456789';
const VELERO_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555';

const sideId = (side: Side) => (side === 'primary' ? 'Primary' : 'Dr');

interface Synth {
  readonly config: DrpilotConfig;
  readonly stacks: DrpilotStacks;
  readonly runs: NagRun[];
  readonly app: ReturnType<typeof newTestApp>;
  readonly template: Template;
  readonly resources: TemplateJson;
  /** Logical id in the control stack of a construct's L1 resource. */
  readonly idOf: (construct: IConstruct) => string;
  /** Every statement of every IAM policy attached to the DNS function's role. */
  readonly statements: Statement[];
}

/** The whole app for a config (no bundling), synthesized as `cdk synth` does, cdk-nag watching. */
function synthWith(edit?: Parameters<typeof validExampleConfig>[0]): Synth {
  const app = newTestApp(false);
  const config = validExampleConfig(edit);
  const stacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  const { runs } = watchNag(() => app.synth());
  const control = stacks.control;
  const template = Template.fromStack(control);
  const idOf = (construct: IConstruct): string => {
    const l1 = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
    return control.resolve((l1 as CfnResource).logicalId) as string;
  };
  const roleRef = JSON.stringify({ Ref: idOf(control.dnsFailover.reactive.role) });
  const statements = Object.values<TemplateJson>(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === roleRef))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  return {
    config,
    stacks,
    runs,
    app,
    template,
    resources: template.toJSON().Resources,
    idOf,
    statements,
  };
}

describe('DnsFailover (example config)', () => {
  let synth: Synth;
  let functionId: string;
  let topicId: string;
  /** The event pattern of the control stack's pager rule (lib/pager.ts). */
  const pagerAlarmPattern = () =>
    Object.entries<TemplateJson>(synth.resources as Record<string, TemplateJson>).find(([id]) =>
      id.startsWith('PagerAlarmStateChanged'),
    )?.[1].Properties.EventPattern;

  beforeAll(() => {
    synth = synthWith();
    functionId = synth.idOf(synth.stacks.control.dnsFailover.reactive.fn);
    topicId = synth.idOf(synth.stacks.control.notifications.topic);
  });

  it('synthesizes with zero unacknowledged cdk-nag findings', () => {
    expect(synth.runs).toEqual([{ scope: synth.app, success: true, violations: 0 }]);
    expect(nagFindings(synth.app)).toEqual([]);
  });

  describe('health checks', () => {
    it('probes each endpoint over HTTPS with SNI every 30 s by default, 3 failures to turn unhealthy', () => {
      const checks = synth.template.findResources('AWS::Route53::HealthCheck');
      expect(Object.keys(checks)).toHaveLength(2);
      for (const side of SIDES) {
        const id = synth.idOf(synth.stacks.control.dnsFailover.healthChecks[side]);
        expect(synth.resources[id].Properties).toEqual({
          HealthCheckConfig: {
            Type: 'HTTPS',
            FullyQualifiedDomainName: synth.config.clusters[side].endpoint,
            Port: 443,
            ResourcePath: '/healthz',
            RequestInterval: 30,
            FailureThreshold: 3,
            EnableSNI: true,
            MeasureLatency: false,
          },
          HealthCheckTags: [{ Key: 'Name', Value: `acme-drpilot-${side}-endpoint` }],
        });
      }
      expect(synth.config.clusters.primary.endpoint).toBe('primary.example.com');
    });

    it('probes every 10 s (the fast interval) when dns.healthCheckIntervalSeconds is 10', () => {
      const fast = synthWith((doc) => {
        doc.dns.healthCheckIntervalSeconds = 10;
      });
      const intervals = Object.values<TemplateJson>(
        fast.template.findResources('AWS::Route53::HealthCheck'),
      ).map((r) => r.Properties.HealthCheckConfig.RequestInterval);
      expect(intervals).toEqual([10, 10]);
    });

    it('lives only in the control stack (us-east-1)', () => {
      expect(synth.stacks.control.region).toBe('us-east-1');
      for (const side of SIDES) {
        Template.fromStack(synth.stacks.regions[side]).resourceCountIs(
          'AWS::Route53::HealthCheck',
          0,
        );
      }
    });

    it('exports both health check ids and the function name', () => {
      for (const side of SIDES) {
        const id = synth.idOf(synth.stacks.control.dnsFailover.healthChecks[side]);
        synth.template.hasOutput(`${sideId(side)}HealthCheckId`, {
          Value: { 'Fn::GetAtt': [id, 'HealthCheckId'] },
        });
      }
      synth.template.hasOutput('DnsFunctionName', { Value: { Ref: functionId } });
    });
  });

  describe.each(SIDES)('%s health alarm', (side: Side) => {
    it('is named as the config says and watches HealthCheckStatus of its check', () => {
      const dns = synth.stacks.control.dnsFailover;
      const alarmId = synth.idOf(dns.healthAlarms[side]);
      const checkId = synth.idOf(dns.healthChecks[side]);
      const { endpoint, healthAlarm } = synth.config.clusters[side];
      expect(healthAlarm).toBe(`acme-${side}-health`);
      expect(synth.resources[alarmId].Properties).toEqual({
        AlarmName: healthAlarm,
        AlarmDescription: expect.stringContaining(`https://${endpoint}/healthz`),
        Namespace: 'AWS/Route53',
        MetricName: 'HealthCheckStatus',
        Dimensions: [
          { Name: 'HealthCheckId', Value: { 'Fn::GetAtt': [checkId, 'HealthCheckId'] } },
        ],
        Statistic: 'Minimum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'missing',
      });
      // It pages going to ALARM and back to OK, through the stack's pager (pager.test.ts).
      const pattern = JSON.stringify(pagerAlarmPattern());
      expect(pattern).toContain(`{"resources":[`);
      expect(pattern.match(new RegExp(`"${alarmId}"`, 'g'))).toHaveLength(2);
    });
  });

  describe('function', () => {
    it('is acme-drpilot-dns: 5 minutes (waits for INSYNC), 512 MB, reserved concurrency 3', () => {
      expect(DNS_RESERVED_CONCURRENCY).toBe(3);
      expect(synth.resources[functionId].Properties).toMatchObject({
        FunctionName: 'acme-drpilot-dns',
        Handler: 'index.handler',
        Timeout: 300,
        MemorySize: 512,
        ReservedConcurrentExecutions: DNS_RESERVED_CONCURRENCY,
        Environment: { Variables: { [NOTIFICATION_TOPIC_ENV]: { Ref: topicId } } },
      });
    });

    it("sends failed asynchronous invocations to the stack's alarmed failure queue", () => {
      const queueId = synth.idOf(synth.stacks.control.dnsFailover.reactive.failureQueue);
      synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId },
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
      const alarmId = synth.idOf(synth.stacks.control.dnsFailover.reactive.failureAlarm);
      expect(synth.resources[alarmId].Properties.AlarmName).toBe(
        'acme-drpilot-control-failed-invocations',
      );
      expect(JSON.stringify(pagerAlarmPattern())).toContain(`"${alarmId}"`);
    });
  });

  describe('delivery', () => {
    it('delivers state changes of exactly the two health alarms, as they are', () => {
      const ruleId = synth.idOf(synth.stacks.control.dnsFailover.alarmChanged);
      const rule = synth.resources[ruleId].Properties;
      expect(rule.EventPattern).toEqual({
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: ['acme-primary-health', 'acme-dr-health'] },
      });
      expect(rule.Targets).toEqual([
        { Id: expect.any(String), Arn: { 'Fn::GetAtt': [functionId, 'Arn'] } },
      ]);
      synth.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      });
    });

    it('re-plans every minute with a constant reconcile payload', () => {
      const ruleId = synth.idOf(synth.stacks.control.dnsFailover.reconcile);
      const rule = synth.resources[ruleId].Properties;
      expect(rule.ScheduleExpression).toBe('rate(1 minute)');
      expect(rule.EventPattern).toBeUndefined();
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
      expect(JSON.parse(rule.Targets[0].Input)).toEqual({
        action: 'reconcile',
        reason: 'every minute while the primary is unhealthy',
      });
      expect(JSON.parse(rule.Targets[0].Input)).toEqual(RECONCILE_INPUT);
      synth.template.hasResourceProperties('AWS::Lambda::Permission', {
        FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      });
    });

    it('has no other rule targeting the function', () => {
      const rules = Object.values<TemplateJson>(synth.template.findResources('AWS::Events::Rule'));
      const targeting = rules.filter((r) =>
        (r.Properties.Targets as { Arn: unknown }[]).some(
          (t) => JSON.stringify(t.Arn) === JSON.stringify({ 'Fn::GetAtt': [functionId, 'Arn'] }),
        ),
      );
      expect(targeting).toHaveLength(2);
    });
  });

  describe('IAM', () => {
    it('changes only the main and drill CNAMEs of the one zone, by CREATE and DELETE', () => {
      const changes = synth.statements.filter((s) =>
        actionsOf(s).includes('route53:ChangeResourceRecordSets'),
      );
      expect(changes).toEqual([
        {
          Sid: 'SwitchTheMainAndDrillRecords',
          Effect: 'Allow',
          Action: 'route53:ChangeResourceRecordSets',
          Resource: ZONE_ARN,
          Condition: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
                'main.example.com',
                'drill.example.com',
              ],
              'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
              'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
            },
            Null: {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': 'false',
              'route53:ChangeResourceRecordSetsRecordTypes': 'false',
              'route53:ChangeResourceRecordSetsActions': 'false',
            },
          },
        },
      ]);
    });

    it('has no route53 wildcard action and no unscoped Route 53 statement anywhere in the app', () => {
      for (const stack of synth.stacks.control.node.root.node.children) {
        if (!(stack instanceof Stack)) continue;
        const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
        const statements = Object.values<TemplateJson>(policies).flatMap(
          (p) => p.Properties.PolicyDocument.Statement as Statement[],
        );
        const route53 = statements.filter((s) =>
          actionsOf(s).some((a) => a.startsWith('route53:')),
        );
        expect(route53.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
        expect(route53.flatMap(resourcesOf)).not.toContain('*');
      }
    });

    it('reads the zone and waits on changes', () => {
      const find = (action: string) =>
        synth.statements.filter((s) => actionsOf(s).includes(action));
      expect(find('route53:ListResourceRecordSets')).toEqual([
        {
          Sid: 'ReadTheZone',
          Effect: 'Allow',
          Action: 'route53:ListResourceRecordSets',
          Resource: ZONE_ARN,
        },
      ]);
      expect(find('route53:GetChange')).toEqual([
        {
          Sid: 'WaitForInsync',
          Effect: 'Allow',
          Action: 'route53:GetChange',
          Resource: 'arn:aws:route53:::change/*',
        },
      ]);
    });

    it('describes only the two health alarms', () => {
      const describeAlarms = synth.statements.filter((s) =>
        actionsOf(s).includes('cloudwatch:DescribeAlarms'),
      );
      expect(describeAlarms).toHaveLength(1);
      const [statement] = describeAlarms;
      expect(actionsOf(defined(statement, 'DescribeAlarms'))).toEqual([
        'cloudwatch:DescribeAlarms',
      ]);
      expect((resourcesOf(defined(statement, 'DescribeAlarms')) as string[]).sort()).toEqual(
        ['acme-dr-health', 'acme-primary-health'].map(
          (name) => `arn:aws:cloudwatch:us-east-1:${TEST_ACCOUNT}:alarm:${name}`,
        ),
      );
    });

    it('reads only <prefix>backups/ of both Velero buckets, and writes nothing there', () => {
      const s3 = synth.statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
      expect(s3.flatMap(actionsOf).sort()).toEqual([
        's3:GetObject',
        's3:ListBucket',
        's3:ListBucket',
      ]);
      for (const side of SIDES) {
        const { bucket } = synth.config.backups.buckets[side];
        expect(s3).toContainEqual({
          Sid: `ListBackups${sideId(side)}`,
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: `arn:aws:s3:::${bucket}`,
          Condition: { StringLike: { 's3:prefix': ['backups/*'] } },
        });
      }
      const read = defined(
        s3.find((s) => actionsOf(s).includes('s3:GetObject')),
        'the GetObject statement',
      );
      expect((resourcesOf(read) as string[]).sort()).toEqual([
        'arn:aws:s3:::acme-velero-eu-central-1/backups/*',
        'arn:aws:s3:::acme-velero-eu-west-1/backups/*',
      ]);
      expect(read.Condition).toBeUndefined();
      // The example buckets use SSE-S3: no Velero key to decrypt.
      expect(synth.statements.filter((s) => s.Sid?.startsWith('DecryptBackups'))).toEqual([]);
    });

    it('reads and writes the state table, publishes to the topic under the AWS managed key', () => {
      const tableId = synth.idOf(synth.stacks.control.stateTable.table);
      const table = defined(
        synth.statements.find((s) => actionsOf(s).includes('dynamodb:PutItem')),
        'table statement',
      );
      expect(actionsOf(table)).toEqual(
        expect.arrayContaining([
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:ConditionCheckItem',
        ]),
      );
      expect(table.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
      expect(synth.statements.filter((s) => actionsOf(s).includes('sns:Publish'))).toEqual([
        { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId } },
      ]);
      // The table is under the DynamoDB AWS owned key (no KMS at all); the topic's key is
      // alias/aws/sns, which CDK grants as key/* limited to that alias.
      const keyUse = synth.statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
      expect(keyUse).toEqual([
        {
          Effect: 'Allow',
          Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
          Resource: 'arn:aws:kms:us-east-1:123456789012:key/*',
          Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/aws/sns' } },
        },
      ]);
    });

    it('uses no * (X-Ray is opt-in), and acknowledges exactly its wildcard ARNs with reasons', () => {
      const unscoped = synth.statements.filter((s) => resourcesOf(s).includes('*'));
      expect(unscoped).toEqual([]);
      const acks = acknowledgementsIn(synth.stacks.control.dnsFailover).filter((a) =>
        a.id.startsWith('AwsSolutions-IAM5[Resource::arn:'),
      );
      expect(acks.map((a) => a.id).sort()).toEqual([
        // Publishing to the topic under alias/aws/sns (limited by kms:ResourceAliases).
        'AwsSolutions-IAM5[Resource::arn:aws:kms:us-east-1:123456789012:key/*]',
        'AwsSolutions-IAM5[Resource::arn:aws:route53:::change/*]',
        'AwsSolutions-IAM5[Resource::arn:aws:s3:::acme-velero-eu-central-1/backups/*]',
        'AwsSolutions-IAM5[Resource::arn:aws:s3:::acme-velero-eu-west-1/backups/*]',
      ]);
      for (const ack of acks) expect(ack.reason.length).toBeGreaterThan(80);
    });
  });
});

describe('DnsFailover with BSL prefixes, a Velero key and another health path', () => {
  let synth: Synth;

  beforeAll(() => {
    synth = synthWith((doc) => {
      doc.dns.healthCheckPath = '/ready';
      doc.backups.buckets.dr.prefix = 'velero/dr/';
      doc.backups.buckets.dr.kmsKeyArn = VELERO_KEY;
    });
  });

  it('stays clean under cdk-nag (the acknowledgements follow the prefixes)', () => {
    expect(synth.runs).toEqual([{ scope: synth.app, success: true, violations: 0 }]);
    expect(nagFindings(synth.app)).toEqual([]);
  });

  it('checks the configured path', () => {
    const checks = Object.values<TemplateJson>(
      synth.template.findResources('AWS::Route53::HealthCheck'),
    );
    expect(checks.map((c) => c.Properties.HealthCheckConfig.ResourcePath)).toEqual([
      '/ready',
      '/ready',
    ]);
  });

  it('scopes listing and reading to the prefixed backups/ area', () => {
    expect(synth.statements).toContainEqual(
      expect.objectContaining({
        Sid: 'ListBackupsDr',
        Resource: 'arn:aws:s3:::acme-velero-eu-central-1',
        Condition: { StringLike: { 's3:prefix': ['velero/dr/backups/*'] } },
      }),
    );
    const read = defined(
      synth.statements.find((s) => s.Sid === 'ReadBackups'),
      'the GetObject statement',
    );
    expect((resourcesOf(read) as string[]).sort()).toEqual([
      'arn:aws:s3:::acme-velero-eu-central-1/velero/dr/backups/*',
      'arn:aws:s3:::acme-velero-eu-west-1/backups/*',
    ]);
  });

  it('decrypts with the configured key only through S3 in its bucket region', () => {
    expect(synth.statements.filter((s) => s.Sid?.startsWith('DecryptBackups'))).toEqual([
      {
        Sid: 'DecryptBackupsDr',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: VELERO_KEY,
        Condition: { StringEquals: { 'kms:ViaService': 's3.eu-central-1.amazonaws.com' } },
      },
    ]);
  });
});

describe('record names as route53:ChangeResourceRecordSetsNormalizedRecordNames compares them', () => {
  it('lower case, no trailing dot', () => {
    expect(normalizedRecordName('Main.Example.COM.')).toBe('main.example.com');
    expect(normalizedRecordName('_acme-challenge.a-b.example.com')).toBe(
      '_acme-challenge.a-b.example.com',
    );
  });

  it('other characters as a backslash and three octal digits', () => {
    expect(normalizedRecordName('*.example.com')).toBe('\\052.example.com');
    expect(normalizedRecordName('a b.example.com')).toBe('a\\040b.example.com');
  });

  it('refuses names that are not ASCII (punycode them)', () => {
    expect(() => normalizedRecordName('bücher.example.com')).toThrow(/punycode/);
    expect(normalizedRecordName('xn--bcher-kva.example.com')).toBe('xn--bcher-kva.example.com');
    expect(() => normalizedRecordName('例え.example.com')).toThrow(/punycode/);
  });
});

it('refuses a stack outside us-east-1, where no HealthCheckStatus metric exists', () => {
  const stack = new Stack(newTestApp(false), 'Elsewhere', {
    env: { account: TEST_ACCOUNT, region: 'eu-west-1' },
  });
  const key = new kms.Key(stack, 'Key');
  expect(
    () =>
      new DnsFailover(stack, 'Dns', {
        config: validExampleConfig(),
        stateTable: new dynamodb.Table(stack, 'Table', {
          partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        }),
        notificationTopic: new sns.Topic(stack, 'Topic'),
        encryptionKey: key,
      }),
  ).toThrow(/HealthCheckStatus only in us-east-1; this stack is in eu-west-1/);
});
