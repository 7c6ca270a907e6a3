import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlarmState } from '../../lambdas/core/events/trigger-event';
import {
  alarmModeInEffect,
  wantedGroupAlarms,
  wantedMemberAlarms,
  type AlarmGroup,
  type AlarmMember,
} from '../../lambdas/core/resize/member-alarms';
import {
  AGENT_HINT_MIN_PAIRS,
  observeGroupAlarms,
  type ObservedAlarm,
} from '../../lambdas/core/resize/observed-alarms';

const config = { name: 'acme' };
const ec2 = (alarms?: AlarmGroup['alarms']) => ({
  id: 'workers',
  kind: 'ec2' as const,
  metric: 'cpu' as const,
  scaleUpAt: 75,
  scaleDownAt: 30,
  ...(alarms ? { alarms } : {}),
});
const instances = (n: number): AlarmMember[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'instance',
    id: `i-${i.toString(16).padStart(17, '0')}`,
  }));

/** The names the reconciler puts, in the given state. */
const groupPair = (state: AlarmState, group = ec2('group')): ObservedAlarm[] =>
  wantedGroupAlarms(config, group).alarms.map((a) => ({ name: a.spec.name, state }));
const memberPairs = (n: number, group = ec2(), state: AlarmState = 'OK'): ObservedAlarm[] =>
  wantedMemberAlarms(config, group, instances(n)).alarms.map((a) => ({ name: a.spec.name, state }));

