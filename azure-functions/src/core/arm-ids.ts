/**
 * Azure Resource Manager resource ids, as the app settings name them:
 * `/subscriptions/<id>/resourceGroups/<group>/providers/<Namespace>/<type>/<name>`. ARM treats
 * resource ids case-insensitively, so they are compared lower-cased.
 */

export interface ArmResourceId {
  /** The id as given, without a trailing slash. */
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  /** `Microsoft.Network/dnsForwardingRulesets`. */
  type: string;
  name: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Resource group names: 1–90 of letters, digits, underscores, parentheses, hyphens and periods,
// not ending in a period (ARM naming rules, Microsoft.Resources).
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
const NAME = /^[A-Za-z0-9][-\w.]{0,79}$/;

/** Parses a top-level resource id of `type`; the error says what is wrong. */
export function parseArmResourceId(
  raw: string,
  type: string,
): { ok: true; value: ArmResourceId } | { ok: false; error: string } {
  const id = raw.trim().replace(/\/+$/, '');
  const parts = id.split('/');
  const [empty, subscriptions, subscriptionId, groups, resourceGroup, providers, namespace] = parts;
  const [expectedNamespace, expectedType] = type.split('/');
  const fail = (why: string) => ({
    ok: false as const,
    error: `"${raw}" is not a ${type} resource id (/subscriptions/<id>/resourceGroups/<group>/providers/${type}/<name>): ${why}`,
  });
  if (
    parts.length !== 9 ||
    empty !== '' ||
    subscriptions?.toLowerCase() !== 'subscriptions' ||
    groups?.toLowerCase() !== 'resourcegroups' ||
    providers?.toLowerCase() !== 'providers'
  ) {
    return fail('not of that shape');
  }
  if (!subscriptionId || !GUID.test(subscriptionId)) return fail('the subscription is not a GUID');
  if (!resourceGroup || !RESOURCE_GROUP.test(resourceGroup)) {
    return fail('the resource group name is not valid');
  }
  if (
    namespace?.toLowerCase() !== expectedNamespace?.toLowerCase() ||
    parts[7]?.toLowerCase() !== expectedType?.toLowerCase()
  ) {
    return fail(`the type is ${namespace}/${parts[7]}`);
  }
  const name = parts[8] ?? '';
  if (!NAME.test(name)) return fail('the name is not valid');
  return { ok: true, value: { id, subscriptionId, resourceGroup, type, name } };
}

export function sameArmId(a: string, b: string): boolean {
  const norm = (id: string) => id.trim().replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b);
}
