import { describe, expect, it } from 'vitest';
import {
  attachedIps,
  decideResolverIps,
  type ResolverIpsInput,
} from '../../lambdas/core/aks/resolver-ips';

const NOW = new Date('2026-03-01T12:00:00.000Z');

function input(overrides: Partial<ResolverIpsInput>): ResolverIpsInput {
  return {
    side: 'dr',
    region: 'eu-central-1',
    resolverEndpointId: 'rslvr-in-0def',
    zones: ['internal.example.com'],
    addresses: [
      { ip: '10.1.2.10', status: 'ATTACHED' },
      { ip: '10.1.1.10', status: 'ATTACHED' },
    ],
    last: null,
    now: NOW,
    afterSwitch: false,
    ...overrides,
  };
}

describe('resolver addresses', () => {
  it('keeps only ATTACHED addresses, sorted numerically, without duplicates', () => {
    expect(
      attachedIps([
        { ip: '10.0.1.9', status: 'ATTACHED' },
        { ip: '10.0.1.10', status: 'ATTACHED' },
        { ip: '10.0.1.10', status: 'ATTACHED' },
        { ip: '10.0.2.10', status: 'CREATING' },
        { ip: '10.0.3.10', status: 'DETACHING' },
        { ip: '10.0.4.10', status: 'REMAP_ATTACHING' },
        { ip: '10.0.5.10', status: 'ISOLATED' },
        { ip: null, status: 'ATTACHED' },
      ]),
    ).toEqual(['10.0.1.9', '10.0.1.10']);
  });

  it('sends the first report, a changed set, a day-old one, and always after a switch', () => {
    const data = {
      region: 'eu-central-1',
      resolverEndpointId: 'rslvr-in-0def',
      ips: ['10.1.1.10', '10.1.2.10'],
      zones: ['internal.example.com'],
    };
    const sent = (ips: string[], ageSeconds: number) => ({
      resolverEndpointId: 'rslvr-in-0def',
      ips,
      sentAt: new Date(NOW.getTime() - ageSeconds * 1000).toISOString(),
      seq: 3,
    });
    expect(decideResolverIps(input({}))).toMatchObject({ kind: 'send', data });
    expect(decideResolverIps(input({ last: sent(['10.1.1.10'], 60) }))).toMatchObject({
      kind: 'send',
      data,
    });
    expect(decideResolverIps(input({ last: sent(data.ips, 86_400) }))).toMatchObject({
      kind: 'send',
    });
    expect(decideResolverIps(input({ last: sent(data.ips, 86_399) }))).toMatchObject({
      kind: 'unchanged',
    });
    expect(decideResolverIps(input({ last: sent(data.ips, 60), afterSwitch: true }))).toMatchObject(
      { kind: 'send' },
    );
    // What was sent for the other side's endpoint says nothing about this one.
    expect(
      decideResolverIps(
        input({ last: { ...sent(data.ips, 60), resolverEndpointId: 'rslvr-in-0abc' } }),
      ),
    ).toMatchObject({ kind: 'send' });
  });

  it('refuses (no event) when no address is ATTACHED, even right after a switch', () => {
    const none = input({
      afterSwitch: true,
      addresses: [
        { ip: '10.1.1.10', status: 'DETACHING' },
        { ip: '10.1.2.10', status: 'FAILED_RESOURCE_GONE' },
      ],
    });
    const decision = decideResolverIps(none);
    expect(decision.kind).toBe('refused');
    expect(decision.reason).toMatch(
      /no ATTACHED address \(10\.1\.1\.10 DETACHING, 10\.1\.2\.10 FAILED_RESOURCE_GONE\)/,
    );
    expect(decideResolverIps(input({ addresses: [] })).reason).toMatch(/no address at all/);
  });
});
