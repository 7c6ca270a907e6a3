import { createHash } from 'node:crypto';
import { sameArmId } from './arm-ids';
import { checkResolverIp, normalizeZone } from './dns-names';
import type { ForwardingTarget } from './reconcile-plan';

/**
 * The `private-resolver` mode: one forwarding rule per zone in the configured Azure DNS forwarding
 * ruleset, sending the zone to the active region's ATTACHED Route 53 Resolver inbound addresses on
 * port 53. What Azure documents, and what follows from it:
 *
 * - A rule is `{ domainName, targetDnsServers: [{ ipAddress, port }], forwardingRuleState,
 *   metadata }`, `domainName` fully qualified with its trailing dot (`contoso.com.`), `metadata` a
 *   string map, and every rule carries an `etag` (Azure/azure-rest-api-specs
 *   specification/dnsresolver/…/2022-07-01/dnsresolver.json, `ForwardingRule`; example
 *   ForwardingRule_Put.json). At most 6 target DNS servers per rule (Azure DNS limits,
 *   "DNS private resolver": "Target DNS servers per forwarding rule | 6").
 * - `If-Match: <etag>` makes a write conditional ("Specify the last-seen ETag value to prevent
 *   accidentally overwriting any concurrent changes"), `If-None-Match: *` creates without ever
 *   replacing ("Set to '*' to allow a new resource to be created, but to prevent updating an
 *   existing resource"); a failed condition is `412 Precondition Failed` (Microsoft REST API
 *   Guidelines, azure/Guidelines.md "Conditional requests"). On a 412 the ruleset is read again and
 *   the decision made again.
 * - VNets linked to the ruleset consult it, and only when they use Azure-provided DNS; the longest
 *   matching suffix wins ("What is Azure DNS Private Resolver?", the query process). So a ruleset
 *   that is not linked to the cluster's VNet changes nothing for AKS: that is reported.
 *
 * drpilot's rules are marked with metadata `managed-by: drpilot` (and the zone); a rule without it
 * is someone else's and is never written, whatever its name or domain. Of drpilot's own rules only
 * the target addresses ever change (a PATCH of `targetDnsServers` alone): the domain, the state
 * someone may have set (Disabled) and the metadata stay. Rules for zones drpilot no longer
 * forwards are reported, not deleted.
 */

export const RULE_METADATA_OWNER_KEY = 'managed-by';
export const RULE_METADATA_OWNER = 'drpilot';
export const RULE_METADATA_ZONE_KEY = 'drpilot-zone';
export const RULE_TARGET_PORT = 53;
/** Azure DNS limits, "DNS private resolver": target DNS servers per forwarding rule. */
export const MAX_TARGETS_PER_RULE = 6;
// Forwarding rule names: letters, digits, underscores and hyphens, starting and ending with a letter
// or digit, at most 80 characters (what the ruleset API accepts; drpilot's names keep well inside).
const MAX_RULE_NAME = 80;

export interface TargetDnsServer {
  ipAddress: string;
  port: number;
}

/** A forwarding rule as read from the ruleset. */
export interface RulesetRule {
  name: string;
  /** As Azure holds it: `internal.example.com.` */
  domainName: string;
  targets: TargetDnsServer[];
  /** `Enabled` or `Disabled`. */
  state: string;
  metadata: Record<string, string>;
  etag: string;
}

export interface RulesetSnapshot {
  rules: RulesetRule[];
  /** The ids of the VNets linked to the ruleset (its virtualNetworkLinks). */
  linkedVnetIds: string[];
}

export type RuleWriteOutcome =
  | { outcome: 'written'; etag: string }
  /** 412: the rule changed (If-Match) or exists (If-None-Match) since it was read. */
  | { outcome: 'precondition-failed' }
  /** 404: the rule is gone since it was read. */
  | { outcome: 'not-found' };

/** The port through which the reconcile reads and changes the ruleset (adapters/azure). */
export interface ForwardingRuleset {
  /** The ruleset's id, for reports. */
  readonly id: string;
  read(): Promise<RulesetSnapshot>;
  /** Creates the rule, only if no rule of that name exists (If-None-Match: *). */
  create(rule: {
    name: string;
    domainName: string;
    targets: TargetDnsServer[];
    metadata: Record<string, string>;
  }): Promise<RuleWriteOutcome>;
  /** Replaces the rule's target servers, and nothing else, if it is still at `etag` (If-Match). */
  updateTargets(name: string, targets: TargetDnsServer[], etag: string): Promise<RuleWriteOutcome>;
}

export function fqdn(zone: string): string {
  return `${zone.replace(/\.$/, '')}.`;
}

function zoneOf(domainName: string): string {
  return domainName.trim().toLowerCase().replace(/\.$/, '');
}

export function isDrpilotRule(rule: Pick<RulesetRule, 'metadata'>): boolean {
  return rule.metadata[RULE_METADATA_OWNER_KEY] === RULE_METADATA_OWNER;
}

/** drpilot's rule name for a zone: readable, and distinct for zones whose labels read alike. */
export function ruleNameFor(zone: string): string {
  const hash = createHash('sha256').update(zone).digest('hex').slice(0, 8);
  const slug = zone.replace(/\./g, '-');
  const room = MAX_RULE_NAME - 'drpilot--'.length - hash.length;
  return `drpilot-${slug.slice(0, room).replace(/-+$/, '')}-${hash}`;
}

