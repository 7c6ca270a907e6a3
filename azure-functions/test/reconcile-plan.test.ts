import { describe, expect, it } from 'vitest';
import { renderServerBlocks } from '../src/core/coredns-render';
import { applyEvent, EMPTY_DESIRED_STATE, type DesiredState } from '../src/core/desired-state';
import { parseEvent } from '../src/core/events';
import { decideWrite, planForwarding } from '../src/core/reconcile-plan';
import { failoverEvent, resolverIpsEvent, tunnelStateEvent } from './support/events';

function desired(...bodies: unknown[]): DesiredState {
  return bodies.reduce<DesiredState>((state, body) => {
    const parsed = parseEvent(body);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const result = applyEvent(state, parsed.event, { mainRecordName: 'main.example.com' });
    return result.outcome === 'applied' ? result.state : state;
  }, EMPTY_DESIRED_STATE);
}

const options = { cacheSeconds: 30 };
const drActive = failoverEvent(1, { activeSide: 'dr', activeRegion: 'eu-central-1' });
const drIps = resolverIpsEvent(1, 'eu-central-1', ['10.1.1.10', '10.1.2.10']);

describe('planForwarding', () => {
  it("forwards the zones to the active region's resolver addresses", () => {
    const decision = planForwarding(
      desired(drActive, drIps, resolverIpsEvent(2, 'eu-west-1', ['10.0.1.10'])),
      options,
    );
    expect(decision).toMatchObject({
      action: 'render',
      plan: {
        region: 'eu-central-1',
        ips: ['10.1.1.10', '10.1.2.10'],
        zones: ['internal.example.com'],
      },
    });
  });

  it.each([
    ['the active side is unknown', [drIps], /active side is not known/],
    [
      'both tunnels are down',
      [drActive, drIps, tunnelStateEvent(1, [false, false])],
      /every VPN tunnel is down/,
    ],
    [
      'the active region sent no resolver IPs',
      [drActive, resolverIpsEvent(1, 'eu-west-1', ['10.0.1.10'])],
      /no resolver.ips/,
    ],
    [
      'the resolver has no ATTACHED address',
      [drActive, resolverIpsEvent(1, 'eu-central-1', [])],
      /no ATTACHED address/,
    ],
  ])('skips, with the reason, when %s', (_name, events, reason) => {
    const decision = planForwarding(desired(...events), options);
    expect(decision.action).toBe('skip');
    expect(decision.action === 'skip' ? decision.reason : '').toMatch(reason);
  });

  it('goes ahead when one tunnel of two is up', () => {
    const decision = planForwarding(
      desired(drActive, drIps, tunnelStateEvent(1, [false, true])),
      options,
    );
    expect(decision.action).toBe('render');
  });

  it('refuses what the renderer refuses', () => {
    const decision = planForwarding(
      desired(drActive, resolverIpsEvent(1, 'eu-central-1', ['10.1.1.10'], ['cluster.local'])),
      options,
    );
    expect(decision).toMatchObject({ action: 'refuse' });
  });
});

describe('decideWrite', () => {
  const decision = planForwarding(desired(drActive, drIps), options);
  if (decision.action !== 'render') throw new Error('expected a plan');
  const { entries, plan } = decision;

  it('writes new entries, leaves equal ones, refuses a zone someone else serves', () => {
    expect(decideWrite(entries, plan, { entries: {}, others: {}, version: '1' })).toEqual({
      action: 'write',
      entries,
    });
    expect(decideWrite(entries, plan, { entries, others: {}, version: '1' })).toEqual({
      action: 'unchanged',
    });
    const stale = renderServerBlocks({ ...plan, ips: ['10.1.1.10'] });
    expect(
      stale.ok &&
        decideWrite(entries, plan, { entries: stale.data, others: {}, version: '1' }).action,
    ).toBe('write');
    const taken = decideWrite(entries, plan, {
      entries: {},
      others: { 'mine.server': 'internal.example.com:53 {\n  forward . 10.9.9.9\n}\n' },
      version: '1',
    });
    expect(taken).toMatchObject({
      action: 'refuse',
      problems: [expect.stringMatching(/mine.server already serves internal.example.com/)],
    });
  });
});
