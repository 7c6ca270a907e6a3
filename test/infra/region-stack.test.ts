import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIDES } from '../../lambdas/core/config/schema';
import { synthExampleApp, TEST_ACCOUNT, type SynthesizedApp } from './synth';

let synthesized: SynthesizedApp;

beforeAll(() => {
  synthesized = synthExampleApp({ bundle: false });
});

describe.each(SIDES)('%s region stack', (side) => {
  const stack = () => synthesized.stacks.regions[side];
  const template = () => Template.fromStack(stack());

  it('is pinned to the cluster region and named <name>-drpilot-<side>', () => {
    expect(stack().region).toBe(synthesized.config.clusters[side].region);
    expect(stack().account).toBe(TEST_ACCOUNT);
    expect(stack().stackName).toBe(`acme-drpilot-${side}`);
  });

  it('holds no key of its own by default (test/infra/pager.test.ts: customer-managed)', () => {
    template().resourceCountIs('AWS::KMS::Key', 0);
    template().resourceCountIs('AWS::KMS::Alias', 0);
  });

  it('holds the regional alarm topic under the AWS managed key, TLS-only', () => {
    template().hasResourceProperties('AWS::SNS::Topic', {
      TopicName: `acme-drpilot-${side}-alarms`,
      KmsMasterKeyId: `arn:aws:kms:${stack().region}:${TEST_ACCOUNT}:alias/aws/sns`,
    });
    template().resourceCountIs('AWS::SNS::TopicPolicy', 1);
    expect(JSON.stringify(template().findResources('AWS::SNS::TopicPolicy'))).toContain(
      'aws:SecureTransport',
    );
  });

  it('references nothing in another stack (no exports, imports or cross-region custom resources)', () => {
    const text = JSON.stringify(template().toJSON());
    for (const marker of [
      'Fn::ImportValue',
      'Fn::GetStackOutput',
      'Custom::CrossRegion',
      'Export',
    ]) {
      expect(text).not.toContain(marker);
    }
    expect(stack().dependencies).toEqual([]);
  });
});

it('no stack of the app depends on another: each deploys on its own', () => {
  for (const stack of synthesized.all) expect(stack.dependencies, stack.stackName).toEqual([]);
  const control = JSON.stringify(Template.fromStack(synthesized.stacks.control).toJSON());
  expect(control).not.toContain('Fn::ImportValue');
});
