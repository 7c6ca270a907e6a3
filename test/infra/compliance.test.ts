import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkWithNag } from '../../lib/nag';
import {
  newTestApp,
  REPO_ROOT,
  synthExampleApp,
  TEST_ACCOUNT,
  type SynthesizedApp,
  type TemplateJson,
} from './synth';

type Suppression = { id: string; reason: string; applies_to?: unknown[] };

const CFN_LINT = join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');

/**
 * W3005 "dependency already enforced by a GetAtt": CDK adds an explicit DependsOn from every
 * Lambda function to its role (and the role's default policy) so the policy is attached before the
 * function exists; the role half is redundant with the Role GetAtt but it is CDK's output, not
 * ours, and harmless. Every other error and warning fails the test.
 */
const IGNORED_CHECKS = ['W3005'];

// One synthesis (no bundling: both checks read templates only) for cdk-nag and cfn-lint.
let synthesized: SynthesizedApp;

beforeAll(() => {
  synthesized = synthExampleApp({ bundle: false });
});

/** Every cdk-nag suppression written into a template, resource- and stack-level. */
function suppressionsIn(template: TemplateJson): { where: string; suppression: Suppression }[] {
  const found: { where: string; suppression: Suppression }[] = [];
  const collect = (where: string, metadata: TemplateJson | undefined) => {
    for (const suppression of metadata?.cdk_nag?.rules_to_suppress ?? []) {
      found.push({ where, suppression });
    }
  };
  collect('(stack)', template.Metadata);
  for (const [id, resource] of Object.entries<TemplateJson>(template.Resources ?? {}))
    collect(id, resource.Metadata);
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('is applied to every stack', () => {
    for (const stack of synthesized.all) {
      expect(
        Aspects.of(stack).all.some((a) => a instanceof AwsSolutionsChecks),
        stack.stackName,
      ).toBe(true);
    }
  });

  // Probes: the same checks find a finding when there is one, so "none" below means none.
  const probeStack = () => {
    const stack = new Stack(newTestApp(false), 'Probe', {
      env: { account: TEST_ACCOUNT, region: 'eu-west-1' },
    });
    checkWithNag(stack);
    return stack;
  };

  it('fails synthesis on an unacknowledged error (annotationsInValidationReport)', () => {
    const stack = probeStack();
    new sqs.Queue(stack, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => Annotations.fromStack(stack)).toThrow(/AwsSolutions-SQS2/);
  });

  it('reports an unacknowledged warning as an annotation', () => {
    const stack = probeStack();
    new dynamodb.Table(stack, 'NoPitr', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    });
    const warnings = Annotations.fromStack(stack).findWarning(
      '*',
      Match.stringLikeRegexp('AwsSolutions-.*'),
    );
    expect(warnings.map((w) => String(w.entry.data))).toEqual([
      expect.stringContaining('AwsSolutions-DDB3'),
    ]);
  });

  it('leaves no unacknowledged error or warning in any stack', () => {
    for (const stack of synthesized.all) {
      const annotations = Annotations.fromStack(stack);
      const findings = [
        ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
        ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ].map((m) => `${m.id}: ${String(m.entry.data)}`);
      expect(findings, stack.stackName).toEqual([]);
    }
  });

  it('gives every acknowledgement a specific reason', () => {
    const all = synthesized.all.flatMap((stack) =>
      suppressionsIn(Template.fromStack(stack).toJSON()).map((s) => ({
        stack: stack.stackName,
        ...s,
      })),
    );
    expect(all.length).toBeGreaterThan(0);
    const vague = all.filter(({ suppression }) => suppression.reason.trim().length < 40);
    expect(vague).toEqual([]);
    // Wildcard acknowledgements are narrowed to the findings they accept, never the whole rule.
    const broadIam5 = all.filter(
      ({ suppression }) =>
        suppression.id === 'AwsSolutions-IAM5' && !suppression.applies_to?.length,
    );
    expect(broadIam5).toEqual([]);
  });
});

describe('cfn-lint on the synthesized templates (example config)', () => {
  it('finds nothing', () => {
    expect(existsSync(CFN_LINT), `${CFN_LINT} missing: run scripts/setup-venv.sh`).toBe(true);
    const outdir = synthesized.app.outdir;
    const templates = readdirSync(outdir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => join(outdir, f));
    expect(templates).toHaveLength(synthesized.all.length);

    const run = spawnSync(
      CFN_LINT,
      ['--format', 'parseable', '--ignore-checks', ...IGNORED_CHECKS, '--', ...templates],
      { encoding: 'utf8' },
    );
    expect(run.error).toBeUndefined();
    // Exit status is a bit mask (2 errors, 4 warnings, 8 informational); the findings are the message.
    expect(`${run.stdout}${run.stderr}`.trim()).toBe('');
    expect(run.status).toBe(0);
  });
});
