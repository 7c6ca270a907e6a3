import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alarmModeInEffect,
  GROUP_TAG_KEY,
  MEMBER_ALARM_WINDOWS,
  planMemberAlarms,
  wantedGroupAlarms,
  wantedMemberAlarms,
  type AlarmGroup,
  type AlarmMember,
  type ExistingMetricAlarm,
  type MemberAlarmsInput,
  type MemberAlarmsPlan,
  type MetricAlarmSpec,
} from '../../lambdas/core/resize/member-alarms';
import {
  parseResizeAlarmName,
  resizeAlarmName,
  resizeAlarmPrefix,
  resizeGroupAlarmPrefix,
} from '../../lambdas/core/shared-names';

const config = { name: 'acme' };
const cpuGroup: AlarmGroup = { id: 'workers', metric: 'cpu', scaleUpAt: 75, scaleDownAt: 30 };
const memoryGroup: AlarmGroup = { id: 'web', metric: 'memory', scaleUpAt: 80, scaleDownAt: 35 };
const instance = (id: string): AlarmMember => ({ kind: 'instance', id });
const asg = (id: string): AlarmMember => ({ kind: 'asg', id });

/** The alarm as CloudWatch would hold it after drpilot put it. */
const held = (spec: MetricAlarmSpec, actions: string[] = []): ExistingMetricAlarm => ({
  ...spec,
  actions,
});

function existingFor(
  group: AlarmGroup,
  members: AlarmMember[],
  change: Partial<ExistingMetricAlarm> = {},
): ExistingMetricAlarm[] {
  return wantedMemberAlarms(config, group, members).alarms.map(({ spec }) => ({
    ...held(spec),
    ...change,
  }));
}

function plan(
  groups: MemberAlarmsInput['groups'],
  existing: ExistingMetricAlarm[] = [],
  maxPuts = 100,
): MemberAlarmsPlan {
  return planMemberAlarms({ config, groups, existing, maxPuts });
}

