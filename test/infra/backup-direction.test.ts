import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { addDrpilotStacks } from '../../lib/drpilot-app';
import {
  newTestApp,
  statementsOf,
  type TemplateJson,
  TEST_ACCOUNT,
  validExampleConfig,
} from './synth';

/** backups.velero: the primary by EKS auth, DR by the restore drill's kubeconfig secret. */
function synth(velero: unknown) {
  const app = newTestApp(false, { '@aws-cdk/core:failSynthOnValidationErrors': false });
  const config = validExampleConfig((doc) => {
    doc.backups.velero = velero;
  });
  const stacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  app.synth();
  return stacks;
}

describe('backups.velero: what the DNS function may use to flip each cluster’s Velero', () => {
  it('reads the DR kubeconfig by name and describes only the primary EKS cluster, mapped to drpilot-backup-direction', () => {
    const stacks = synth({ primary: { clusterName: 'prod-eks' }, dr: {} });
    const dns = stacks.control.dnsFailover.reactive;
    const statements = statementsOf(stacks.control, dns).filter((s) => s.Sid?.includes('Velero'));
    expect(statements.map((s) => [s.Sid, s.Action, s.Resource])).toEqual([
      [
        'DescribeVeleroPrimaryCluster',
        'eks:DescribeCluster',
        `arn:aws:eks:eu-west-1:${TEST_ACCOUNT}:cluster/prod-eks`,
      ],
      [
        'ReadVeleroDrKubeconfig',
        'secretsmanager:GetSecretValue',
        `arn:aws:secretsmanager:eu-central-1:${TEST_ACCOUNT}:secret:acme/drpilot/dr-restore-drill-kubeconfig-??????`,
      ],
    ]);
    const entries = (stack: Stack) =>
      Object.values<TemplateJson>(
        Template.fromStack(stack).findResources('AWS::EKS::AccessEntry'),
      ).map((e) => e.Properties);
    expect(entries(stacks.regions.primary)).toContainEqual({
      ClusterName: 'prod-eks',
      PrincipalArn: `arn:aws:iam::${TEST_ACCOUNT}:role/acme-drpilot-dns`,
      KubernetesGroups: ['drpilot-backup-direction'],
      Type: 'STANDARD',
    });
    expect(entries(stacks.regions.dr)).toEqual([]);
  });

  it('grants nothing for Velero when backups.velero is not configured', () => {
    const stacks = synth(undefined);
    const statements = statementsOf(stacks.control, stacks.control.dnsFailover.reactive);
    expect(statements.filter((s) => s.Sid?.includes('Velero'))).toEqual([]);
  });
});
