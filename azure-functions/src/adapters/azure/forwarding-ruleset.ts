import {
  DnsResolverManagementClient,
  type DnsResolverManagementClientOptionalParams,
  type ForwardingRule,
} from '@azure/arm-dnsresolver';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { ArmResourceId } from '../../core/arm-ids';
import type {
  ForwardingRuleset,
  NewRule,
  RuleWriteOutcome,
  RulesetRule,
  RulesetSnapshot,
  TargetDnsServer,
} from '../../core/forwarding-rules-plan';

/**
 * The `ForwardingRuleset` port over @azure/arm-dnsresolver 1.1.0 (API version 2022-07-01): it
 * reads the ruleset's rules and VNet links and writes one rule at a time, conditionally — it
 * decides nothing. A 412 (the etag moved, or a rule of that name appeared) and a 404 (the rule is
 * gone) are answers for the reconcile to re-read on; anything else throws. A 429 never reaches
 * here: the SDK's pipeline waits for its `Retry-After` and sends the request again
 * (@azure/core-rest-pipeline's throttling retry strategy, 429 and 503).
 */
export class ArmForwardingRuleset implements ForwardingRuleset {
  readonly id: string;

  constructor(
    private readonly client: Pick<
      DnsResolverManagementClient,
      'forwardingRules' | 'virtualNetworkLinks'
    >,
    private readonly ruleset: ArmResourceId,
  ) {
    this.id = ruleset.id;
  }

  async read(): Promise<RulesetSnapshot> {
    const { resourceGroup, name } = this.ruleset;
    const rules: RulesetRule[] = [];
    for await (const rule of this.client.forwardingRules.list(resourceGroup, name)) {
      rules.push(fromArm(rule));
    }
    const linkedVnetIds: string[] = [];
    for await (const link of this.client.virtualNetworkLinks.list(resourceGroup, name)) {
      if (link.virtualNetwork?.id) linkedVnetIds.push(link.virtualNetwork.id);
    }
    return { rules, linkedVnetIds };
  }

  create(rule: NewRule): Promise<RuleWriteOutcome> {
    return this.put(
      rule.name,
      {
        domainName: rule.domainName,
        targetDnsServers: rule.targets,
        metadata: rule.metadata,
        forwardingRuleState: 'Enabled',
      },
      { ifNoneMatch: '*' },
    );
  }

  replaceTargets(rule: RulesetRule, targets: TargetDnsServer[]): Promise<RuleWriteOutcome> {
    return this.put(
      rule.name,
      {
        domainName: rule.domainName,
        targetDnsServers: targets,
        metadata: rule.metadata,
        forwardingRuleState: rule.state,
      },
      { ifMatch: rule.etag },
    );
  }

  private async put(
    ruleName: string,
    body: ForwardingRule,
    condition: { ifMatch: string } | { ifNoneMatch: '*' },
  ): Promise<RuleWriteOutcome> {
    try {
      const written = await this.client.forwardingRules.createOrUpdate(
        this.ruleset.resourceGroup,
        this.ruleset.name,
        ruleName,
        body,
        condition,
      );
      return { outcome: 'written', etag: written.etag ?? '' };
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 412) return { outcome: 'precondition-failed' };
      if (status === 404) return { outcome: 'not-found' };
      throw error;
    }
  }
}

function fromArm(rule: ForwardingRule): RulesetRule {
  return {
    name: rule.name ?? '',
    domainName: rule.domainName,
    targets: (rule.targetDnsServers ?? []).map((target) => ({
      ipAddress: target.ipAddress,
      port: target.port ?? 53,
    })),
    state: rule.forwardingRuleState ?? 'Enabled',
    metadata: { ...(rule.metadata ?? {}) },
    etag: rule.etag ?? '',
  };
}

/**
 * The ruleset reached with DefaultAzureCredential (the app's managed identity in Azure). Tests
 * hand in a static credential and the `endpoint` of a local ARM fake.
 */
export function armForwardingRuleset(
  ruleset: ArmResourceId,
  options: {
    credential?: TokenCredential;
    client?: DnsResolverManagementClientOptionalParams;
  } = {},
): ArmForwardingRuleset {
  const client = new DnsResolverManagementClient(
    options.credential ?? new DefaultAzureCredential(),
    ruleset.subscriptionId,
    options.client,
  );
  return new ArmForwardingRuleset(client, ruleset);
}
