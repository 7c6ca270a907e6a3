import { describe, expect, it } from 'vitest';
import type { AppliedRuleset } from '../src/core/applied-state';
import {
  appliedRule,
  checkTarget,
  planRules,
  ruleNameFor,
  rulesetLink,
  rulesetOutcome,
  targetsFor,
  type RulesetRule,
  type RulesetSnapshot,
} from '../src/core/forwarding-rules-plan';
import type { ForwardingTarget } from '../src/core/reconcile-plan';

const OURS = { 'managed-by': 'drpilot' };
const VNET =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/aks/providers/Microsoft.Network/virtualNetworks/aks-vnet';
const RULESET =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/dns/providers/Microsoft.Network/dnsForwardingRulesets/rs';
const DR = targetsFor(['10.1.2.10', '10.1.1.10']);
const PRIMARY = targetsFor(['10.0.1.10']);
const INTERNAL = ruleNameFor('internal.example.com');

function rule(over: Partial<RulesetRule> & Pick<RulesetRule, 'name' | 'domainName'>): RulesetRule {
  return { targets: PRIMARY, state: 'Enabled', metadata: OURS, etag: '"e1"', ...over };
}

function snapshot(rules: RulesetRule[], linkedVnetIds = [VNET]): RulesetSnapshot {
  return { rules, linkedVnetIds };
}

function target(over: Partial<ForwardingTarget> = {}): ForwardingTarget {
  return {
    zones: ['internal.example.com'],
    ips: ['10.1.1.10', '10.1.2.10'],
    region: 'eu-central-1',
    resolverEndpointId: 'rslvr-in-0def',
    ...over,
  };
}

