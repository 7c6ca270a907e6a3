import { describe, expect, it } from 'vitest';
import { formatCostTables } from '../../lambdas/core/cost/format';
import {
  alarmCostModes,
  costGoalVerdicts,
  describeAssumptions,
  planCost,
  type CfnResource,
  type CostService,
  type CostTable,
  type NamedTemplate,
} from '../../lambdas/core/cost/plan-cost';
import { PRICES, PRICES_AS_OF } from '../../lambdas/core/cost/prices';
import { firesPerMonth } from '../../lambdas/core/cost/schedule';

const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** One of each priced type, with numbers chosen so the totals can be worked out by hand. */
function fixture(extra: Record<string, CfnResource> = {}): NamedTemplate[] {
  const control: Record<string, CfnResource> = {
    Https30: {
      Type: 'AWS::Route53::HealthCheck',
      Properties: { HealthCheckConfig: { Type: 'HTTPS', RequestInterval: 30, Port: 443 } },
    },
    Https10: {
      Type: 'AWS::Route53::HealthCheck',
      Properties: { HealthCheckConfig: { Type: 'HTTPS', RequestInterval: 10, Port: 443 } },
    },
    Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
    KeyAlias: { Type: 'AWS::KMS::Alias', Properties: {} },
    RpoAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { Namespace: 'drpilot', MetricName: 'WorstBackupRpoSeconds', Period: 300 },
    },
    MathAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Metrics: [
          { Id: 'expr', Expression: 'a + b + c', ReturnData: true },
          ...['a', 'b', 'c'].map((Id) => ({
            Id,
            ReturnData: false,
            MetricStat: { Metric: { Namespace: 'AWS/States', MetricName: Id }, Period: 300 },
          })),
        ],
      },
    },
    Composite: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: {} },
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        MemorySize: 512,
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: 'Logs' } },
      },
    },
    Every5Minutes: {
      Type: 'AWS::Events::Rule',
      Properties: { ScheduleExpression: 'rate(5 minutes)', Targets: [{ Arn: getAtt('Fn') }] },
    },
    GroupAlarms: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventPattern: { detail: { alarmName: [{ prefix: 'acme-drpilot-resize.g1.' }] } },
        Targets: [{ Arn: getAtt('Fn') }],
      },
    },
    Disabled: {
      Type: 'AWS::Events::Rule',
      Properties: {
        State: 'DISABLED',
        ScheduleExpression: 'rate(1 minute)',
        Targets: [{ Arn: getAtt('Fn') }],
      },
    },
    Rollout: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
    Table: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: getAtt('Key') },
      },
    },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true } },
    Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: getAtt('Key') } },
    Secret: { Type: 'Custom::DrpilotWebhookSecret', Properties: { SecretName: 'acme/x' } },
    Role: { Type: 'AWS::IAM::Role', Properties: {} },
    ...extra,
  };
  return [{ stack: 'acme-drpilot-control', template: { Resources: control } }];
}

const ASSUMPTIONS = {
  averageDurationMs: 1_000,
  eventInvocationsPerRule: 100,
  logBytesPerInvocation: 2_048,
  extraCustomMetrics: 0,
  keyAgeYears: 1,
};

const monthly = (table: CostTable, service: CostService, item: RegExp) => {
  const found = table.lines.find((l) => l.service === service && item.test(l.item));
  if (!found) throw new Error(`no ${service} line matching ${item}`);
  return found;
};

describe('firesPerMonth', () => {
  it.each([
    ['rate(1 minute)', 43_800],
    ['rate(5 minutes)', 8_760],
    ['rate(1 hour)', 730],
    ['rate(7 days)', 730 / 24 / 7],
    ['cron(0/15 * * * ? *)', 4 * 730],
    ['cron(0 3 ? * MON-FRI *)', (5 * 730) / 24 / 7],
    ['cron(30 2 1 * ? *)', 1],
    ['cron(0 23 L * ? *)', 1],
    ['cron(0 12 * JAN,JUL ? *)', (730 / 24) * (2 / 12)],
  ])('%s fires %d times', (expression, expected) => {
    expect(firesPerMonth(expression)).toBeCloseTo(expected, 6);
  });

  it('refuses what is not a schedule expression', () => {
    expect(() => firesPerMonth('every 5 minutes')).toThrow(/not an EventBridge schedule/);
    expect(() => firesPerMonth('cron(0 3 * *)')).toThrow(/6 fields/);
  });
});

