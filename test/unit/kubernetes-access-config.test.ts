import { describe, expect, it } from 'vitest';
import { validatedKubernetesAccess } from '../../lambdas/core/config/kubernetes-access';
import { validateConfig } from '../../lambdas/core/config/validate';
import { exampleConfig } from '../support/example-config';

type Doc = ReturnType<typeof exampleConfig>;

const refused: [string, (c: Doc) => void, { path: string; message: string }][] = [
  [
    'auth "eks" without a cluster name',
    (c) => (c.nodeGroups[0].kubernetes = { auth: 'eks' }),
    {
      path: 'nodeGroups[0].kubernetes.clusterName',
      message: 'required for auth "eks": the EKS cluster whose API drpilot calls',
    },
  ],
  [
    'auth "eks" with a kubeconfig secret it would not read',
    (c) =>
      (c.nodeGroups[0].kubernetes = { auth: 'eks', clusterName: 'prod', kubeconfigSecret: 'x' }),
    {
      path: 'nodeGroups[0].kubernetes.kubeconfigSecret',
      message: 'not read with auth "eks" (the token comes from IAM): remove it',
    },
  ],
  [
    'auth "kubeconfig" with a cluster name it would not read',
    (c) =>
      (c.nodeGroups[0].kubernetes = {
        auth: 'kubeconfig',
        kubeconfigSecret: 'x',
        clusterName: 'prod',
      }),
    {
      path: 'nodeGroups[0].kubernetes.clusterName',
      message: 'read only with auth "eks": remove it, or set auth "eks" instead of a kubeconfig',
    },
  ],
  [
    'an empty kubernetes block',
    (c) => (c.nodeGroups[0].kubernetes = {}),
    {
      path: 'nodeGroups[0].kubernetes.kubeconfigSecret',
      message: 'required for auth "kubeconfig" (or set auth "eks" with clusterName on EKS)',
    },
  ],
  [
    'a cluster name EKS would not accept',
    (c) => (c.nodeGroups[0].kubernetes = { auth: 'eks', clusterName: 'prod cluster' }),
    { path: 'nodeGroups[0].kubernetes.clusterName', message: 'expected an EKS cluster name' },
  ],
  [
    'an auth method drpilot does not have',
    (c) => (c.nodeGroups[0].kubernetes = { auth: 'oidc', clusterName: 'prod' }),
    {
      path: 'nodeGroups[0].kubernetes.auth',
      message: 'expected "kubeconfig" or "eks", got "oidc"',
    },
  ],
  [
    'a restore drill with neither a kubeconfig nor a cluster',
    (c) => delete c.backups.restoreDrill.kubeconfigSecret,
    {
      path: 'backups.restoreDrill.kubeconfigSecret',
      message: 'required for auth "kubeconfig" (or set auth "eks" with clusterName on EKS)',
    },
  ],
];

describe('kubernetes auth in the config', () => {
  it.each(refused)('refuses %s, naming the field', (_name, edit, expected) => {
    const doc = exampleConfig();
    edit(doc);
    const result = validateConfig(doc);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toEqual([
      { path: expected.path, message: expect.stringContaining(expected.message) },
    ]);
  });

  it('reads a cluster name alone as auth "eks", for a node group and the restore drill', () => {
    const doc = exampleConfig();
    doc.nodeGroups[0].kubernetes = { clusterName: 'prod-eks' };
    doc.backups.restoreDrill = { ...doc.backups.restoreDrill, clusterName: 'dr-eks' };
    delete doc.backups.restoreDrill.kubeconfigSecret;
    const result = validateConfig(doc);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const group = result.config.nodeGroups[0]!;
    expect(validatedKubernetesAccess(group.kubernetes!)).toEqual({
      auth: 'eks',
      clusterName: 'prod-eks',
    });
    expect(validatedKubernetesAccess(result.config.backups.restoreDrill!)).toEqual({
      auth: 'eks',
      clusterName: 'dr-eks',
    });
    // The other group keeps its kubeconfig.
    expect(validatedKubernetesAccess(result.config.nodeGroups[1]!.kubernetes!)).toEqual({
      auth: 'kubeconfig',
      secretName: 'acme/drpilot/dr-kubeconfig',
    });
  });
});
