/**
 * Paging without customer managed keys (lib/pager.ts, lib/notification-topic.ts): alarms page
 * through one EventBridge rule per stack and a small function, so the topics stay under the AWS
 * managed key alias/aws/sns and no stack makes a KMS key unless `encryption` is
 * "customer-managed". The alarms that page are read from the synthesized templates: an alarm
 * added without registering at the pager fails here.
 */
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { tunnelAlarmPrefix } from '../../lambdas/core/aks/names';
import { FAILED_EXECUTION_STATUSES } from '../../lib/pager';
import {
  logicalId,
  statementsOf,
  synthExampleApp,
  type SynthesizedApp,
  type TemplateJson,
} from './synth';

let byDefault: SynthesizedApp;
let customerManaged: SynthesizedApp;

beforeAll(() => {
  byDefault = synthExampleApp({ bundle: false });
  customerManaged = synthExampleApp({
    bundle: false,
    config: (doc) => {
      doc.encryption = 'customer-managed';
    },
  });
});

const templateOf = (stack: Stack) => Template.fromStack(stack);
const resourcesOfType = (stack: Stack, type: string) =>
  templateOf(stack).findResources(type) as Record<string, TemplateJson>;
const stackNames = (app: SynthesizedApp) => app.all.map((s) => s.stackName);

/**
 * Alarms whose state changes go to a function by a rule of their own, and which page only through
 * that function: the node group member alarms (created at run time, not in any template) and the
 * VPN tunnel alarms (lib/tunnel-watch.ts: the tunnel function warns or pages).
 */
const pagedByTheirFunction = (app: SynthesizedApp, alarmName: string) =>
  alarmName.startsWith(tunnelAlarmPrefix(app.config));

/** The pager's alarm rule: the ALARM and OK branches as lists of alarm logical ids. */
function pagerBranches(stack: Stack): { alarm: string[]; ok: string[] } {
  const rules = Object.entries(resourcesOfType(stack, 'AWS::Events::Rule')).filter(([id]) =>
    id.startsWith('PagerAlarmStateChanged'),
  );
  expect(rules).toHaveLength(1);
  const pattern = rules[0]![1].Properties.EventPattern;
  expect(pattern.source).toEqual(['aws.cloudwatch']);
  expect(pattern['detail-type']).toEqual(['CloudWatch Alarm State Change']);
  const branches: { resources: { 'Fn::GetAtt': [string, string] }[]; detail: any }[] =
    pattern.$or ?? [{ resources: pattern.resources, detail: pattern.detail }];
  const idsIn = (state: string) =>
    branches
      .filter((b) => JSON.stringify(b.detail) === JSON.stringify({ state: { value: [state] } }))
      .flatMap((b) => b.resources.map((r) => r['Fn::GetAtt'][0]))
      .sort();
  expect(branches.length).toBe(idsIn('ALARM').length > 0 && idsIn('OK').length > 0 ? 2 : 1);
  return { alarm: idsIn('ALARM'), ok: idsIn('OK') };
}

describe('keys', () => {
  it('by default, no stack makes a KMS key; the topics use the AWS managed key alias/aws/sns', () => {
    for (const stack of byDefault.all) {
      expect(resourcesOfType(stack, 'AWS::KMS::Key'), stack.stackName).toEqual({});
      const topics = Object.values(resourcesOfType(stack, 'AWS::SNS::Topic'));
      expect(topics.map((t) => t.Properties.KmsMasterKeyId)).toEqual([
        `arn:aws:kms:${stack.region}:123456789012:alias/aws/sns`,
      ]);
    }
    expect(stackNames(byDefault)).toHaveLength(3);
  });

  it('with encryption "customer-managed", each stack has its one retained, rotated key', () => {
    for (const stack of customerManaged.all) {
      const keys = resourcesOfType(stack, 'AWS::KMS::Key');
      expect(Object.keys(keys), stack.stackName).toHaveLength(1);
      const [keyId, key] = Object.entries(keys)[0]!;
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      // No CloudWatch in the key policy any more: nothing publishes as cloudwatch.amazonaws.com.
      expect(JSON.stringify(key.Properties.KeyPolicy)).not.toContain('cloudwatch.amazonaws.com');
      templateOf(stack).hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      });
    }
  });

  it('with encryption "customer-managed", the pager may use its stack key to publish', () => {
    for (const stack of customerManaged.all) {
      const [keyId] = Object.keys(resourcesOfType(stack, 'AWS::KMS::Key'));
      const pager = stack.node.findChild('Pager') as unknown as Parameters<typeof statementsOf>[1];
      const keyUse = statementsOf(stack, (pager as any).reactive).filter((s) =>
        ([] as string[]).concat(s.Action).includes('kms:GenerateDataKey*'),
      );
      expect(keyUse.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [keyId, 'Arn'] }]);
    }
  });
});