export function targetsFor(ips: readonly string[]): TargetDnsServer[] {
  return [...new Set(ips)]
    .sort((a, b) => ipValue(a) - ipValue(b))
    .map((ipAddress) => ({ ipAddress, port: RULE_TARGET_PORT }));
}

function sameTargets(a: readonly TargetDnsServer[], b: readonly TargetDnsServer[]): boolean {
  const key = (targets: readonly TargetDnsServer[]) =>
    targets
      .map((t) => `${t.ipAddress}:${t.port}`)
      .sort()
      .join(' ');
  return key(a) === key(b);
}

export type RuleAction =
  | {
      zone: string;
      action: 'create';
      name: string;
      domainName: string;
      targets: TargetDnsServer[];
      metadata: Record<string, string>;
    }
  | {
      zone: string;
      action: 'update';
      name: string;
      etag: string;
      from: TargetDnsServer[];
      targets: TargetDnsServer[];
    }
  | { zone: string; action: 'unchanged'; name: string; disabled: boolean }
  | { zone: string; action: 'refuse'; reason: string };

export type RulesetDecision =
  | { action: 'refuse'; problems: string[] }
  | {
      action: 'apply';
      rules: RuleAction[];
      /** drpilot's rules for zones it no longer forwards: reported, left as they are. */
      orphans: { name: string; domainName: string }[];
    };

/** What to do to the ruleset, rule by rule, given what it holds now. */
export function planRules(target: ForwardingTarget, snapshot: RulesetSnapshot): RulesetDecision {
  const problems: string[] = [];
  if (target.ips.length === 0) problems.push('ips: expected at least one resolver address');
  if (target.ips.length > MAX_TARGETS_PER_RULE) {
    problems.push(
      `ips: a forwarding rule takes at most ${MAX_TARGETS_PER_RULE} target DNS servers (Azure DNS limits), ${target.ips.length} given`,
    );
  }
  for (const ip of target.ips) {
    const problem = checkResolverIp(ip);
    if (problem) problems.push(`ip "${ip}": ${problem}`);
  }
  const zones: string[] = [];
  for (const raw of target.zones) {
    const checked = normalizeZone(raw);
    if ('error' in checked) problems.push(`zone "${raw}": ${checked.error}`);
    else if (!zones.includes(checked.zone)) zones.push(checked.zone);
  }
  if (zones.length === 0 && problems.length === 0) problems.push('zones: expected at least one');
  if (problems.length > 0) return { action: 'refuse', problems };

  const targets = targetsFor(target.ips);
  const rules: RuleAction[] = [];
  for (const zone of [...zones].sort()) {
    const forZone = snapshot.rules.filter((rule) => zoneOf(rule.domainName) === zone);
    const others = forZone.filter((rule) => !isDrpilotRule(rule));
    if (others.length > 0) {
      rules.push({
        zone,
        action: 'refuse',
        reason: `rule ${others.map((r) => r.name).join(', ')} for ${fqdn(zone)} is not drpilot's (no metadata ${RULE_METADATA_OWNER_KEY}=${RULE_METADATA_OWNER}): left as it is`,
      });
      continue;
    }
    const name = ruleNameFor(zone);
    const ours = forZone.find((rule) => rule.name === name) ?? forZone[0];
    if (ours) {
      if (sameTargets(ours.targets, targets)) {
        rules.push({
          zone,
          action: 'unchanged',
          name: ours.name,
          disabled: ours.state === 'Disabled',
        });
      } else {
        rules.push({
          zone,
          action: 'update',
          name: ours.name,
          etag: ours.etag,
          from: ours.targets,
          targets,
        });
      }
      continue;
    }
    const clash = snapshot.rules.find((rule) => rule.name === name);
    if (clash) {
      rules.push({
        zone,
        action: 'refuse',
        reason: `a rule named ${name} already exists for ${clash.domainName}${isDrpilotRule(clash) ? '' : " and is not drpilot's"}: left as it is`,
      });
      continue;
    }
    rules.push({
      zone,
      action: 'create',
      name,
      domainName: fqdn(zone),
      targets,
      metadata: { [RULE_METADATA_OWNER_KEY]: RULE_METADATA_OWNER, [RULE_METADATA_ZONE_KEY]: zone },
    });
  }
  const orphans = snapshot.rules
    .filter((rule) => isDrpilotRule(rule) && !zones.includes(zoneOf(rule.domainName)))
    .map((rule) => ({ name: rule.name, domainName: rule.domainName }));
  return { action: 'apply', rules, orphans };
}

/** Whether the cluster's VNet is linked to the ruleset (else AKS never consults its rules). */
export function rulesetLink(
  snapshot: Pick<RulesetSnapshot, 'linkedVnetIds'>,
  clusterVnetId: string,
  rulesetId: string,
): { linked: boolean; detail: string | null } {
  if (snapshot.linkedVnetIds.some((id) => sameArmId(id, clusterVnetId))) {
    return { linked: true, detail: null };
  }
  return {
    linked: false,
    detail: `DNS forwarding ruleset ${rulesetId} is not linked to the cluster's VNet ${clusterVnetId}${snapshot.linkedVnetIds.length ? ` (linked: ${snapshot.linkedVnetIds.join(', ')})` : ' (it has no VNet link)'}: AKS does not use its rules`,
  };
}

function ipValue(ip: string): number {
  return ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
}
