import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { FAIL_SYNTH_ON_VALIDATION_ERRORS_CONTEXT } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { acknowledge, acknowledgementIds, checkWithNag } from '../../lib/nag';
import {
  acknowledgementsIn,
  nagFindings,
  newTestApp,
  REPO_ROOT,
  synthExampleApp,
  TEST_ACCOUNT,
  type NagFinding,
  type NagRun,
  type RecordedAcknowledgement,
  type SynthesizedApp,
  watchNag,
} from './synth';

const CFN_LINT = join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');

/**
 * W3005 "dependency already enforced by a GetAtt": CDK adds an explicit DependsOn from every
 * Lambda function to its role (and the role's default policy) so the policy is attached before the
 * function exists; the role half is redundant with the Role GetAtt but it is CDK's output, not
 * ours, and harmless. Every other error and warning fails the test.
 */
const IGNORED_CHECKS = ['W3005'];

/** cdk-nag rules that report findings (`Rule[finding]`): acknowledge findings, never the rule. */
const RULES_WITH_FINDINGS = /^AwsSolutions-IAM[45]\b/;

// One synthesis as `cdk synth` runs it (no bundling: every check here reads templates or the
// tree). With cdk-nag 3 an unacknowledged finding makes this synthesis throw with the report.
let synthesized: SynthesizedApp;
let nagRuns: NagRun[];

beforeAll(() => {
  ({ value: synthesized, runs: nagRuns } = watchNag(() => synthExampleApp({ bundle: false })));
});

/** A stack in an app of its own, checked by AwsSolutions the way drpilot's stacks are. */
function probeStack(): Stack {
  const stack = new Stack(newTestApp(false), 'Probe', {
    env: { account: TEST_ACCOUNT, region: 'eu-west-1' },
  });
  checkWithNag(stack);
  return stack;
}

/** Synthesizes the probe's app, which must fail, and returns what the report holds against it. */
function failedSynth(stack: Stack, message: RegExp): NagFinding[] {
  const app = stack.node.root as ReturnType<typeof newTestApp>;
  expect(() => app.synth()).toThrow(message);
  return nagFindings(app);
}

function bareWildcardPolicy(stack: Stack): iam.Policy {
  const role = new iam.Role(stack, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  return new iam.Policy(stack, 'Wildcard', {
    roles: [role],
    statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })],
  });
}

describe('cdk-nag AwsSolutions as a policy-validation plugin: the mechanism', () => {
  it('fails synthesis on unacknowledged errors (a bare queue, an IAM policy on *)', () => {
    const stack = probeStack();
    new sqs.Queue(stack, 'Bare');
    bareWildcardPolicy(stack);
    const findings = failedSynth(stack, /AwsSolutions-SQS3/);
    expect(findings).toEqual(
      expect.arrayContaining([
        { rule: 'AwsSolutions-SQS3', severity: 'error', path: 'Probe/Bare/Resource' },
        { rule: 'AwsSolutions-SQS4', severity: 'error', path: 'Probe/Bare/Resource' },
        {
          rule: 'AwsSolutions-IAM5[Resource::*]',
          severity: 'error',
          path: 'Probe/Wildcard/Resource',
        },
      ]),
    );
  });

  it('fails synthesis on an unacknowledged warning too', () => {
    const stack = probeStack();
    new dynamodb.Table(stack, 'NoPitr', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    });
    expect(failedSynth(stack, /AwsSolutions-DDB3/)).toEqual([
      { rule: 'AwsSolutions-DDB3', severity: 'warning', path: 'Probe/NoPitr/Resource' },
    ]);
  });

  it('registers one plugin per app however often it is asked', () => {
    const stack = probeStack();
    checkWithNag(stack);
    checkWithNag(stack.node.root);
    new sqs.Queue(stack, 'Bare');
    const app = stack.node.root as ReturnType<typeof newTestApp>;
    const { runs } = watchNag(() => expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/));
    expect(runs).toEqual([{ scope: app, success: false, violations: 2 }]);
    expect(nagFindings(app).filter((f) => f.rule === 'AwsSolutions-SQS3')).toHaveLength(1);
  });

  it('acknowledges exactly the findings named, on the construct and everything below it', () => {
    const partly = probeStack();
    const user = new iam.User(partly, 'User');
    user.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    acknowledge(user, [
      {
        rule: 'AwsSolutions-IAM5',
        reason: 'Probe: the resource wildcard is accepted, the action wildcard is not.',
        appliesTo: ['Resource::*'],
      },
    ]);
    expect(failedSynth(partly, /AwsSolutions-IAM5\[Action::s3:\*\]/)).toEqual([
      {
        rule: 'AwsSolutions-IAM5[Action::s3:*]',
        severity: 'error',
        path: 'Probe/User/DefaultPolicy/Resource',
      },
    ]);

    const fully = probeStack();
    const queue = new sqs.Queue(fully, 'Queue', { enforceSSL: true });
    acknowledge(queue, [
      {
        rule: 'AwsSolutions-SQS3',
        reason: 'Probe: this queue has no dead-letter queue on purpose.',
      },
    ]);
    const app = fully.node.root as ReturnType<typeof newTestApp>;
    expect(watchNag(() => app.synth()).runs).toEqual([
      { scope: app, success: true, violations: 0 },
    ]);
    expect(nagFindings(app)).toEqual([]);
  });

  it('refuses acknowledgements that could never match a finding', () => {
    expect(
      acknowledgementIds({ rule: 'AwsSolutions-IAM5', reason: 'r', appliesTo: ['A', 'B'] }),
    ).toEqual(['AwsSolutions-IAM5[A]', 'AwsSolutions-IAM5[B]']);
    expect(() =>
      acknowledgementIds({ rule: 'AwsSolutions-IAM5[Resource::*]', reason: 'r' }),
    ).toThrow(/appliesTo/);
    expect(() =>
      acknowledgementIds({ rule: 'AwsSolutions-IAM5', reason: 'r', appliesTo: [] }),
    ).toThrow(/appliesTo is empty/);
  });
});