describe('observeGroupAlarms', () => {
  it('tells the group pair from its names, with the pair state', () => {
    expect(observeGroupAlarms(config, ec2('group'), groupPair('OK'))).toEqual({
      alarms: { configured: 'group', inEffect: 'group', alarmCount: 2, state: 'OK' },
      warnings: [],
    });
  });

  it('tells per-member pairs from their names and gives them no pair state', () => {
    expect(observeGroupAlarms(config, ec2('members'), memberPairs(3))).toEqual({
      alarms: { configured: 'members', inEffect: 'members', alarmCount: 6 },
      warnings: [],
    });
  });

  it('reports configured auto (the default when unset) and none when CloudWatch holds nothing', () => {
    expect(observeGroupAlarms(config, ec2(), [])).toEqual({
      alarms: { configured: 'auto', inEffect: 'none', alarmCount: 0 },
      warnings: [],
    });
  });

  it('counts only the alarms whose names parse to this group', () => {
    const other = { ...ec2(), id: 'workers-b' };
    const observed = [
      ...memberPairs(2),
      ...memberPairs(4, other),
      { name: 'acme-drpilot-resize.workers', state: 'OK' as const },
      { name: 'acme-drpilot-resize.workers.sideways.i-0', state: 'OK' as const },
      { name: 'other-drpilot-resize.workers.up.i-0', state: 'OK' as const },
    ];
    expect(observeGroupAlarms(config, ec2(), observed).alarms.alarmCount).toBe(4);
  });

  it('warns when a group-mode pair has no data: the agent does not publish the rollup', () => {
    const { alarms, warnings } = observeGroupAlarms(
      config,
      ec2('group'),
      groupPair('INSUFFICIENT_DATA'),
    );
    expect(alarms.state).toBe('INSUFFICIENT_DATA');
    expect(warnings).toEqual([
      'node group workers: no agent data for DrpilotGroup=workers: the group will not resize by itself; run drpilot agent-config workers on its members',
    ]);
  });

  it('takes INSUFFICIENT_DATA over ALARM over OK for the pair state', () => {
    const [up, down] = groupPair('OK');
    const pair = (u: AlarmState, d: AlarmState) => [
      { ...up!, state: u },
      { ...down!, state: d },
    ];
    const stateOf = (u: AlarmState, d: AlarmState) =>
      observeGroupAlarms(config, ec2('group'), pair(u, d)).alarms.state;
    expect(stateOf('ALARM', 'INSUFFICIENT_DATA')).toBe('INSUFFICIENT_DATA');
    expect(stateOf('OK', 'INSUFFICIENT_DATA')).toBe('INSUFFICIENT_DATA');
    expect(stateOf('ALARM', 'OK')).toBe('ALARM');
    expect(stateOf('OK', 'ALARM')).toBe('ALARM');
    expect(stateOf('OK', 'OK')).toBe('OK');
  });

  it('warns when a group-mode group has no group pair in CloudWatch (members only, or nothing)', () => {
    for (const observed of [[], memberPairs(3, ec2('group'))]) {
      const { alarms, warnings } = observeGroupAlarms(config, ec2('group'), observed);
      expect(alarms.inEffect).not.toBe('group');
      expect(warnings).toEqual([
        'node group workers (alarms "group") has no group alarms in CloudWatch: the group will not resize by itself until the resize-alarms function puts them',
      ]);
    }
  });

  it('warns when an auto group has its pair but no data: the agent stopped publishing', () => {
    expect(
      observeGroupAlarms(config, ec2('auto'), groupPair('INSUFFICIENT_DATA', ec2('auto'))).warnings,
    ).toEqual([
      'node group workers: no agent data for DrpilotGroup=workers (the agent stopped publishing?): the group does not resize until it publishes again, or until alarms "auto" goes back to a pair per member once ListMetrics no longer lists the metric (three hours without data)',
    ]);
    expect(observeGroupAlarms(config, ec2('auto'), groupPair('OK', ec2('auto'))).warnings).toEqual(
      [],
    );
  });

  it(`says what the agent would save on an auto group with more than ${AGENT_HINT_MIN_PAIRS} member pairs`, () => {
    expect(observeGroupAlarms(config, ec2(), memberPairs(AGENT_HINT_MIN_PAIRS)).warnings).toEqual(
      [],
    );
    expect(observeGroupAlarms(config, ec2('members'), memberPairs(40)).warnings).toEqual([]);
    const { alarms, warnings } = observeGroupAlarms(config, ec2(), memberPairs(12));
    expect(alarms).toEqual({ configured: 'auto', inEffect: 'members', alarmCount: 24 });
    expect(warnings).toEqual([
      'node group workers has 12 resize alarm pairs, one per member ($2.40 a month): the CloudWatch agent fragment would replace them with one pair ($0.20); run drpilot agent-config workers on its members',
    ]);
  });

  it('reports Auto Scaling kinds as configured null, in effect members (an Auto Scaling group named "group" too)', () => {
    const asgGroup = { ...ec2(), kind: 'asg' as const };
    const names = wantedMemberAlarms(config, asgGroup, [
      { kind: 'asg', id: 'group' },
      { kind: 'asg', id: 'web-asg' },
    ]).alarms.map((a) => ({ name: a.spec.name, state: 'INSUFFICIENT_DATA' as const }));
    expect(observeGroupAlarms(config, asgGroup, names)).toEqual({
      alarms: { configured: null, inEffect: 'members', alarmCount: 4 },
      warnings: [],
    });
    expect(
      observeGroupAlarms(config, { ...asgGroup, kind: 'eks-managed' }, []).alarms,
    ).toMatchObject({ configured: null, inEffect: 'none' });
  });

  it('observes, from the names alone, the mode the reconciler decided and every alarm it made', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('auto', 'group', 'members') as fc.Arbitrary<AlarmGroup['alarms']>,
        fc.boolean(),
        fc.integer({ min: 1, max: 30 }),
        (mode, listed, n) => {
          const group = ec2(mode);
          const decided = alarmModeInEffect(group, listed);
          const made =
            decided === 'group'
              ? wantedGroupAlarms(config, group).alarms
              : wantedMemberAlarms(config, group, instances(n)).alarms;
          const { alarms } = observeGroupAlarms(
            config,
            group,
            made.map((a) => ({ name: a.spec.name, state: 'OK' })),
          );
          expect(alarms.inEffect).toBe(decided);
          expect(alarms.alarmCount).toBe(made.length);
        },
      ),
    );
  });
});
