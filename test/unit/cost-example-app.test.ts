import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  alarmCostModes,
  planCost,
  type CfnTemplate,
  type CostService,
  type CostTable,
  type NamedTemplate,
} from '../../lambdas/core/cost/plan-cost';
import { PRICES } from '../../lambdas/core/cost/prices';
import { validateConfig } from '../../lambdas/core/config/validate';
import { synthExampleApp } from '../infra/synth';
import { exampleConfig } from '../support/example-config';

/** The example config's stacks as `cdk synth` writes them (without bundling: same templates). */
function exampleTemplates(
  config?: Parameters<typeof synthExampleApp>[0]['config'],
): NamedTemplate[] {
  const { app } = synthExampleApp({ bundle: false, config });
  return readdirSync(app.outdir)
    .filter((f) => f.endsWith('.template.json'))
    .sort()
    .map((f) => ({
      stack: f.replace(/\.template\.json$/, ''),
      template: JSON.parse(readFileSync(join(app.outdir, f), 'utf8')) as CfnTemplate,
    }));
}

const SERVICES: CostService[] = [
  'Route 53',
  'KMS',
  'CloudWatch alarms',
  'CloudWatch metrics',
  'CloudWatch Logs',
  'Lambda',
  'Step Functions',
  'DynamoDB',
  'SQS',
  'SNS',
  'Secrets Manager',
];

