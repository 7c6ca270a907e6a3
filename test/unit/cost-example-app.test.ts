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
function exampleTemplates(): NamedTemplate[] {
  const { app } = synthExampleApp({ bundle: false });
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
  'X-Ray',
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
    expect(new Set(at3.lines.map((l) => l.service))).toEqual(new Set(SERVICES));
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
