import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import {
  actionsOf,
  defined,
  logicalId,
  nagFindings,
  newTestApp,
  type PolicyStatement,
  statementsOf,
  type TemplateJson,
  TEST_ACCOUNT,
  validExampleConfig,
  watchNag,
} from './synth';

/** The example config with EKS auth for the primary group and the restore drill. */
function synth() {
  // Findings are read from the report rather than thrown, so this file checks its own constructs.
  const app = newTestApp(false, { '@aws-cdk/core:failSynthOnValidationErrors': false });
  const config = validExampleConfig((doc) => {
    doc.nodeGroups[0].kubernetes = { auth: 'eks', clusterName: 'prod-eks' };
    doc.backups.restoreDrill.clusterName = 'dr-eks';
    delete doc.backups.restoreDrill.kubeconfigSecret;
  });
  const stacks: DrpilotStacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  const { runs } = watchNag(() => app.synth());
  return { app, stacks, runs };
}

const actions = (statements: PolicyStatement[]) => statements.flatMap(actionsOf);

describe('kubernetes auth "eks" (primary node group and restore drill)', () => {
  let s: ReturnType<typeof synth>;
  beforeAll(() => {
    s = synth();
  });

  it('maps the resize role to drpilot-drainer with one access entry on the group cluster', () => {
    const primary = s.stacks.regions.primary;
    const resize = defined(primary.resize ?? undefined, 'the primary resize function').reactive;
    const entries = Template.fromStack(primary).findResources('AWS::EKS::AccessEntry');
    expect(Object.values<TemplateJson>(entries).map((e) => e.Properties)).toEqual([
      {
        ClusterName: 'prod-eks',
        PrincipalArn: { 'Fn::GetAtt': [logicalId(primary, resize.role), 'Arn'] },
        KubernetesGroups: ['drpilot-drainer'],
        Type: 'STANDARD',
      },
    ]);
    // The DR side's group keeps its kubeconfig: no entry, no DescribeCluster there.
    const drResize = defined(s.stacks.regions.dr.resize ?? undefined, 'the DR resize').reactive;
    expect(actions(statementsOf(s.stacks.regions.dr, drResize))).not.toContain(
      'eks:DescribeCluster',
    );
  });

  it('gives the resize role DescribeCluster on that one cluster ARN and no kubeconfig secret', () => {
    const primary = s.stacks.regions.primary;
    const resize = defined(primary.resize ?? undefined, 'the primary resize function').reactive;
    const statements = statementsOf(primary, resize);
    const describe = statements.filter((st) => actions([st]).includes('eks:DescribeCluster'));
    expect(describe).toEqual([
      expect.objectContaining({
        Action: 'eks:DescribeCluster',
        Resource: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod-eks',
      }),
    ]);
    expect(JSON.stringify(statements)).not.toContain('primary-kubeconfig');
  });

  it('names the restore drill role so the DR stack can give it an access entry on the DR cluster', () => {
    const control = s.stacks.control;
    const drill = defined(control.restoreDrill ?? undefined, 'the restore drill').reactive;
    const role = Template.fromStack(control).toJSON().Resources[logicalId(control, drill.role)];
    expect(role.Properties.RoleName).toBe('acme-drpilot-restore-drill');
    const statements = statementsOf(control, drill);
    expect(statements.filter((st) => actions([st]).includes('eks:DescribeCluster'))).toEqual([
      expect.objectContaining({
        Action: 'eks:DescribeCluster',
        Resource: 'arn:aws:eks:eu-central-1:123456789012:cluster/dr-eks',
      }),
    ]);
    expect(actions(statements)).not.toContain('secretsmanager:GetSecretValue');

    const dr = s.stacks.regions.dr;
    const entries = Template.fromStack(dr).findResources('AWS::EKS::AccessEntry');
    expect(Object.values<TemplateJson>(entries).map((e) => e.Properties)).toEqual([
      {
        ClusterName: 'dr-eks',
        PrincipalArn: 'arn:aws:iam::123456789012:role/acme-drpilot-restore-drill',
        KubernetesGroups: ['drpilot-restore-drill'],
        Type: 'STANDARD',
      },
    ]);
    // EKS needs the role to exist first: the DR stack deploys after the control stack.
    expect(dr.dependencies).toContain(control);
  });

  it('adds no cdk-nag AwsSolutions finding on the roles or the access entries', () => {
    expect(s.runs).toHaveLength(1);
    const mine = nagFindings(s.app).filter((f) =>
      /\/(Resize|RestoreDrill)\/|EksAccess-/.test(f.path),
    );
    expect(mine).toEqual([]);
  });
});
