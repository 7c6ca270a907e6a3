import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { RETYPE_CONDITION_KEY } from '../../lambdas/core/resize/retype-condition';
import { addDrpilotStacks } from '../../lib/drpilot-app';
import {
  actionsOf,
  newTestApp,
  TEST_ACCOUNT,
  validExampleConfig,
  type TemplateJson,
} from './synth';

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every identity policy in a stack (policies, inline role policies, managed policies). */
function statementsIn(stack: Stack): { owner: string; statement: Statement }[] {
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, TemplateJson>;
  };
  return Object.entries(template.Resources).flatMap(([id, resource]) => {
    const documents: { PolicyDocument?: { Statement: Statement[] } }[] =
      resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy'
        ? [resource.Properties]
        : resource.Type === 'AWS::IAM::Role'
          ? (resource.Properties.Policies ?? [])
          : [];
    return documents.flatMap((d) =>
      (d.PolicyDocument?.Statement ?? []).map((statement) => ({ owner: id, statement })),
    );
  });
}

/** Whether an IAM action pattern (`ec2:*`, `ec2:Modify*`, `*`) covers the action. */
function covers(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(action);
}

const allowing = (stacks: Stack[], action: string) =>
  stacks
    .flatMap(statementsIn)
    .filter(({ statement }) => statement.Effect === 'Allow')
    .filter(({ statement }) => actionsOf(statement).some((a) => covers(a, action)));

let config: DrpilotConfig;
let stacks: Stack[];

beforeAll(() => {
  const app = newTestApp(false);
  config = validExampleConfig((doc) => {
    const base = { cluster: 'primary', metric: 'cpu', ladder: ['m6i.large', 'm6i.xlarge'] };
    doc.nodeGroups.push(
      { ...base, id: 'named-asg', kind: 'asg', selector: { autoScalingGroupName: 'web-asg' } },
      {
        ...base,
        id: 'eks-ng',
        kind: 'eks-managed',
        selector: { eks: { clusterName: 'prod', nodegroupName: 'general' } },
      },
      {
        ...base,
        id: 'derived',
        kind: 'ec2',
        ladder: ['c7g.large'],
        selector: { tag: { key: 'drpilot:group', value: 'derived' } },
        kubernetes: { kubeconfigSecret: 'acme/drpilot/derived-kubeconfig' },
      },
    );
  });
  const built = addDrpilotStacks(app, config, TEST_ACCOUNT);
  stacks = [built.control, built.regions.primary, built.regions.dr];
  app.synth();
});

describe('least privilege in the synthesized policies', () => {
  it('no statement allows ec2:ModifyInstanceAttribute without the instance-type condition, and only to the ladder', () => {
    const found = allowing(stacks, 'ec2:ModifyInstanceAttribute');
    const ec2Groups = config.nodeGroups.filter((g) => g.kind === 'ec2');
    expect(found).toHaveLength(ec2Groups.length);
    const conditions = found.map(({ statement }) => {
      const equals = statement.Condition?.StringEquals?.[RETYPE_CONDITION_KEY];
      const like = statement.Condition?.StringLike?.[RETYPE_CONDITION_KEY];
      expect(equals ?? like, JSON.stringify(statement)).toBeDefined();
      // No IfExists or ForAnyValue variant: a request without the key must not match.
      expect(Object.keys(statement.Condition!).sort()).toEqual(
        like ? ['StringEquals', 'StringLike'] : ['StringEquals'],
      );
      expect(statement.Condition!.StringEquals!['aws:ResourceTag/drpilot:managed']).toBe('true');
      return { sid: statement.Sid, types: equals ?? like };
    });
    expect(conditions).toEqual(
      expect.arrayContaining([
        {
          sid: 'primaryworkersRetypeOnly',
          types: ['m6i.2xlarge', 'm6i.4xlarge', 'm6i.large', 'm6i.xlarge'],
        },
        { sid: 'drworkersRetypeOnly', types: ['r6i.2xlarge', 'r6i.large', 'r6i.xlarge'] },
        // A derived ladder is the seed's family, whose sizes are read at run time.
        { sid: 'derivedRetypeOnly', types: ['c7g.*'] },
      ]),
    );
  });

  it('ec2:CreateTags and ec2:DeleteTags only on each ec2 group’s own instances, and only the rollout’s two marks (CreateTags also as part of a launch from a launch template)', () => {
    const ec2Groups = config.nodeGroups.filter((g) => g.kind === 'ec2');
    for (const action of ['ec2:CreateTags', 'ec2:DeleteTags']) {
      const found = allowing(stacks, action).map(({ statement }) => statement);
      const marks = found.filter((statement) => statement.Sid?.endsWith('RolloutMarks'));
      expect(marks.map((statement) => statement.Sid).sort()).toEqual(
        ec2Groups.map((g) => `${g.id.replace(/[^A-Za-z0-9]/g, '')}RolloutMarks`).sort(),
      );
      for (const statement of marks) {
        const group = ec2Groups.find((g) => statement.Sid?.startsWith(g.id.replace(/-/g, '')));
        expect(statement.Condition).toEqual({
          StringEquals: {
            'aws:ResourceTag/drpilot:managed': 'true',
            [`aws:ResourceTag/${group!.selector.tag!.key}`]: group!.selector.tag!.value,
          },
          'ForAllValues:StringEquals': {
            'aws:TagKeys': ['drpilot:stopped-by-rollout', 'drpilot:cordoned-by-rollout'],
          },
        });
      }
      // The asg / eks-managed roles tag only what a launch from their template creates.
      for (const statement of found.filter((s) => !marks.includes(s))) {
        expect(action).toBe('ec2:CreateTags');
        expect(statement.Condition?.ArnLike?.['ec2:LaunchTemplate']).toBeDefined();
      }
    }
  });

  it('the only role that may delete Velero objects may also read both buckets’ versioning (the precondition)', () => {
    const deleters = allowing(stacks, 's3:DeleteObject');
    expect(new Set(deleters.map((d) => d.statement.Sid))).toEqual(
      new Set(['ReadWriteVeleroAreas']),
    );
    const versioning = allowing(stacks, 's3:GetBucketVersioning');
    for (const deleter of deleters) {
      const sameRole = versioning.filter((v) => v.owner === deleter.owner);
      expect(
        sameRole.map((v) => [...([] as unknown[]).concat(v.statement.Resource)].sort()),
      ).toEqual([['arn:aws:s3:::acme-velero-eu-central-1', 'arn:aws:s3:::acme-velero-eu-west-1']]);
    }
  });
});