describe('cdk-nag AwsSolutions on drpilot (example config)', () => {
  it('leaves no unacknowledged error or warning in any stack', () => {
    // The plugin ran once, over the whole app, and found nothing; the report agrees.
    expect(nagRuns).toEqual([{ scope: synthesized.app, success: true, violations: 0 }]);
    expect(nagFindings(synthesized.app)).toEqual([]);
  });

  describe('without its acknowledgements', () => {
    // The same app with every acknowledgement dropped and a bare queue in each stack, synthesized
    // with failSynthOnValidationErrors off so that the report lists every finding.
    let raw: SynthesizedApp;
    let rawFindings: NagFinding[];
    let acknowledgements: RecordedAcknowledgement[];

    beforeAll(() => {
      acknowledgements = acknowledgementsIn(synthesized.app);
      const spy = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => {});
      try {
        raw = synthExampleApp({
          bundle: false,
          context: { [FAIL_SYNTH_ON_VALIDATION_ERRORS_CONTEXT]: false },
          edit: (all) => all.forEach((stack) => new sqs.Queue(stack, 'NagProbe')),
        });
      } finally {
        spy.mockRestore();
      }
      expect(acknowledgementsIn(raw.app)).toEqual([]);
      rawFindings = nagFindings(raw.app);
    });

    it('is checked in every stack', () => {
      for (const stack of raw.all) {
        expect(rawFindings, stack.stackName).toContainEqual({
          rule: 'AwsSolutions-SQS3',
          severity: 'error',
          path: `${stack.node.path}/NagProbe/Resource`,
        });
      }
    });

    it('has a finding for every acknowledgement, at or below where it is made', () => {
      expect(acknowledgements.length).toBeGreaterThan(0);
      const stale = acknowledgements.filter(
        (ack) =>
          !rawFindings.some(
            (f) => f.rule === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)),
          ),
      );
      expect(stale).toEqual([]);
    });
  });

  it('gives every acknowledgement a specific reason, and IAM ones exact findings', () => {
    const all = acknowledgementsIn(synthesized.app);
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((ack) => ack.reason.trim().length < 40)).toEqual([]);
    // Wildcard acknowledgements name the findings they accept, never the whole rule.
    const broad = all.filter(
      (ack) => RULES_WITH_FINDINGS.test(ack.id) && !/^AwsSolutions-IAM[45]\[.+\]$/.test(ack.id),
    );
    expect(broad).toEqual([]);
    expect(all.some((ack) => ack.id.startsWith('AwsSolutions-IAM5['))).toBe(true);
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