describe('planCost arithmetic', () => {
  const at3 = planCost(fixture(), { ...ASSUMPTIONS, nodes: 3 });
  const at100 = planCost(fixture(), { ...ASSUMPTIONS, nodes: 100 });

  it('prices health checks by their features: HTTPS, and 10 s on top', () => {
    expect(monthly(at3, 'Route 53', /HTTPS health check, 30 s/)).toMatchObject({
      quantity: 1,
      unitPrice: 1.5,
    });
    expect(monthly(at3, 'Route 53', /HTTPS health check, 10 s/)).toMatchObject({
      quantity: 1,
      unitPrice: 2.5,
    });
    const nonAws = planCost(fixture(), { ...ASSUMPTIONS, healthCheckEndpoints: 'non-aws' });
    expect(monthly(nonAws, 'Route 53', /30 s, non-AWS/).unitPrice).toBe(2.75);
    expect(monthly(nonAws, 'Route 53', /10 s, non-AWS/).unitPrice).toBe(4.75);
  });

  it('counts metric-math alarms per metric, composites apart, member pairs per node', () => {
    expect(monthly(at3, 'CloudWatch alarms', /standard-resolution/).quantity).toBe(4);
    expect(monthly(at3, 'CloudWatch alarms', /composite/).monthly).toBe(0.5);
    expect(monthly(at3, 'CloudWatch alarms', /member alarms/)).toMatchObject({
      quantity: 6,
      perNode: true,
    });
    expect(monthly(at100, 'CloudWatch alarms', /member alarms/).monthly).toBeCloseTo(20, 10);
    const perGroup = planCost(fixture(), { ...ASSUMPTIONS, nodes: 100, memberAlarms: 'per-group' });
    expect(monthly(perGroup, 'CloudWatch alarms', /pair per group, 1 groups/).quantity).toBe(2);
    expect(monthly(perGroup, 'CloudWatch metrics', /node group metrics/)).toMatchObject({
      quantity: 1,
      monthly: 0.3,
      perNode: false,
    });
    expect(at3.nodeGroups).toEqual(['g1']);
    expect(monthly(at3, 'CloudWatch metrics', /custom metrics/).quantity).toBe(1);
  });

  it('invokes functions as their enabled rules say, and prices what the invocations use', () => {
    const invocations = 8_760 + 100;
    expect(at3.invocations).toEqual([
      { stack: 'acme-drpilot-control', fn: 'Fn', perMonth: invocations },
    ]);
    expect(monthly(at3, 'Lambda', /requests/).quantity).toBe(invocations);
    expect(monthly(at3, 'Lambda', /compute, Arm/).quantity).toBeCloseTo(0.5 * invocations, 6);
    expect(monthly(at3, 'X-Ray', /traces/).monthly).toBeCloseTo(invocations * 5e-6, 10);
    expect(monthly(at3, 'DynamoDB', /writes/).monthly).toBeCloseTo(2 * invocations * 0.625e-6, 10);
    const ingestedGb = (invocations * 2_048) / 1024 ** 3;
    expect(monthly(at3, 'CloudWatch Logs', /ingestion/).quantity).toBeCloseTo(ingestedGb, 10);
    expect(monthly(at3, 'CloudWatch Logs', /storage/).quantity).toBeCloseTo(
      (ingestedGb * 30) / (730 / 24),
      10,
    );
  });

  it('adds the transitions of the nodes a rollout moves', () => {
    expect(monthly(at3, 'Step Functions', /transitions/).quantity).toBe(4 * 10 + 4 * 8 * 3);
    expect(monthly(at100, 'Step Functions', /transitions/).quantity).toBe(4 * 10 + 4 * 8 * 100);
  });

  it('charges KMS requests only for data under a customer key', () => {
    // The table is under the key: a request per invocation; the topic: one per publish.
    expect(monthly(at3, 'KMS', /requests/)).toMatchObject({
      item: 'requests (1 tables, queues and log groups and 1 topics under a customer key)',
      quantity: 8_860 + 100,
    });
    // The same stack with service-managed encryption (the DynamoDB AWS owned key, SQS-managed SSE)
    // and its topic under the AWS managed key makes none that are billed.
    const [control] = fixture();
    const resources = { ...control?.template.Resources };
    resources.Table = {
      Type: 'AWS::DynamoDB::Table',
      Properties: { BillingMode: 'PAY_PER_REQUEST' },
    };
    resources.Topic = { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: 'alias/aws/sns' } };
    const serviceManaged = planCost(
      [{ stack: 'acme-drpilot-control', template: { Resources: resources } }],
      ASSUMPTIONS,
    );
    expect(monthly(serviceManaged, 'KMS', /requests/).quantity).toBe(0);
  });

  it('prices each node group as the config sets its alarms, the nodes spread evenly', () => {
    expect(
      alarmCostModes([
        { id: 'a', kind: 'ec2', alarms: 'auto' },
        { id: 'b', kind: 'ec2', alarms: 'group' },
        { id: 'c', kind: 'ec2', alarms: 'members' },
        { id: 'd', kind: 'asg', alarms: 'members' },
      ]),
    ).toEqual({ a: 'per-group', b: 'per-group', c: 'per-member', d: 'per-group' });
    // Two groups, g1 and g2: g1 per group, g2 (not in the config) per member with half the nodes.
    const [control] = fixture();
    const rules = Object.fromEntries(
      Object.entries(control!.template.Resources ?? {}).filter(
        ([, r]) => r.Type === 'AWS::Events::Rule',
      ),
    );
    const second = Object.fromEntries(
      Object.entries(rules)
        .filter(([, r]) => JSON.stringify(r.Properties?.EventPattern ?? '').includes('resize.g1.'))
        .map(([id, r]) => [
          `${id}G2`,
          JSON.parse(JSON.stringify(r).replaceAll('resize.g1.', 'resize.g2.')) as CfnResource,
        ]),
    );
    const twoGroups = [
      {
        stack: control!.stack,
        template: { Resources: { ...control!.template.Resources, ...second } },
      },
    ];
    const mixed = planCost(twoGroups, {
      ...ASSUMPTIONS,
      nodes: 100,
      groupAlarms: { g1: 'per-group' },
    });
    expect(mixed.nodeGroups).toEqual(['g1', 'g2']);
    expect(monthly(mixed, 'CloudWatch alarms', /pair per group, 1 groups/).quantity).toBe(2);
    expect(monthly(mixed, 'CloudWatch metrics', /node group metrics/).quantity).toBe(1);
    expect(monthly(mixed, 'CloudWatch alarms', /pair per node, 1 groups/).quantity).toBe(100);
    expect(describeAssumptions(mixed.assumptions)[1]).toMatch(
      /^Nodes: 100; member alarms as the config sets each node group's alarms — g1: one up\/down pair per node group .*; a group the config does not name: one up\/down pair per node \(an ec2 group with alarms "auto" is assumed to run the CloudWatch agent/,
    );
  });

  it('prices the scale-up-only design: one alarm per node and a GetMetricData re-plan', () => {
    const design = (nodes: number) =>
      planCost(fixture(), {
        ...ASSUMPTIONS,
        nodes,
        memberAlarms: 'scale-up-only',
        scaleDownReviewMinutes: 60,
      });
    const at100design = design(100);
    expect(monthly(at100design, 'CloudWatch alarms', /scale-up alarm per node/)).toMatchObject({
      quantity: 100,
      perNode: true,
    });
    // 100 metrics requested every hour: 73,000 a month at $0.01 per 1,000.
    const reads = monthly(at100design, 'CloudWatch API', /GetMetricData/);
    expect(reads.quantity).toBe(73_000);
    expect(reads.monthly).toBeCloseTo(0.73, 10);
    // Against the up/down pairs: 200 alarm metrics ($20) become 100 alarms and the reads.
    expect(at100.total - at100design.total).toBeCloseTo(20 - 10 - 0.73, 2);
    expect(design(3).lines.length).toBe(at100design.lines.length);
  });

  it('says which goal each node count meets, by how much it misses, and what weighs most', () => {
    const [at3Goal, at100Goal] = costGoalVerdicts([at3, at100]);
    expect(at3Goal).toBe('goal under $10.00 at 3 nodes: met ($7.42)');
    expect(at100Goal).toMatch(
      /^goal under \$15\.00 at 100 nodes: NOT met \(\$26\.90, \$11\.90 over\); largest lines: node group member alarms \(up\/down pair per node, 1 groups\) \$20\.00; /,
    );
    expect(costGoalVerdicts([planCost(fixture(), { ...ASSUMPTIONS, nodes: 7 })])).toEqual([]);
  });

  it('charges rotated backing keys from the second year, at most two per key', () => {
    const rotated = (years: number) =>
      monthly(planCost(fixture(), { keyAgeYears: years }), 'KMS', /rotated/).quantity;
    expect([1, 2, 3, 7].map(rotated)).toEqual([0, 1, 2, 2]);
  });

  it('adds up to known totals at 3 and 100 nodes', () => {
    // Fixed: checks 1.50 + 2.50, key 1.00, alarm metrics 4 × 0.10, composite 0.50, custom
    // metric 0.30, secret 0.40 = 6.60; member pairs 0.60 (3 nodes) or 20.00 (100 nodes); the
    // 8,860 invocations, 100 publishes and the rest ≈ 0.2177 (3 nodes) or ≈ 0.2953 (100 nodes).
    expect(at3.lines.reduce((s, l) => s + l.monthly, 0)).toBeCloseTo(7.4177, 3);
    expect(at3.total).toBe(7.42);
    expect(at100.lines.reduce((s, l) => s + l.monthly, 0)).toBeCloseTo(26.8953, 3);
    expect(at100.total).toBe(26.9);
  });

  it('sorts every resource type into priced, free or unpriced', () => {
    const table = planCost(
      fixture({ Box: { Type: 'AWS::EC2::Instance', Properties: {} } }),
      ASSUMPTIONS,
    );
    expect(table.unpricedTypes).toEqual(['AWS::EC2::Instance']);
    expect(table.freeTypes).toEqual(['AWS::Events::Rule', 'AWS::IAM::Role', 'AWS::KMS::Alias']);
    expect(at3.unpricedTypes).toEqual([]);
    expect(monthly(at3, 'Secrets Manager', /secrets/).quantity).toBe(1);
  });

  it('prints both node counts side by side with the dated prices and the assumptions', () => {
    const text = formatCostTables([at3, at100]);
    expect(text).toContain(`as of ${PRICES_AS_OF}`);
    expect(text).toMatch(/^total\s+\$7\.42\s+\$26\.90$/m);
    expect(text).toContain('Assumptions:');
    expect(text).toMatch(/member alarms.*\*/);
    expect(text).toContain('Goals (issue 14):');
    expect(text).toContain('  - goal under $10.00 at 3 nodes: met ($7.42)');
  });

  it('uses the documented unit prices', () => {
    expect(PRICES.kms.keyMonth).toBe(1);
    expect(PRICES.cloudwatch.standardAlarmMetric).toBe(0.1);
    expect(PRICES.secretsManager.secretMonth).toBe(0.4);
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
