import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  planCost,
  type CfnTemplate,
  type CostService,
  type CostTable,
  type NamedTemplate,
} from '../../lambdas/core/cost/plan-cost';
import { PRICES } from '../../lambdas/core/cost/prices';
import { synthExampleApp } from '../infra/synth';

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
      'AWS::KMS::Key',
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
  });

  it('by default, uses the keys for the notification topics only (no per-invocation KMS requests)', () => {
    const requests = at3.lines.find((l) => l.service === 'KMS' && /requests/.test(l.item));
    expect(requests).toMatchObject({
      item: 'requests (0 tables, queues and log groups and 3 topics under a customer key)',
      quantity: 3 * 100,
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
    const extra =
      invocations * (PRICES.xray.traceRecorded + PRICES.kms.request) + PRICES.cloudwatch.dashboard;
    expect(optedIn.total - at3.total).toBeCloseTo(extra, 1);
  });

  it('counts what drpilot creates: two 30 s HTTPS checks, a key per stack, the webhook secret', () => {
    const checks = at3.lines.filter((l) => l.service === 'Route 53');
    expect(checks).toEqual([
      expect.objectContaining({ item: 'HTTPS health check, 30 s', quantity: 2, unitPrice: 1.5 }),
    ]);
    const keys = at3.lines.find((l) => l.item === 'customer managed keys');
    expect(keys?.quantity).toBe(templates.length);
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
    // 3 failure queues, and per region with node groups the instance-event queue and its DLQ.
    expect(at3.lines.find((l) => l.service === 'SQS')?.item).toMatch(/^requests \(7 queues; 2 /);
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
    // One alarm pair per group instead costs the same at any node count.
    const perGroup = planCost(templates, { nodes: 100, memberAlarms: 'per-group' });
    expect(perGroup.total).toBeCloseTo(
      at3.total - 0.6 + 0.4 + 97 * 4 * 8 * PRICES.stepFunctions.standardTransition,
      1,
    );
  });
});