describe.each([
  ['by default', () => byDefault],
  ['customer-managed', () => customerManaged],
])('the pager (%s)', (_, app) => {
  it('no alarm has actions: nothing publishes to a topic as CloudWatch', () => {
    for (const stack of app().all) {
      for (const alarm of Object.values(resourcesOfType(stack, 'AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.AlarmActions ?? [], alarm.Properties.AlarmName).toEqual([]);
        expect(alarm.Properties.OKActions ?? [], alarm.Properties.AlarmName).toEqual([]);
      }
      expect(resourcesOfType(stack, 'AWS::CloudWatch::CompositeAlarm')).toEqual({});
    }
  });

  it('pages ALARM for every alarm of its stack but those their own function pages', () => {
    for (const stack of app().all) {
      const alarms = Object.entries(resourcesOfType(stack, 'AWS::CloudWatch::Alarm'));
      const expected = alarms
        .filter(([, a]) => !pagedByTheirFunction(app(), a.Properties.AlarmName))
        .map(([id]) => id)
        .sort();
      expect(expected.length, stack.stackName).toBeGreaterThan(0);
      expect(pagerBranches(stack).alarm, stack.stackName).toEqual(expected);
    }
  });

  it('pages OK too for the alarms whose recovery people hear of: cluster health, AKS problems', () => {
    const control = app().stacks.control;
    const names = (ids: string[]) =>
      ids.map((id) => resourcesOfType(control, 'AWS::CloudWatch::Alarm')[id]!.Properties.AlarmName);
    expect(names(pagerBranches(control).ok).sort()).toEqual([
      'acme-dr-health',
      'acme-drpilot-aks-no-attached-resolver-ips',
      'acme-drpilot-aks-unauthorized',
      'acme-primary-health',
    ]);
    for (const side of ['primary', 'dr'] as const) {
      expect(pagerBranches(app().stacks.regions[side]).ok).toEqual([]);
    }
  });

  it('delivers to the pager function, which publishes to its own stack topic', () => {
    for (const stack of app().all) {
      const pager = stack.node.findChild('Pager') as any;
      const fnId = logicalId(stack, pager.reactive.fn);
      const [, rule] = Object.entries(resourcesOfType(stack, 'AWS::Events::Rule')).find(([id]) =>
        id.startsWith('PagerAlarmStateChanged'),
      )!;
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } }),
      ]);
      const [topicId] = Object.keys(resourcesOfType(stack, 'AWS::SNS::Topic'));
      const fn = resourcesOfType(stack, 'AWS::Lambda::Function')[fnId]!;
      expect(fn.Properties.Environment.Variables.DRPILOT_NOTIFICATION_TOPIC_ARN).toEqual({
        Ref: topicId,
      });
      const publish = statementsOf(stack, pager.reactive).filter((s) =>
        ([] as string[]).concat(s.Action).includes('sns:Publish'),
      );
      expect(publish.map((s) => s.Resource)).toEqual([{ Ref: topicId }]);
    }
  });
});

describe('failed resize rollouts', () => {
  it('page through an EventBridge rule on the state machine, not a metric-math alarm', () => {
    for (const side of ['primary', 'dr'] as const) {
      const stack = byDefault.stacks.regions[side];
      const resize = stack.resize!;
      const smId = logicalId(stack, resize.stateMachine);
      const pager = stack.node.findChild('Pager') as any;
      const rules = Object.values(resourcesOfType(stack, 'AWS::Events::Rule')).filter(
        (r) => r.Properties.EventPattern?.source?.[0] === 'aws.states',
      );
      expect(rules).toHaveLength(1);
      expect(rules[0]!.Properties.EventPattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: FAILED_EXECUTION_STATUSES, stateMachineArn: [{ Ref: smId }] },
      });
      expect(FAILED_EXECUTION_STATUSES).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
      expect(rules[0]!.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [logicalId(stack, pager.reactive.fn), 'Arn'] },
        }),
      ]);
      const onExecutions = Object.values(resourcesOfType(stack, 'AWS::CloudWatch::Alarm')).filter(
        (a) => JSON.stringify(a).includes('AWS/States'),
      );
      expect(onExecutions).toEqual([]);
    }
  });
});
