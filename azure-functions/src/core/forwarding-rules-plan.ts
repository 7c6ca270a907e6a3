import { createHash } from 'node:crypto';
import type { AppliedRule, AppliedRuleset } from './applied-state';
import { sameArmId } from './arm-ids';
import { checkResolverIp, normalizeZone } from './dns-names';
import type { ForwardingTarget } from './reconcile-plan';

/**
 * The `private-resolver` mode: one forwarding rule per zone in the configured Azure DNS forwarding
 * ruleset, sending the zone to the active region's ATTACHED Route 53 Resolver inbound addresses on
 * port 53. What Azure documents, and what follows from it:
 *
 * - A rule is `{ domainName, targetDnsServers: [{ ipAddress, port }], forwardingRuleState,
 *   metadata }` with an `etag`; `domainName` is fully qualified with its trailing dot
 *   (`contoso.com.`) and `metadata` a string map (@azure/arm-dnsresolver 1.1.0 `ForwardingRule`,
 *   API version 2022-07-01). At most 6 target DNS servers per rule (Azure subscription limits,
 *   "DNS private resolver": "Target DNS servers per forwarding rule | 6").
 * - `If-Match: <etag>` makes a write conditional ("Specify the last-seen ETag value to prevent
 *   accidentally overwriting any concurrent changes"), `If-None-Match: *` creates without ever
 *   replacing ("Set to '*' to allow a new resource to be created, but to prevent updating an
 *   existing resource"), both from the SDK's `ForwardingRulesCreateOrUpdateOptionalParams`; a
 *   failed condition is `412 Precondition Failed` (microsoft/api-guidelines azure/Guidelines.md,
 *   "Conditional Requests"). On a 412 the ruleset is read again and the decision made again.
 * - Only VNets linked to the ruleset consult its rules, so a ruleset not linked to the cluster's
 *   VNet changes nothing for AKS: that is reported.
 *
 * drpilot's rules carry metadata `managed-by: drpilot` (and the zone); a rule without it is
 * someone else's and is never written, whatever its name or domain. Of drpilot's own rules only
 * the target addresses change: the domain, the state someone may have set (Disabled) and the
 * metadata are written back as read, under the etag they were read with. Rules for zones drpilot
 * no longer forwards are reported, not deleted.
 */

export const RULE_OWNER_KEY = 'managed-by';
export const RULE_OWNER = 'drpilot';
export const RULE_ZONE_KEY = 'drpilot-zone';
export const RULE_TARGET_PORT = 53;
export const MAX_TARGETS_PER_RULE = 6;
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

export interface NewRule {
  name: string;
  domainName: string;
  targets: TargetDnsServer[];
  metadata: Record<string, string>;
}

export type RuleWriteOutcome =
  | { outcome: 'written'; etag: string }
  /** 412: the rule changed (If-Match) or appeared (If-None-Match) since it was read. */
  | { outcome: 'precondition-failed' }
  /** 404: the rule is gone since it was read. */
  | { outcome: 'not-found' };

/** The port through which the reconcile reads and changes the ruleset (adapters/azure). */
export interface ForwardingRuleset {
  /** The ruleset's resource id, for reports. */
  readonly id: string;
  read(): Promise<RulesetSnapshot>;
  /** Creates the rule only if no rule of that name exists (If-None-Match: *). */
  create(rule: NewRule): Promise<RuleWriteOutcome>;
  /** Writes `rule` back as read with `targets` instead, if it is still at its etag (If-Match). */
  replaceTargets(rule: RulesetRule, targets: TargetDnsServer[]): Promise<RuleWriteOutcome>;
}

export function fqdn(zone: string): string {
  return `${zone.replace(/\.$/, '')}.`;
}

function zoneOf(domainName: string): string {
  return domainName.trim().toLowerCase().replace(/\.$/, '');
}

