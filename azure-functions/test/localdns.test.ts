import { describe, expect, it } from 'vitest';
import { poolLocalDns, routingSummary, zoneRouting, type NodePoolDns } from '../src/core/localdns';

// Pools as the AKS API describes them; overrides in the shape of MicrosoftDocs/azure-aks-docs
// articles/aks/localdns-custom.md ("Default LocalDNS configuration", "Create a custom server
// block in LocalDNS").

const DEFAULT_KUBE_OVERRIDES = {
  '.': { forwardDestination: 'ClusterCoreDNS' },
  'cluster.local': { forwardDestination: 'ClusterCoreDNS' },
};

function pool(over: Partial<NodePoolDns> & { name?: string }): NodePoolDns {
  return { name: 'userpool', osType: 'Linux', kubernetesVersion: '1.37.1', ...over };
}

describe('poolLocalDns: does LocalDNS run on the pool', () => {
  it.each([
    ['state Enabled', { localDns: { mode: 'Preferred', state: 'Enabled' } }, 'active'],
    [
      'state Disabled even when Required',
      { localDns: { mode: 'Required', state: 'Disabled' } },
      'inactive',
    ],
    ['mode Required', { localDns: { mode: 'Required' } }, 'active'],
    ['mode Disabled', { localDns: { mode: 'Disabled' } }, 'inactive'],
    [
      'Preferred before 1.37 only validates',
      { kubernetesVersion: '1.36.4', localDns: { mode: 'Preferred' } },
      'inactive',
    ],
    ['no profile before 1.37', { kubernetesVersion: '1.33.2' }, 'inactive'],
    ['no profile from 1.37: Preferred, compatibility unknown', {}, 'unknown'],
    ['Preferred from 1.37 without a state', { localDns: { mode: 'Preferred' } }, 'unknown'],
    ['a Windows pool', { osType: 'Windows', localDns: { mode: 'Required' } }, 'inactive'],
    ['version unknown', { kubernetesVersion: undefined }, 'unknown'],
  ] as const)('%s → %s', (_name, over, state) => {
    expect(poolLocalDns(pool(over as Partial<NodePoolDns>)).state).toBe(state);
  });
});

describe('zoneRouting: does the zone reach CoreDNS (and so coredns-custom) from ClusterFirst pods', () => {
  const zones = ['internal.example.com'];

  it('forwarded when LocalDNS sends kubeDNS traffic to ClusterCoreDNS (its default)', () => {
    const routing = zoneRouting(zones, [
      pool({ localDns: { mode: 'Required', kubeDNSOverrides: DEFAULT_KUBE_OVERRIDES } }),
      pool({ name: 'system', localDns: { mode: 'Required' } }),
      pool({ name: 'old', kubernetesVersion: '1.31.3' }),
    ]);
    expect(routing).toEqual([
      { zone: 'internal.example.com', status: 'forwarded', bypassedOn: [], unknownOn: [] },
    ]);
    expect(routingSummary(routing)).toBeNull();
  });

  it('bypassed by an override for the zone, for a zone above it, or for `.`, sent to VnetDNS', () => {
    const cases: [string, Record<string, { forwardDestination?: string }>][] = [
      ['internal.example.com', { 'Internal.Example.com.': { forwardDestination: 'VnetDNS' } }],
      ['example.com', { 'example.com': { forwardDestination: 'VnetDNS' } }],
      ['.', { '.': { forwardDestination: 'VnetDNS' } }],
    ];
    for (const [override, kubeDNSOverrides] of cases) {
      const routing = zoneRouting(zones, [
        pool({
          localDns: {
            mode: 'Required',
            kubeDNSOverrides: { ...DEFAULT_KUBE_OVERRIDES, ...kubeDNSOverrides },
          },
        }),
      ]);
      expect(routing[0], override).toEqual({
        zone: 'internal.example.com',
        status: 'bypassed',
        bypassedOn: [
          { pool: 'userpool', override, names: 'internal.example.com and the names in it' },
        ],
        unknownOn: [],
      });
    }
  });

  it('the most specific override decides: ClusterCoreDNS for the zone wins over VnetDNS above it', () => {
    const routing = zoneRouting(zones, [
      pool({
        localDns: {
          state: 'Enabled',
          kubeDNSOverrides: {
            '.': { forwardDestination: 'VnetDNS' },
            'internal.example.com': { forwardDestination: 'ClusterCoreDNS' },
          },
        },
      }),
    ]);
    expect(routing[0]?.status).toBe('forwarded');
  });

  it('partly bypassed by an override for a zone inside it', () => {
    const routing = zoneRouting(zones, [
      pool({
        localDns: {
          mode: 'Required',
          kubeDNSOverrides: { 'db.internal.example.com': { forwardDestination: 'VnetDNS' } },
        },
      }),
    ]);
    expect(routing[0]).toMatchObject({
      status: 'bypassed',
      bypassedOn: [
        {
          pool: 'userpool',
          override: 'db.internal.example.com',
          names: 'names in db.internal.example.com',
        },
      ],
    });
    expect(routingSummary(routing)).toBe(
      'internal.example.com is not forwarded by coredns-custom on pool userpool (names in db.internal.example.com: LocalDNS override "db.internal.example.com" → VnetDNS)',
    );
  });

  it('an override on a pool where LocalDNS is off changes nothing', () => {
    const vnet = { 'internal.example.com': { forwardDestination: 'VnetDNS' } };
    expect(
      zoneRouting(zones, [
        pool({ localDns: { mode: 'Disabled', kubeDNSOverrides: vnet } }),
        pool({
          name: 'win',
          osType: 'Windows',
          localDns: { mode: 'Required', kubeDNSOverrides: vnet },
        }),
      ])[0]?.status,
    ).toBe('forwarded');
  });

  it('unknown when a bypassing override sits on a pool whose LocalDNS state is not known', () => {
    const routing = zoneRouting(zones, [
      pool({
        localDns: {
          mode: 'Preferred',
          kubeDNSOverrides: { 'internal.example.com': { forwardDestination: 'VnetDNS' } },
        },
      }),
    ]);
    expect(routing[0]).toMatchObject({
      status: 'unknown',
      bypassedOn: [],
      unknownOn: [
        { pool: 'userpool', why: expect.stringMatching(/compatibility checks.*VnetDNS/) },
      ],
    });
  });

  it('unknown for every zone when the node pools could not be read', () => {
    const routing = zoneRouting(['a.example.com', 'b.example.com'], {
      unavailable: '403 Forbidden',
    });
    expect(routing.map((zone) => zone.status)).toEqual(['unknown', 'unknown']);
    expect(routingSummary(routing)).toMatch(
      /^a.example.com: LocalDNS routing unknown on every pool \(node pools not read: 403 Forbidden\); b.example.com/,
    );
  });
});
