import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvent, EMPTY_DESIRED_STATE, type DesiredState } from '../src/core/desired-state';
import { parseEvent, type DrpilotEvent } from '../src/core/events';
import { failoverEvent, pingEvent, resolverIpsEvent, tunnelStateEvent } from './support/events';

const context = { mainRecordName: 'Main.Example.com.' };

function event(body: unknown): DrpilotEvent {
  const parsed = parseEvent(body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.event;
}

function applyAll(events: DrpilotEvent[]): DesiredState {
  return events.reduce((state, e) => {
    const result = applyEvent(state, e, context);
    return result.outcome === 'applied' ? result.state : state;
  }, EMPTY_DESIRED_STATE);
}

describe('applyEvent', () => {
  it('moves the active side only for the main record; another record is a drill', () => {
    const state = applyAll([
      event(failoverEvent(1)),
      event(failoverEvent(2, { recordName: 'drill.example.com', activeSide: 'primary' })),
    ]);
    expect(state.active).toMatchObject({
      side: 'dr',
      region: 'eu-central-1',
      recordName: 'main.example.com',
    });
    expect(state.lastDrill).toMatchObject({ side: 'primary', recordName: 'drill.example.com' });
  });

  it('ignores an event that is not newer than the last applied one of its stream', () => {
    const newer = applyAll([event(resolverIpsEvent(5, 'eu-west-1', ['10.0.1.10']))]);
    const older = applyEvent(newer, event(resolverIpsEvent(4, 'eu-west-1', ['10.0.9.9'])), context);
    const same = applyEvent(newer, event(resolverIpsEvent(5, 'eu-west-1', ['10.0.9.9'])), context);
    expect(older).toEqual({
      outcome: 'ignored-older',
      stream: 'resolver.ips eu-west-1',
      newestSeq: 5,
    });
    expect(same.outcome).toBe('ignored-older');
    // Another region is another stream: its older seq is still news.
    expect(
      applyEvent(newer, event(resolverIpsEvent(3, 'eu-central-1', ['10.1.1.10'])), context).outcome,
    ).toBe('applied');
  });

  it('changes nothing on ping', () => {
    expect(applyEvent(EMPTY_DESIRED_STATE, event(pingEvent()), context)).toEqual({
      outcome: 'no-change',
    });
  });

  it('ends in the same state whatever order the events arrive in (property)', () => {
    const candidates = [
      failoverEvent(1, { activeSide: 'dr' }),
      failoverEvent(2, { activeSide: 'primary' }),
      failoverEvent(3, { recordName: 'drill.example.com' }),
      resolverIpsEvent(1, 'eu-west-1', ['10.0.1.10']),
      resolverIpsEvent(2, 'eu-west-1', ['10.0.1.10', '10.0.2.10']),
      resolverIpsEvent(3, 'eu-central-1', []),
      resolverIpsEvent(4, 'eu-central-1', ['10.1.1.10']),
      tunnelStateEvent(1, [true, true]),
      tunnelStateEvent(2, [false, true]),
      tunnelStateEvent(1, [false, false], 'vpn-0def'),
    ].map(event);
    const inOrder = applyAll(candidates);
    fc.assert(
      fc.property(fc.shuffledSubarray(candidates, { minLength: candidates.length }), (shuffled) => {
        expect(applyAll(shuffled)).toEqual(inOrder);
      }),
    );
    expect(inOrder.active?.side).toBe('primary');
    expect(inOrder.resolvers['eu-central-1']?.ips).toEqual(['10.1.1.10']);
    expect(inOrder.vpnConnections['vpn-0abc']?.tunnels.map((t) => t.up)).toEqual([false, true]);
  });
});
