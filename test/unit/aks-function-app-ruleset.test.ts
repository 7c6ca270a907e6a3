import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { functionAppRulesetLines } from '../../cli/commands/status';
import { summarizeFunctionApp } from '../../lambdas/core/aks/function-app-state';
import type { AppliedRuleset, AppliedState } from '../../azure-functions/src/core/applied-state';
import { rulesetLink, rulesetOutcome } from '../../azure-functions/src/core/forwarding-rules-plan';

// `drpilot status` shows the private-resolver mode's applied state: the ruleset, whether the
// cluster's VNet is linked, each zone's rule. The applied state is built with the Function app's own
// types and its own outcome rule (what runRulesetReconcile records).

const recorded = JSON.parse(
  readFileSync(new URL('../fixtures/aks-function-app/state-200.json', import.meta.url), 'utf8'),
) as { desired: unknown; applied: AppliedState };

const RULESET_ID =
  '/subscriptions/s/resourceGroups/rg-dns/providers/Microsoft.Network/dnsForwardingRulesets/rs';
const VNET =
  '/subscriptions/s/resourceGroups/rg-aks/providers/Microsoft.Network/virtualNetworks/aks';
const CONTEXT = { recordName: 'main.example.com', activeSide: 'dr' as const, secretName: 's' };

function answerWith(linkedVnetIds: string[]) {
  const link = rulesetLink({ linkedVnetIds }, VNET, RULESET_ID);
  const ruleset: AppliedRuleset = {
    id: RULESET_ID,
    linkedToClusterVnet: link.linked,
    rules: [
      {
        zone: 'corp.example.com',
        name: null,
        outcome: 'refused',
        detail: 'rule onprem is not drpilot’s',
      },
      { zone: 'internal.example.com', name: 'drpilot-internal', outcome: 'updated', detail: null },
    ],
    orphans: [{ name: 'drpilot-old', domainName: 'old.example.com.' }],
  };
  const { outcome, reason } = rulesetOutcome(ruleset, link.detail);
  const applied: AppliedState = {
    ...recorded.applied,
    mode: 'private-resolver',
    outcome,
    reason,
    zones: null,
    ruleset,
  };
  const body = JSON.stringify({ desired: recorded.desired, applied });
  return {
    kind: 'answered',
    url: 'https://acme.azurewebsites.net/api/state',
    status: 200,
    latencyMs: 40,
    detail: body.slice(0, 200),
    body,
  } as const;
}

describe('the AKS Function app’s ruleset in drpilot status', () => {
  it('shows the mode, the ruleset, each zone’s rule and the orphans; a refused zone is warned', () => {
    const warnings: string[] = [];
    const status = summarizeFunctionApp(answerWith([VNET]), CONTEXT, warnings);

    expect(status.applied).toMatchObject({
      mode: 'private-resolver',
      outcome: 'refused',
      ruleset: { id: RULESET_ID, linkedToClusterVnet: true },
    });
    expect(functionAppRulesetLines(status.applied?.ruleset ?? null)).toEqual([
      `ruleset ${RULESET_ID} linked to the cluster's VNet`,
      '  corp.example.com: refused (rule onprem is not drpilot’s)',
      '  internal.example.com: rule drpilot-internal updated',
      '  old.example.com.: rule drpilot-old no longer forwarded, left as it is',
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(/last reconcile .* refused: corp\.example\.com: rule onprem is not/),
    ]);
  });

  it('says when the ruleset is not linked to the cluster’s VNet', () => {
    const warnings: string[] = [];
    const status = summarizeFunctionApp(answerWith([]), CONTEXT, warnings);

    expect(functionAppRulesetLines(status.applied?.ruleset ?? null)[0]).toBe(
      `ruleset ${RULESET_ID} NOT linked to the cluster's VNet: AKS does not use its rules`,
    );
    expect(warnings.join('\n')).toContain(`is not linked to the cluster's VNet ${VNET}`);
  });

  it('a coredns-mode answer (or one from an older app) has no ruleset and no ruleset lines', () => {
    const body = JSON.stringify(recorded);
    const status = summarizeFunctionApp(
      { kind: 'answered', url: 'https://a/api/state', status: 200, latencyMs: 1, detail: '', body },
      CONTEXT,
      [],
    );
    expect(status.applied).toMatchObject({ mode: null, ruleset: null, outcome: 'unchanged' });
    expect(functionAppRulesetLines(status.applied?.ruleset ?? null)).toEqual([]);
  });
});
