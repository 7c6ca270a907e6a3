import { readFileSync } from 'node:fs';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import {
  AKS_TOKEN_SCOPE,
  aksAccess,
  AksKubeconfigError,
  serverAndCaFromKubeconfig,
  type ClusterUserCredentials,
} from '../src/adapters/azure/aks-access';
import { AksNodePools, type AgentPoolLister } from '../src/adapters/azure/aks-node-pools';
import { aksSettings, corednsAvailableSeconds, SettingsError } from '../src/settings';

// The Azure side of the connection cannot run here (no Entra ID, no ARM): these tests hold the
// thin adapter to what it must do with what Azure returns — parse the clusterUser kubeconfig for
// the server and CA only, ask for a token for the AKS server application, and never the admin
// credentials. Azure's answers are recorded stand-ins, said so in each name.

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/aks/${name}`, import.meta.url), 'utf8');
const CA = fixture('ca.pem');
const SERVER = 'https://acme-aks-dns-0a1b2c3d.hcp.westeurope.azmk8s.io:443';

describe('serverAndCaFromKubeconfig: the cluster user kubeconfig, server and CA only', () => {
  it.each(['user-kubeconfig-exec.yaml', 'user-kubeconfig-azure.yaml'])('%s', (name) => {
    expect(serverAndCaFromKubeconfig(fixture(name))).toEqual({ server: SERVER, caPem: CA });
  });

  const exec = fixture('user-kubeconfig-exec.yaml');
  it.each([
    ['not https', exec.replace('https://', 'http://'), /not https/],
    [
      'no CA',
      exec.replace(/certificate-authority-data: \S+/, 'insecure-skip-tls-verify: false'),
      /no certificate-authority-data/,
    ],
    [
      'TLS verification off',
      exec.replace(/certificate-authority-data: \S+/, 'insecure-skip-tls-verify: true'),
      /insecure-skip-tls-verify/,
    ],
    [
      'a CA that is not PEM',
      exec.replace(
        /certificate-authority-data: \S+/,
        `certificate-authority-data: ${Buffer.from('nope').toString('base64')}`,
      ),
      /not a base64 PEM/,
    ],
    [
      'no current context',
      exec.replace('current-context: acme-aks', 'current-context: other'),
      /.+/,
    ],
    ['not YAML', '{{{', /does not parse/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => serverAndCaFromKubeconfig(text)).toThrow(message);
  });
});

describe('aksAccess (Azure answers recorded, not live)', () => {
  function recordingClient(kubeconfig: string | undefined) {
    const calls: string[] = [];
    const client: ClusterUserCredentials & { managedClusters: Record<string, unknown> } = {
      managedClusters: {
        listClusterUserCredentials: async (group: string, name: string) => {
          calls.push(`listClusterUserCredentials ${group}/${name}`);
          return {
            kubeconfigs: kubeconfig
              ? [{ name: 'clusterUser', value: new TextEncoder().encode(kubeconfig) }]
              : [],
          };
        },
        listClusterAdminCredentials: async () => {
          calls.push('listClusterAdminCredentials');
          throw new Error('never the admin credentials');
        },
      },
    };
    return { client, calls };
  }
  function recordingCredential(): TokenCredential & { scopes: (string | string[])[] } {
    const scopes: (string | string[])[] = [];
    return {
      scopes,
      async getToken(scope: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
        scopes.push(scope);
        return { token: 'entra-access-token', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
  }

  it('takes server and CA from the user credentials and a token for the AKS server application', async () => {
    const { client, calls } = recordingClient(fixture('user-kubeconfig-exec.yaml'));
    const credential = recordingCredential();
    const access = await aksAccess(
      { resourceGroup: 'acme-rg', name: 'acme-aks' },
      client,
      credential,
    );
    expect(access).toEqual({ server: SERVER, caPem: CA, token: 'entra-access-token' });
    expect(calls).toEqual(['listClusterUserCredentials acme-rg/acme-aks']);
    expect(credential.scopes).toEqual(['6dae42f8-4368-4678-94ff-3960e28e3630/.default']);
    expect(AKS_TOKEN_SCOPE).toBe('6dae42f8-4368-4678-94ff-3960e28e3630/.default');
  });

  it('fails, naming the cluster, when no kubeconfig comes back', async () => {
    const { client } = recordingClient(undefined);
    await expect(
      aksAccess({ resourceGroup: 'acme-rg', name: 'acme-aks' }, client, recordingCredential()),
    ).rejects.toThrow(
      new AksKubeconfigError(
        'listClusterUserCredentials for acme-rg/acme-aks returned no kubeconfig',
      ),
    );
  });
});

describe('AksNodePools (an agentPools.list answer recorded, not live)', () => {
  it('keeps each pool’s OS, running version and LocalDNS profile', async () => {
    const answer = [
      {
        name: 'system',
        osType: 'Linux',
        orchestratorVersion: '1.37',
        currentOrchestratorVersion: '1.37.1',
        localDNSProfile: {
          mode: 'Preferred',
          state: 'Enabled',
          kubeDNSOverrides: {
            '.': { forwardDestination: 'ClusterCoreDNS', cacheDurationInSeconds: 3600 },
          },
        },
      },
      { name: 'win', osType: 'Windows', orchestratorVersion: '1.36.2' },
    ];
    const calls: string[] = [];
    const client: AgentPoolLister = {
      agentPools: {
        list: (group, name) => {
          calls.push(`${group}/${name}`);
          return (async function* () {
            yield* answer;
          })();
        },
      },
    };
    expect(
      await new AksNodePools(client, { resourceGroup: 'acme-rg', name: 'acme-aks' }).list(),
    ).toEqual([
      {
        name: 'system',
        osType: 'Linux',
        kubernetesVersion: '1.37.1',
        localDns: {
          mode: 'Preferred',
          state: 'Enabled',
          kubeDNSOverrides: {
            '.': { forwardDestination: 'ClusterCoreDNS', cacheDurationInSeconds: 3600 },
          },
        },
      },
      { name: 'win', osType: 'Windows', kubernetesVersion: '1.36.2' },
    ]);
    expect(calls).toEqual(['acme-rg/acme-aks']);
  });
});

describe('the AKS settings', () => {
  const all = {
    DRPILOT_AKS_SUBSCRIPTION_ID: '00000000-1111-2222-3333-444444444444',
    DRPILOT_AKS_RESOURCE_GROUP: 'acme-rg',
    DRPILOT_AKS_CLUSTER: 'acme-aks',
  };
  it('all three connect, none plans only, some is a misconfiguration', () => {
    expect(aksSettings(all)).toEqual({
      connected: true,
      subscriptionId: all.DRPILOT_AKS_SUBSCRIPTION_ID,
      resourceGroup: 'acme-rg',
      name: 'acme-aks',
    });
    expect(aksSettings({})).toMatchObject({
      connected: false,
      reason: expect.stringMatching(/DRPILOT_AKS_CLUSTER are not set/),
    });
    expect(() => aksSettings({ DRPILOT_AKS_CLUSTER: 'acme-aks' })).toThrow(SettingsError);
  });
  it('the Available budget is 150 s unless set, within 10–240 s', () => {
    expect(corednsAvailableSeconds({})).toBe(150);
    expect(corednsAvailableSeconds({ DRPILOT_COREDNS_AVAILABLE_SECONDS: '60' })).toBe(60);
    for (const bad of ['5', '241', '1m', '-1']) {
      expect(
        () => corednsAvailableSeconds({ DRPILOT_COREDNS_AVAILABLE_SECONDS: bad }),
        bad,
      ).toThrow(SettingsError);
    }
  });
});