/** What CloudWatch holds after the plan is carried out. */
function apply(existing: readonly ExistingMetricAlarm[], planned: MemberAlarmsPlan) {
  const byName = new Map(existing.map((alarm) => [alarm.name, alarm]));
  for (const name of [...planned.orphans, ...planned.groups.flatMap((g) => g.delete)])
    byName.delete(name);
  for (const put of planned.groups.flatMap((g) => g.put)) byName.set(put.spec.name, held(put.spec));
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

describe('resize alarm names', () => {
  it.each([
    ['workers', 'up', 'i-0123456789abcdef0', 'acme-drpilot-resize.workers.up.i-0123456789abcdef0'],
    ['scale-up-workers', 'down', 'i-1', 'acme-drpilot-resize.scale-up-workers.down.i-1'],
    ['web', 'up', 'eks-web-2ac6.7f1e', 'acme-drpilot-resize.web.up.eks-web-2ac6.7f1e'],
  ] as const)('%s %s %s ⇄ %s', (groupId, direction, memberId, name) => {
    expect(resizeAlarmName(config, groupId, direction, memberId)).toBe(name);
    expect(parseResizeAlarmName(config, name)).toEqual({ groupId, direction, memberId });
    expect(name.startsWith(resizeGroupAlarmPrefix(config, groupId))).toBe(true);
    expect(name.startsWith(resizeAlarmPrefix(config))).toBe(true);
  });

  it("no group's prefix is a prefix of another group's", () => {
    expect(resizeGroupAlarmPrefix(config, 'a')).toBe('acme-drpilot-resize.a.');
    const name = resizeAlarmName(config, 'a-up', 'up', 'i-1')!;
    expect(name.startsWith(resizeGroupAlarmPrefix(config, 'a'))).toBe(false);
    expect(parseResizeAlarmName(config, name)?.groupId).toBe('a-up');
  });

  it.each([
    ['another deployment', 'other-drpilot-resize.workers.up.i-1'],
    ['the resize function', 'acme-drpilot-resize-failures'],
    ['a bare prefix', 'acme-drpilot-resize.'],
    ['no member', 'acme-drpilot-resize.workers.up.'],
    ['no direction', 'acme-drpilot-resize.workers'],
    ['another direction', 'acme-drpilot-resize.workers.sideways.i-1'],
    ['an id the config cannot have', 'acme-drpilot-resize.Workers.up.i-1'],
    ['more than 255 characters', `acme-drpilot-resize.workers.up.${'a'.repeat(230)}`],
  ])('parses nothing from %s', (_what, name) => {
    expect(parseResizeAlarmName(config, name)).toBeNull();
  });

  it("gives no name beyond CloudWatch's 255 characters", () => {
    const fits = 255 - 'acme-drpilot-resize.workers.down.'.length;
    expect(resizeAlarmName(config, 'workers', 'down', 'a'.repeat(fits))).toHaveLength(255);
    expect(resizeAlarmName(config, 'workers', 'down', 'a'.repeat(fits + 1))).toBeNull();
  });
});

describe('wantedMemberAlarms', () => {
  it('watches each instance’s CPUUtilization in AWS/EC2, up and down', () => {
    const { alarms, skipped } = wantedMemberAlarms(config, cpuGroup, [
      instance('i-2'),
      instance('i-1'),
    ]);
    expect(skipped).toEqual([]);
    expect(alarms.map((a) => a.spec.name)).toEqual([
      'acme-drpilot-resize.workers.up.i-1',
      'acme-drpilot-resize.workers.down.i-1',
      'acme-drpilot-resize.workers.up.i-2',
      'acme-drpilot-resize.workers.down.i-2',
    ]);
    const [up, down] = alarms;
    expect(up).toMatchObject({
      direction: 'up',
      tags: { [GROUP_TAG_KEY]: 'workers' },
      spec: {
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensions: [{ name: 'InstanceId', value: 'i-1' }],
        statistic: 'Average',
        threshold: 75,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
        ...MEMBER_ALARM_WINDOWS.up,
      },
    });
    expect(down).toMatchObject({
      direction: 'down',
      spec: {
        threshold: 30,
        comparisonOperator: 'LessThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
        ...MEMBER_ALARM_WINDOWS.down,
      },
    });
    expect(up!.spec.description).toContain('CPUUtilization of instance i-1 ≥ 75%');
  });

  it('watches an Auto Scaling group’s memory from the CloudWatch agent', () => {
    const { alarms } = wantedMemberAlarms(config, memoryGroup, [asg('web-asg')]);
    expect(alarms.map((a) => a.spec)).toEqual([
      expect.objectContaining({
        namespace: 'CWAgent',
        metricName: 'mem_used_percent',
        dimensions: [{ name: 'AutoScalingGroupName', value: 'web-asg' }],
        threshold: 80,
      }),
      expect.objectContaining({ threshold: 35 }),
    ]);
  });

  it('the down alarm waits longer than the up alarm', () => {
    const span = (w: { periodSeconds: number; evaluationPeriods: number }) =>
      w.periodSeconds * w.evaluationPeriods;
    expect(span(MEMBER_ALARM_WINDOWS.down)).toBeGreaterThan(span(MEMBER_ALARM_WINDOWS.up));
  });

  it('skips a member whose alarm names would be too long, with the reason', () => {
    const long = `eks-${'n'.repeat(230)}`;
    const { alarms, skipped } = wantedMemberAlarms(config, memoryGroup, [asg(long), asg('ok')]);
    expect(alarms.map((a) => a.spec.dimensions[0]!.value)).toEqual(['ok', 'ok']);
    expect(skipped).toEqual([{ memberId: long, reason: expect.stringContaining('255') }]);
  });
});

describe('planMemberAlarms', () => {
  it('creates both alarms of every new member, up alarms first', () => {
    const planned = plan([{ group: cpuGroup, members: [instance('i-1'), instance('i-2')] }]);
    expect(planned.groups[0]!.put.map((p) => [p.spec.name, p.reason])).toEqual([
      ['acme-drpilot-resize.workers.up.i-1', 'missing'],
      ['acme-drpilot-resize.workers.up.i-2', 'missing'],
      ['acme-drpilot-resize.workers.down.i-1', 'missing'],
      ['acme-drpilot-resize.workers.down.i-2', 'missing'],
    ]);
    expect(planned.groups[0]!.delete).toEqual([]);
  });

  it('has nothing to do when the alarms match the members', () => {
    const members = [instance('i-1'), instance('i-2')];
    const planned = plan([{ group: cpuGroup, members }], existingFor(cpuGroup, members));
    expect(planned).toEqual({
      groups: [
        {
          id: 'workers',
          mode: 'members',
          put: [],
          deferred: [],
          delete: [],
          unchanged: expect.any(Array),
          skipped: [],
        },
      ],
      orphans: [],
    });
    expect(planned.groups[0]!.unchanged).toHaveLength(4);
  });

  it('deletes the alarms of a member that is gone', () => {
    const existing = existingFor(cpuGroup, [instance('i-1'), instance('i-gone')]);
    const planned = plan([{ group: cpuGroup, members: [instance('i-1')] }], existing);
    expect(planned.groups[0]!.delete).toEqual([
      'acme-drpilot-resize.workers.down.i-gone',
      'acme-drpilot-resize.workers.up.i-gone',
    ]);
    expect(planned.groups[0]!.put).toEqual([]);
  });

  it.each([
    ['a threshold', { threshold: 90 }, 'threshold'],
    ['a metric', { metricName: 'NetworkIn' }, 'metricName'],
    ['dimensions', { dimensions: [{ name: 'InstanceId', value: 'i-other' }] }, 'dimensions'],
    [
      'an extra dimension',
      {
        dimensions: [
          { name: 'InstanceId', value: 'i-1' },
          { name: 'host', value: 'h' },
        ],
      },
      'dimensions',
    ],
    ['a period', { periodSeconds: 60 }, 'periodSeconds'],
    ['evaluation periods', { evaluationPeriods: 1 }, 'evaluationPeriods'],
    ['missing-data handling', { treatMissingData: 'breaching' }, 'treatMissingData'],
    ['an SNS action', { actions: ['arn:aws:sns:eu-west-1:123456789012:pager'] }, 'actions'],
  ] as const)('puts back an alarm whose %s drifted', (_what, change, field) => {
    const members = [instance('i-1')];
    const existing = existingFor(cpuGroup, members, change);
    const { put, unchanged } = plan([{ group: cpuGroup, members }], existing).groups[0]!;
    expect(put.map((p) => p.reason)).toEqual(['drifted', 'drifted']);
    expect(put[0]!.changed).toContain(field);
    expect(put[0]!.spec).toEqual(wantedMemberAlarms(config, cpuGroup, members).alarms[0]!.spec);
    expect(unchanged).toEqual([]);
  });

  it('puts back only the alarm that drifted when the other is intact', () => {
    const members = [instance('i-1')];
    const [up, down] = existingFor(cpuGroup, members);
    const planned = plan([{ group: cpuGroup, members }], [{ ...up!, threshold: 70 }, down!]);
    expect(planned.groups[0]!.put.map((p) => [p.spec.name, p.spec.threshold])).toEqual([
      ['acme-drpilot-resize.workers.up.i-1', 75],
    ]);
    expect(planned.groups[0]!.unchanged).toEqual(['acme-drpilot-resize.workers.down.i-1']);
  });

  it('follows a changed config: scaleUpAt and the metric', () => {
    const members = [instance('i-1')];
    const existing = existingFor(cpuGroup, members);
    const changed = { ...cpuGroup, metric: 'memory' as const, scaleUpAt: 85 };
    const { put } = plan([{ group: changed, members }], existing).groups[0]!;
    expect(put.map((p) => [p.spec.metricName, p.spec.threshold])).toEqual([
      ['mem_used_percent', 85],
      ['mem_used_percent', 30],
    ]);
  });

  it('leaves the alarms of a group whose members could not be read alone', () => {
    const existing = existingFor(cpuGroup, [instance('i-1')]);
    const planned = plan([{ group: cpuGroup, members: null }], existing);
    expect(planned.groups[0]).toMatchObject({ put: [], delete: [], deferred: [] });
    expect(planned.groups[0]!.unchanged).toHaveLength(2);
    expect(planned.orphans).toEqual([]);
  });

  it('deletes the alarms of groups not configured here, and nothing it cannot parse', () => {
    const gone = existingFor({ ...cpuGroup, id: 'retired' }, [instance('i-9')]);
    const unparseable = held({ ...gone[0]!, name: 'acme-drpilot-resize.notes' });
    const planned = plan(
      [{ group: cpuGroup, members: [] }],
      [...gone, unparseable, ...existingFor(cpuGroup, [instance('i-1')])],
    );
    expect(planned.orphans).toEqual([
      'acme-drpilot-resize.retired.down.i-9',
      'acme-drpilot-resize.retired.up.i-9',
    ]);
    expect(planned.groups[0]!.delete).toHaveLength(2);
    expect(apply([unparseable], planned)).toEqual([unparseable]);
  });

  it('puts at most maxPuts: missing before drifted, up before down; the rest is deferred', () => {
    const members = [instance('i-1'), instance('i-2'), instance('i-3')];
    const existing = existingFor(cpuGroup, [instance('i-3')], { threshold: 1 });
    const planned = plan(
      [
        { group: cpuGroup, members },
        { group: memoryGroup, members: [asg('web-asg')] },
      ],
      existing,
      3,
    );
    const [workers, web] = planned.groups;
    expect(workers!.put.map((p) => p.spec.name)).toEqual([
      'acme-drpilot-resize.workers.up.i-1',
      'acme-drpilot-resize.workers.up.i-2',
    ]);
    expect(web!.put.map((p) => p.spec.name)).toEqual(['acme-drpilot-resize.web.up.web-asg']);
    expect(workers!.deferred.map((p) => [p.spec.name, p.reason])).toEqual([
      ['acme-drpilot-resize.workers.down.i-1', 'missing'],
      ['acme-drpilot-resize.workers.down.i-2', 'missing'],
      ['acme-drpilot-resize.workers.up.i-3', 'drifted'],
      ['acme-drpilot-resize.workers.down.i-3', 'drifted'],
    ]);
    expect(web!.deferred.map((p) => p.spec.name)).toEqual(['acme-drpilot-resize.web.down.web-asg']);
  });

  it('never defers a deletion', () => {
    const existing = existingFor(cpuGroup, [instance('i-1'), instance('i-2')]);
    const planned = plan([{ group: cpuGroup, members: [instance('i-3')] }], existing, 0);
    expect(planned.groups[0]!.delete).toHaveLength(4);
    expect(planned.groups[0]!.put).toEqual([]);
    expect(planned.groups[0]!.deferred).toHaveLength(2);
  });
});

describe('alarms mode: one pair per group on the agent metric', () => {
  const members = [instance('i-1'), instance('i-2')];
  const groupPair = [
    'acme-drpilot-resize.workers.down.group',
    'acme-drpilot-resize.workers.up.group',
  ];
  const names = (alarms: readonly ExistingMetricAlarm[]) => alarms.map((a) => a.name).sort();

  it.each([
    ['members', false, 'members'],
    ['members', true, 'members'],
    ['group', false, 'group'],
    ['group', true, 'group'],
    ['auto', false, 'members'],
    ['auto', true, 'group'],
    [undefined, true, 'group'],
    [undefined, undefined, 'members'],
  ] as const)('alarms %s with the group metric listed=%s: %s', (alarms, listed, mode) => {
    expect(alarmModeInEffect(alarms ? { alarms } : {}, listed)).toBe(mode);
  });

  it('watches the maximum of the DrpilotGroup rollup, named <group>.<direction>.group', () => {
    const { alarms, skipped } = wantedGroupAlarms(config, { ...memoryGroup, id: 'workers' });
    expect(skipped).toEqual([]);
    expect(alarms.map((a) => a.spec)).toEqual([
      expect.objectContaining({
        name: 'acme-drpilot-resize.workers.up.group',
        namespace: 'CWAgent',
        metricName: 'mem_used_percent',
        dimensions: [{ name: 'DrpilotGroup', value: 'workers' }],
        statistic: 'Maximum',
        threshold: 80,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        ...MEMBER_ALARM_WINDOWS.up,
      }),
      expect.objectContaining({
        name: 'acme-drpilot-resize.workers.down.group',
        statistic: 'Maximum',
        threshold: 35,
        ...MEMBER_ALARM_WINDOWS.down,
      }),
    ]);
    expect(wantedGroupAlarms(config, cpuGroup).alarms[0]!.spec.metricName).toBe('cpu_usage_active');
    // The resize function maps the name back to its group as it does a member alarm's.
    expect(parseResizeAlarmName(config, 'acme-drpilot-resize.workers.up.group')).toEqual({
      groupId: 'workers',
      direction: 'up',
      memberId: 'group',
    });
  });

  it('auto: one pair when the metric is listed, a pair per member when not', () => {
    const auto = { ...cpuGroup, alarms: 'auto' as const };
    const listed = plan([{ group: auto, members, groupMetricListed: true }]).groups[0]!;
    expect(listed.mode).toBe('group');
    expect(listed.put.map((p) => p.spec.name).sort()).toEqual(groupPair);
    const unlisted = plan([{ group: auto, members, groupMetricListed: false }]).groups[0]!;
    expect(unlisted.mode).toBe('members');
    expect(unlisted.put).toHaveLength(4);
  });

  it('the switch to the group metric deletes the member pairs, and the way back the group pair', () => {
    const auto = { ...cpuGroup, alarms: 'auto' as const };
    const perMember = existingFor(cpuGroup, members);
    const toGroup = plan([{ group: auto, members, groupMetricListed: true }], perMember);
    expect(toGroup.groups[0]!.delete).toEqual(names(perMember));
    const afterSwitch = apply(perMember, toGroup);
    expect(names(afterSwitch)).toEqual(groupPair);
    expect(
      plan([{ group: auto, members, groupMetricListed: true }], afterSwitch).groups[0],
    ).toMatchObject({ put: [], delete: [], unchanged: [...groupPair].reverse() });

    const back = plan([{ group: auto, members, groupMetricListed: false }], afterSwitch);
    expect(back.groups[0]!.delete).toEqual(groupPair);
    expect(names(apply(afterSwitch, back))).toEqual(names(perMember));
  });

  it('members and group ignore the observed metric; unread members leave the pair alone', () => {
    const listed = { members, groupMetricListed: true };
    expect(
      plan([{ group: { ...cpuGroup, alarms: 'members' }, ...listed }]).groups[0]!.put,
    ).toHaveLength(4);
    expect(
      plan([{ group: { ...cpuGroup, alarms: 'group' }, members, groupMetricListed: false }])
        .groups[0]!.put,
    ).toHaveLength(2);
    const existing = wantedGroupAlarms(config, cpuGroup).alarms.map(({ spec }) => held(spec));
    expect(
      plan([{ group: { ...cpuGroup, alarms: 'group' }, members: null }], existing).groups[0],
    ).toMatchObject({ mode: null, put: [], delete: [], unchanged: groupPair });
  });
});

describe('planMemberAlarms properties', () => {
  const RUNS = { numRuns: 300 };
  const GROUP_IDS = ['a', 'a-up', 'up', 'workers', 'down-1'];
  const MEMBER_IDS = ['i-1', 'i-2', 'i-3', 'i-0abc', 'web.asg', 'eks-ng-1'];

  const group = (id: string) =>
    fc.record({
      id: fc.constant(id),
      metric: fc.constantFrom('cpu' as const, 'memory' as const),
      scaleUpAt: fc.integer({ min: 50, max: 100 }),
      scaleDownAt: fc.integer({ min: 0, max: 49 }),
    });
  const members = fc
    .tuple(fc.constantFrom('instance' as const, 'asg' as const), fc.subarray(MEMBER_IDS))
    .map(([kind, ids]) => ids.map((id): AlarmMember => ({ kind, id })));
  const drift = fc.oneof(
    fc.constant({}),
    fc.constant({}),
    fc.record({ threshold: fc.integer({ min: 0, max: 100 }) }),
    fc.constant({ actions: ['arn:aws:sns:eu-west-1:123456789012:t'] }),
    fc.constant({ description: 'edited by hand' }),
    fc.constant({ statistic: 'Maximum' }),
  );

  /** A region: some configured groups (some unreadable), and whatever CloudWatch holds. */
  const region = fc
    .subarray(GROUP_IDS, { minLength: 1 })
    .chain((ids) => {
      const configured = fc.tuple(
        ...ids.map((id) =>
          fc.record({ group: group(id), members: fc.option(members, { freq: 5 }) }),
        ),
      );
      // Alarms for any group id (configured or not), as some earlier config and members made them.
      const held = fc
        .array(
          fc.record({
            group: fc.constantFrom(...GROUP_IDS).chain(group),
            members,
            drift,
          }),
          { maxLength: 4 },
        )
        .map((sets) => {
          const byName = new Map<string, ExistingMetricAlarm>();
          for (const set of sets) {
            for (const alarm of existingFor(set.group, set.members, set.drift))
              byName.set(alarm.name, alarm);
          }
          return [...byName.values()];
        });
      const foreign = fc.subarray([
        'acme-drpilot-resize.notes',
        'acme-drpilot-resize.workers.sideways.i-1',
      ]);
      return fc.record({ groups: configured, held, foreign });
    })
    .map(({ groups, held: alarms, foreign }) => ({
      groups,
      existing: [
        ...alarms,
        ...foreign.map((name) => ({ ...existingFor(cpuGroup, [instance('i-1')])[0]!, name })),
      ],
    }));

  it('applying the plan yields exactly the wanted alarms, and leaves the rest alone', () => {
    fc.assert(
      fc.property(region, ({ groups, existing }) => {
        const result = apply(existing, plan(groups, existing));
        const expected = new Map<string, ExistingMetricAlarm>();
        for (const alarm of existing) {
          const parsed = parseResizeAlarmName(config, alarm.name);
          const owner = groups.find((g) => g.group.id === parsed?.groupId);
          // Not drpilot's, or of a group whose members are unknown: untouched.
          if (!parsed || (owner && owner.members === null)) expected.set(alarm.name, alarm);
        }
        for (const { group: g, members: m } of groups) {
          if (m === null) continue;
          for (const member of m) {
            for (const direction of ['up', 'down'] as const) {
              const name = resizeAlarmName(config, g.id, direction, member.id)!;
              const spec = wantedMemberAlarms(config, g, [member]).alarms.find(
                (a) => a.spec.name === name,
              )!.spec;
              expected.set(name, held(spec));
            }
          }
        }
        expect(result).toEqual([...expected.values()].sort((a, b) => a.name.localeCompare(b.name)));
      }),
      RUNS,
    );
  });

  it('is idempotent: planning again after applying finds nothing to do', () => {
    fc.assert(
      fc.property(region, ({ groups, existing }) => {
        const after = apply(existing, plan(groups, existing));
        const again = plan(groups, after);
        expect(again.orphans).toEqual([]);
        for (const g of again.groups) {
          expect({ put: g.put, delete: g.delete, deferred: g.deferred }).toEqual({
            put: [],
            delete: [],
            deferred: [],
          });
        }
      }),
      RUNS,
    );
  });

  it('with a budget, every run puts at most maxPuts and the runs converge to the same alarms', () => {
    fc.assert(
      fc.property(region, fc.integer({ min: 1, max: 5 }), ({ groups, existing }, maxPuts) => {
        const unlimited = apply(existing, plan(groups, existing));
        const needed = plan(groups, existing).groups.reduce((n, g) => n + g.put.length, 0);
        let current = existing;
        for (let run = 0; run < Math.max(1, Math.ceil(needed / maxPuts)); run++) {
          const planned = plan(groups, current, maxPuts);
          expect(planned.groups.reduce((n, g) => n + g.put.length, 0)).toBeLessThanOrEqual(maxPuts);
          current = apply(current, planned);
        }
        expect(current).toEqual(unlimited);
      }),
      RUNS,
    );
  });
});