describe('the cost of the example config', () => {
  let templates: NamedTemplate[];
  let at3: CostTable;
  let at100: CostTable;
  beforeAll(() => {
    templates = exampleTemplates();
    at3 = planCost(templates, { nodes: 3 });
    at100 = planCost(templates, { nodes: 100 });
  });

  it('reads the three stacks and prices every resource type in them', () => {
    expect(templates.map((t) => t.stack)).toEqual([
      'acme-drpilot-control',
      'acme-drpilot-dr',
      'acme-drpilot-primary',
    ]);
    expect(at3.unpricedTypes).toEqual([]);
    for (const type of [
      'AWS::Route53::HealthCheck',
      'AWS::CloudWatch::Alarm',
      'AWS::Lambda::Function',
      'AWS::StepFunctions::StateMachine',
      'AWS::DynamoDB::Table',
      'AWS::SQS::Queue',
      'AWS::SNS::Topic',
      'AWS::Logs::LogGroup',
    ]) {
      expect(at3.resourceCounts[type], type).toBeGreaterThan(0);
    }
    // X-Ray is opt-in (observability.tracing), and so is the dashboard.
    expect(new Set(at3.lines.map((l) => l.service))).toEqual(new Set(SERVICES));
    expect(at3.resourceCounts['AWS::CloudWatch::Dashboard']).toBeUndefined();
    // So is a customer managed key (encryption "customer-managed"): alarms page through
    // EventBridge (lib/pager.ts), the topics use the AWS managed key.
    expect(at3.resourceCounts['AWS::KMS::Key']).toBeUndefined();
  });

  it('by default, makes no KMS requests under a customer key (the topics use alias/aws/sns)', () => {
    const requests = at3.lines.find((l) => l.service === 'KMS' && /requests/.test(l.item));
    expect(requests).toMatchObject({
      item: 'requests (0 tables, queues and log groups and 0 topics under a customer key)',
      quantity: 0,
    });
  });

  it('prices the opt-ins: X-Ray per invocation, the dashboard, KMS requests of customer-managed encryption', () => {
    const optedIn = planCost(
      exampleTemplates((doc) => {
        doc.observability = { tracing: true, dashboard: true };
        doc.encryption = 'customer-managed';
      }),
      { nodes: 3 },
    );
    const invocations = optedIn.invocations.reduce((sum, i) => sum + i.perMonth, 0);
    expect(invocations).toBe(at3.invocations.reduce((sum, i) => sum + i.perMonth, 0));
    const find = (service: CostService, item: RegExp) =>
      optedIn.lines.find((l) => l.service === service && item.test(l.item));
    // Every function is traced (the state machines are traced either way and not priced here).
    expect(find('X-Ray', /traces/)?.quantity).toBe(invocations);
    expect(find('CloudWatch metrics', /dashboards/)?.monthly).toBe(PRICES.cloudwatch.dashboard);
    expect(find('KMS', /requests/)?.quantity).toBe(invocations + 3 * 100);
    // customer-managed: a key per stack, and a request per invocation and per publish.
    const extra =
      invocations * (PRICES.xray.traceRecorded + PRICES.kms.request) +
      3 * 100 * PRICES.kms.request +
      PRICES.cloudwatch.dashboard +
      templates.length * PRICES.kms.keyMonth;
    expect(optedIn.total - at3.total).toBeCloseTo(extra, 1);
  });

  it('counts what drpilot creates: two 30 s HTTPS checks, no key, the webhook secret', () => {
    const checks = at3.lines.filter((l) => l.service === 'Route 53');
    expect(checks).toEqual([
      expect.objectContaining({ item: 'HTTPS health check, 30 s', quantity: 2, unitPrice: 1.5 }),
    ]);
    const keys = at3.lines.find((l) => l.item === 'customer managed keys');
    expect(keys?.quantity).toBe(0);
    const secrets = at3.lines.find((l) => l.service === 'Secrets Manager' && l.item === 'secrets');
    expect(secrets?.quantity).toBe(1);
    expect(at3.nodeGroups.sort()).toEqual(['dr-workers', 'primary-workers']);
  });

  it('pays for one on-failure queue and alarm per stack, not one per function', () => {
    for (const { stack, template } of templates) {
      const resources = Object.values(template.Resources ?? {});
      const destinations = resources
        .filter((r) => r.Type === 'AWS::Lambda::EventInvokeConfig')
        .map((r) => JSON.stringify(r.Properties?.DestinationConfig));
      expect(destinations.length, stack).toBeGreaterThan(1);
      expect(new Set(destinations).size, stack).toBe(1);
      const failureAlarms = resources.filter(
        (r) =>
          r.Type === 'AWS::CloudWatch::Alarm' &&
          String(r.Properties?.AlarmName).endsWith('-failed-invocations'),
      );
      expect(failureAlarms, stack).toHaveLength(1);
    }
    // 3 failure queues, and per region with node groups the instance-event queue (its DLQ is
    // the stack's failure queue).
    expect(at3.lines.find((l) => l.service === 'SQS')?.item).toMatch(/^requests \(5 queues; 2 /);
  });

  it('grows with the nodes only through the member alarm pairs and the rollouts', () => {
    const member = (t: CostTable) => t.lines.find((l) => /member alarms/.test(l.item));
    expect(member(at3)?.quantity).toBe(6);
    expect(member(at100)?.quantity).toBe(200);
    const perNodeDelta =
      97 * (2 * PRICES.cloudwatch.standardAlarmMetric) +
      97 * 4 * 8 * PRICES.stepFunctions.standardTransition;
    expect(at100.total - at3.total).toBeCloseTo(perNodeDelta, 1);
    for (const [i, l] of at3.lines.entries()) {
      if (!l.perNode) expect(at100.lines[i]?.monthly, l.item).toBe(l.monthly);
    }
    // One alarm pair and its metric per group instead costs the same at any node count.
    const perGroup = planCost(templates, { nodes: 100, memberAlarms: 'per-group' });
    expect(perGroup.total).toBeCloseTo(
      at3.total - 0.6 + 0.4 + 0.6 + 97 * 4 * 8 * PRICES.stepFunctions.standardTransition,
      1,
    );
    // The example's groups are ec2 with alarms "auto": priced per group as the config says.
    const validated = validateConfig(exampleConfig());
    if (!validated.ok) throw new Error(JSON.stringify(validated.errors));
    const fromConfig = planCost(templates, {
      nodes: 100,
      groupAlarms: alarmCostModes(validated.config.nodeGroups),
    });
    expect(fromConfig.total).toBeCloseTo(perGroup.total, 10);
  });
});