describe('planRules: what happens to each zone, given the ruleset', () => {
  const cases: {
    name: string;
    rules: RulesetRule[];
    zones?: string[];
    expected: unknown[];
  }[] = [
    {
      name: 'an empty ruleset → a rule created per zone, marked as drpilot’s, on port 53',
      rules: [],
      zones: ['corp.example.com', 'internal.example.com'],
      expected: [
        {
          zone: 'corp.example.com',
          action: 'create',
          rule: {
            name: ruleNameFor('corp.example.com'),
            domainName: 'corp.example.com.',
            metadata: { 'managed-by': 'drpilot', 'drpilot-zone': 'corp.example.com' },
          },
        },
        {
          zone: 'internal.example.com',
          action: 'create',
          rule: {
            name: INTERNAL,
            domainName: 'internal.example.com.',
            targets: [
              { ipAddress: '10.1.1.10', port: 53 },
              { ipAddress: '10.1.2.10', port: 53 },
            ],
          },
        },
      ],
    },
    {
      name: 'our rule at other addresses → updated (the rule as read, with its etag)',
      rules: [rule({ name: INTERNAL, domainName: 'internal.example.com.', etag: '"e7"' })],
      expected: [
        {
          action: 'update',
          rule: { name: INTERNAL, etag: '"e7"', targets: PRIMARY },
          targets: DR,
        },
      ],
    },
    {
      name: 'our rule already at the addresses (in another order) → unchanged',
      rules: [
        rule({
          name: INTERNAL,
          domainName: 'Internal.Example.com.',
          targets: [...DR].reverse(),
        }),
      ],
      expected: [{ action: 'unchanged', name: INTERNAL, disabled: false }],
    },
    {
      name: 'our rule someone Disabled → unchanged, and said to be Disabled',
      rules: [
        rule({
          name: INTERNAL,
          domainName: 'internal.example.com.',
          targets: DR,
          state: 'Disabled',
        }),
      ],
      expected: [{ action: 'unchanged', disabled: true }],
    },
    {
      name: 'our mark on a rule of another name for the zone → that rule is updated',
      rules: [rule({ name: 'renamed', domainName: 'internal.example.com.' })],
      expected: [{ action: 'update', rule: { name: 'renamed' } }],
    },
    {
      name: 'someone else’s rule for our zone → conflict, not overwritten',
      rules: [rule({ name: 'legacy', domainName: 'internal.example.com.', metadata: {} })],
      expected: [
        { action: 'conflict', reason: expect.stringMatching(/rule legacy .* is not drpilot's/) },
      ],
    },
    {
      name: 'someone else’s rule beside ours for the zone → conflict',
      rules: [
        rule({ name: INTERNAL, domainName: 'internal.example.com.' }),
        rule({
          name: 'legacy',
          domainName: 'internal.example.com.',
          metadata: { 'managed-by': 'terraform' },
        }),
      ],
      expected: [{ action: 'conflict' }],
    },
    {
      name: 'our rule name taken by a rule for another domain → conflict',
      rules: [rule({ name: INTERNAL, domainName: 'other.example.com.', metadata: {} })],
      expected: [
        {
          action: 'conflict',
          reason: expect.stringMatching(/already exists for other\.example\.com\./),
        },
      ],
    },
    {
      name: 'someone else’s rule for another zone → not in the plan at all',
      rules: [rule({ name: 'onprem', domainName: 'onprem.example.com.', metadata: {} })],
      expected: [{ action: 'create', zone: 'internal.example.com' }],
    },
  ];

  it.each(cases)('$name', ({ rules, zones, expected }) => {
    const plan = planRules(zones ?? ['internal.example.com'], DR, snapshot(rules));
    expect(plan.rules).toHaveLength(expected.length);
    expect(plan.rules).toMatchObject(expected);
  });

  it('reports drpilot’s rules for zones it no longer forwards, and leaves them', () => {
    const plan = planRules(
      ['internal.example.com'],
      DR,
      snapshot([
        rule({ name: 'drpilot-old', domainName: 'old.example.com.' }),
        rule({ name: 'theirs', domainName: 'theirs.example.com.', metadata: {} }),
      ]),
    );
    expect(plan.orphans).toEqual([{ name: 'drpilot-old', domainName: 'old.example.com.' }]);
    expect(plan.rules.map((r) => r.action)).toEqual(['create']);
  });
});

describe('checkTarget: refused before the ruleset is read', () => {
  it.each([
    ['no address', { ips: [] }, /ips: expected at least one/],
    [
      'more than 6 addresses (Azure: 6 target DNS servers per rule)',
      { ips: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7'] },
      /at most 6 target DNS servers/,
    ],
    ['not an address', { ips: ['10.0.0.1 ; x'] }, /expected an IPv4 address/],
    ['a bad zone', { zones: ['bad zone.com'] }, /zone "bad zone.com"/],
    ['no zone', { zones: [] }, /zones: expected at least one/],
  ])('%s', (_name, over, problem) => {
    const checked = checkTarget(target(over));
    expect(checked.ok).toBe(false);
    expect(checked.ok ? [] : checked.problems.join('; ')).toMatch(problem);
  });

  it('normalizes zones (lower case, no trailing dot, once each, sorted) and orders targets', () => {
    expect(
      checkTarget(
        target({ zones: ['Internal.Example.com.', 'corp.example.com', 'internal.example.com'] }),
      ),
    ).toEqual({ ok: true, zones: ['corp.example.com', 'internal.example.com'], targets: DR });
  });
});

describe('rulesetLink', () => {
  it.each([
    ['linked (ids compare case-insensitively)', [VNET.toUpperCase()], true, null],
    [
      'linked to other VNets only',
      ['/subscriptions/x/vnet-b'],
      false,
      /not linked .* \(linked: \/subscriptions\/x\/vnet-b\)/,
    ],
    ['no link at all', [], false, /it has no VNet link/],
  ])('%s', (_name, links, linked, detail) => {
    const result = rulesetLink({ linkedVnetIds: links }, VNET, RULESET);
    expect(result.linked).toBe(linked);
    if (detail) expect(result.detail).toMatch(detail);
    else expect(result.detail).toBeNull();
  });
});

describe('rulesetOutcome and appliedRule', () => {
  const ruleset = (rules: AppliedRuleset['rules']): AppliedRuleset => ({
    id: RULESET,
    linkedToClusterVnet: true,
    rules,
    orphans: [],
  });

  it.each([
    [
      'all unchanged',
      [{ zone: 'a', name: 'r', outcome: 'unchanged', detail: null }],
      null,
      'unchanged',
      null,
    ],
    [
      'one created',
      [{ zone: 'a', name: 'r', outcome: 'created', detail: null }],
      null,
      'applied',
      null,
    ],
    [
      'a conflict refuses the whole, naming it',
      [
        { zone: 'a', name: 'r', outcome: 'created', detail: null },
        { zone: 'b', name: null, outcome: 'refused', detail: 'rule x is not drpilot’s' },
      ],
      null,
      'refused',
      'b: rule x is not drpilot’s',
    ],
    [
      'an unlinked ruleset is said so',
      [{ zone: 'a', name: 'r', outcome: 'updated', detail: null }],
      'not linked',
      'applied',
      'not linked',
    ],
  ] as const)('%s', (_name, rules, link, outcome, reason) => {
    expect(rulesetOutcome(ruleset([...rules]), link)).toEqual({ outcome, reason });
  });

  it('a zone written before a 412 and unchanged after the re-read is reported as written', () => {
    const action = { zone: 'a', action: 'unchanged', name: 'r', disabled: false } as const;
    expect(appliedRule(action, 'created')).toMatchObject({ outcome: 'created' });
    expect(appliedRule(action, null)).toMatchObject({ outcome: 'unchanged' });
  });
});