export function isDrpilotRule(rule: Pick<RulesetRule, 'metadata'>): boolean {
  return rule.metadata[RULE_OWNER_KEY] === RULE_OWNER;
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
  | { zone: string; action: 'create'; rule: NewRule }
  | { zone: string; action: 'update'; rule: RulesetRule; targets: TargetDnsServer[] }
  | { zone: string; action: 'unchanged'; name: string; disabled: boolean }
  | { zone: string; action: 'conflict'; reason: string };

export interface RulesPlan {
  rules: RuleAction[];
  /** drpilot's rules for zones it no longer forwards: reported, left as they are. */
  orphans: { name: string; domainName: string }[];
}

/** The zones and addresses checked before the ruleset is read; problems refuse the whole plan. */
export function checkTarget(
  target: ForwardingTarget,
): { ok: true; zones: string[]; targets: TargetDnsServer[] } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (target.ips.length === 0) problems.push('ips: expected at least one resolver address');
  if (new Set(target.ips).size > MAX_TARGETS_PER_RULE) {
    problems.push(
      `ips: a forwarding rule takes at most ${MAX_TARGETS_PER_RULE} target DNS servers, ${target.ips.length} given`,
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
  if (target.zones.length === 0) problems.push('zones: expected at least one zone');
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, zones: zones.sort(), targets: targetsFor(target.ips) };
}

/** What to do to the ruleset, zone by zone, given what it holds now. */
export function planRules(
  zones: readonly string[],
  targets: readonly TargetDnsServer[],
  snapshot: RulesetSnapshot,
): RulesPlan {
  const rules: RuleAction[] = [];
  for (const zone of zones) {
    const forZone = snapshot.rules.filter((rule) => zoneOf(rule.domainName) === zone);
    const foreign = forZone.filter((rule) => !isDrpilotRule(rule));
    if (foreign.length > 0) {
      rules.push({
        zone,
        action: 'conflict',
        reason: `rule ${foreign.map((r) => r.name).join(', ')} for ${fqdn(zone)} is not drpilot's (no metadata ${RULE_OWNER_KEY}=${RULE_OWNER}): left as it is`,
      });
      continue;
    }
    const name = ruleNameFor(zone);
    const ours = forZone.find((rule) => rule.name === name) ?? forZone[0];
    if (ours) {
      rules.push(
        sameTargets(ours.targets, targets)
          ? { zone, action: 'unchanged', name: ours.name, disabled: ours.state === 'Disabled' }
          : { zone, action: 'update', rule: ours, targets: [...targets] },
      );
      continue;
    }
    const clash = snapshot.rules.find((rule) => rule.name === name);
    if (clash) {
      rules.push({
        zone,
        action: 'conflict',
        reason: `a rule named ${name} already exists for ${clash.domainName}${isDrpilotRule(clash) ? '' : " and is not drpilot's"}: left as it is`,
      });
      continue;
    }
    rules.push({
      zone,
      action: 'create',
      rule: {
        name,
        domainName: fqdn(zone),
        targets: [...targets],
        metadata: { [RULE_OWNER_KEY]: RULE_OWNER, [RULE_ZONE_KEY]: zone },
      },
    });
  }
  const orphans = snapshot.rules
    .filter((rule) => isDrpilotRule(rule) && !zones.includes(zoneOf(rule.domainName)))
    .map((rule) => ({ name: rule.name, domainName: rule.domainName }));
  return { rules, orphans };
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
  const linked = snapshot.linkedVnetIds.length
    ? ` (linked: ${snapshot.linkedVnetIds.join(', ')})`
    : ' (it has no VNet link)';
  return {
    linked: false,
    detail: `DNS forwarding ruleset ${rulesetId} is not linked to the cluster's VNet ${clusterVnetId}${linked}: AKS does not use its rules`,
  };
}

/** A zone's rule as the applied state reports it, given the plan and what was written. */
export function appliedRule(
  action: RuleAction,
  written: AppliedRule['outcome'] | null,
): AppliedRule {
  switch (action.action) {
    case 'conflict':
      return { zone: action.zone, name: null, outcome: 'refused', detail: action.reason };
    case 'create':
      return { zone: action.zone, name: action.rule.name, outcome: 'created', detail: null };
    case 'update':
      return {
        zone: action.zone,
        name: action.rule.name,
        outcome: 'updated',
        detail: disabledNote(action.rule.state === 'Disabled'),
      };
    case 'unchanged':
      // Written on an earlier attempt of this reconcile (before a 412), unchanged since.
      return {
        zone: action.zone,
        name: action.name,
        outcome: written ?? 'unchanged',
        detail: disabledNote(action.disabled),
      };
  }
}

function disabledNote(disabled: boolean): string | null {
  return disabled ? 'the rule is Disabled: drpilot never changes its state' : null;
}

export type RulesetOutcome =
  | { outcome: 'applied' | 'unchanged'; reason: string | null }
  | { outcome: 'refused'; reason: string };

/** The reconcile's outcome from the rules it reports: a zone in conflict refuses the whole. */
export function rulesetOutcome(ruleset: AppliedRuleset, linkDetail: string | null): RulesetOutcome {
  const conflicts = ruleset.rules.filter((rule) => rule.outcome === 'refused');
  const notes = [
    ...conflicts.map((rule) => `${rule.zone}: ${rule.detail ?? 'refused'}`),
    ...(linkDetail ? [linkDetail] : []),
    ...ruleset.rules
      .filter((rule) => rule.outcome !== 'refused' && rule.detail)
      .map((rule) => `${rule.zone}: ${rule.detail}`),
  ];
  const reason = notes.length ? notes.join('; ') : null;
  if (conflicts.length > 0) return { outcome: 'refused', reason: reason ?? 'refused' };
  const wrote = ruleset.rules.some(
    (rule) => rule.outcome === 'created' || rule.outcome === 'updated',
  );
  return { outcome: wrote ? 'applied' : 'unchanged', reason };
}

function ipValue(ip: string): number {
  return ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
}
