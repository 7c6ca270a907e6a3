import { parseArmResourceId, type ArmResourceId } from './core/arm-ids';

/**
 * The Function app's settings (app settings in Azure, `Values` of local.settings.json locally).
 * Read on every invocation, so a changed setting (a rotated Key Vault secret) needs no redeploy.
 */

export const SETTINGS = {
  /** The HMAC key shared with the AWS side; in Azure a Key Vault reference. */
  webhookSecret: 'DRPILOT_WEBHOOK_SECRET',
  /** The customer-facing record (`dns.recordName`): only its failover moves the active side. */
  mainRecord: 'DRPILOT_MAIN_RECORD',
  /** The record TTL (`dns.ttl`): CoreDNS caches forwarded answers no longer than this. */
  dnsTtl: 'DRPILOT_DNS_TTL',
  /**
   * The storage account connection the runtime itself uses, so Azurite serves it locally: a
   * connection string here, or (in Azure) the identity-based `AzureWebJobsStorage__accountName`.
   */
  storage: 'AzureWebJobsStorage',
  /** The storage account reached with the app's managed identity (no key anywhere). */
  storageAccountName: 'AzureWebJobsStorage__accountName',
  /** The AKS cluster whose CoreDNS the reconcile keeps forwarding: all three, or none. */
  aksSubscriptionId: 'DRPILOT_AKS_SUBSCRIPTION_ID',
  aksResourceGroup: 'DRPILOT_AKS_RESOURCE_GROUP',
  aksCluster: 'DRPILOT_AKS_CLUSTER',
  /** How long CoreDNS may take to be Available after a restart before the change is put back. */
  corednsAvailableSeconds: 'DRPILOT_COREDNS_AVAILABLE_SECONDS',
  /** `coredns` (default: coredns-custom) or `private-resolver` (a DNS forwarding ruleset). */
  dnsMode: 'DRPILOT_DNS_MODE',
  /** private-resolver: the ruleset's resource id (Microsoft.Network/dnsForwardingRulesets). */
  forwardingRulesetId: 'DRPILOT_FORWARDING_RULESET_ID',
  /** private-resolver: the AKS cluster's VNet (Microsoft.Network/virtualNetworks), checked linked. */
  aksVnetId: 'DRPILOT_AKS_VNET_ID',
  /** tunnelHealth: the VPN's virtual network gateway connections (Microsoft.Network/connections), comma-separated. */
  vpnConnectionIds: 'DRPILOT_VPN_CONNECTION_IDS',
  /** Application Insights; tunnel state changes are sent to it as metrics. */
  appInsights: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
} as const;

export const DEFAULT_DNS_TTL_SECONDS = 30;

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

export function requiredSetting(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name]?.trim();
  if (!value) throw new SettingsError(`app setting ${name} is not set`);
  return value;
}

export function dnsTtlSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[SETTINGS.dnsTtl]?.trim();
  if (!raw) return DEFAULT_DNS_TTL_SECONDS;
  if (!/^\d{1,3}$/.test(raw)) {
    throw new SettingsError(`app setting ${SETTINGS.dnsTtl} is not whole seconds: ${raw}`);
  }
  return Number(raw);
}

/**
 * Within host.json's functionTimeout (10 minutes) a reconcile may wait twice: for the change, and
 * after a put-back.
 */
export const DEFAULT_COREDNS_AVAILABLE_SECONDS = 150;
const MAX_COREDNS_AVAILABLE_SECONDS = 240;

export function corednsAvailableSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[SETTINGS.corednsAvailableSeconds]?.trim();
  if (!raw) return DEFAULT_COREDNS_AVAILABLE_SECONDS;
  const value = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 10 && value <= MAX_COREDNS_AVAILABLE_SECONDS)) {
    throw new SettingsError(
      `app setting ${SETTINGS.corednsAvailableSeconds} must be whole seconds from 10 to ${MAX_COREDNS_AVAILABLE_SECONDS}: ${raw}`,
    );
  }
  return value;
}

export type AksSettings =
  | { connected: true; subscriptionId: string; resourceGroup: string; name: string }
  | { connected: false; reason: string };

/** The cluster to reconcile into; none of the three settings means "plan only", some is an error. */
export function aksSettings(env: NodeJS.ProcessEnv = process.env): AksSettings {
  const read = (key: string) => env[key]?.trim() ?? '';
  const subscriptionId = read(SETTINGS.aksSubscriptionId);
  const resourceGroup = read(SETTINGS.aksResourceGroup);
  const name = read(SETTINGS.aksCluster);
  const names = [SETTINGS.aksSubscriptionId, SETTINGS.aksResourceGroup, SETTINGS.aksCluster];
  const missing = names.filter((key) => read(key) === '');
  if (missing.length === names.length) {
    return { connected: false, reason: `app settings ${names.join(', ')} are not set` };
  }
  if (missing.length > 0) {
    throw new SettingsError(
      `app setting ${missing.join(', ')} is not set (the AKS cluster needs all of ${names.join(', ')})`,
    );
  }
  return { connected: true, subscriptionId, resourceGroup, name };
}

export type DnsMode = 'coredns' | 'private-resolver';

export function dnsMode(env: NodeJS.ProcessEnv = process.env): DnsMode {
  const raw = env[SETTINGS.dnsMode]?.trim() || 'coredns';
  if (raw !== 'coredns' && raw !== 'private-resolver') {
    throw new SettingsError(
      `app setting ${SETTINGS.dnsMode} must be "coredns" or "private-resolver": ${raw}`,
    );
  }
  return raw;
}

export interface RulesetSettings {
  ruleset: ArmResourceId;
  /** The cluster's VNet, whose link to the ruleset is checked. */
  clusterVnetId: string;
}

/** The private-resolver mode's ruleset and the cluster's VNet: both required, both resource ids. */
export function rulesetSettings(env: NodeJS.ProcessEnv = process.env): RulesetSettings {
  const ruleset = parseArmResourceId(
    requiredSetting(SETTINGS.forwardingRulesetId, env),
    'Microsoft.Network/dnsForwardingRulesets',
  );
  if (!ruleset.ok)
    throw new SettingsError(`app setting ${SETTINGS.forwardingRulesetId}: ${ruleset.error}`);
  const vnet = parseArmResourceId(
    requiredSetting(SETTINGS.aksVnetId, env),
    'Microsoft.Network/virtualNetworks',
  );
  if (!vnet.ok) throw new SettingsError(`app setting ${SETTINGS.aksVnetId}: ${vnet.error}`);
  return { ruleset: ruleset.value, clusterVnetId: vnet.value.id };
}

/** The gateway connections `tunnelHealth` reads; none set → it has nothing to read. */
export function vpnConnectionIds(env: NodeJS.ProcessEnv = process.env): ArmResourceId[] {
  const raw = env[SETTINGS.vpnConnectionIds]?.trim() ?? '';
  if (raw === '') return [];
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((id) => {
      const parsed = parseArmResourceId(id, 'Microsoft.Network/connections');
      if (!parsed.ok)
        throw new SettingsError(`app setting ${SETTINGS.vpnConnectionIds}: ${parsed.error}`);
      return parsed.value;
    });
}

/**
 * How the app reaches its storage account: the `AzureWebJobsStorage` connection string (Azurite
 * locally), or in Azure the account name alone, with the managed identity
 * (`AzureWebJobsStorage__accountName`, "Connecting to host storage with an identity").
 */
export type StorageConnection =
  | { kind: 'connection-string'; connectionString: string }
  | { kind: 'identity'; accountName: string };

export function storageConnection(env: NodeJS.ProcessEnv = process.env): StorageConnection {
  const connectionString = env[SETTINGS.storage]?.trim();
  if (connectionString) return { kind: 'connection-string', connectionString };
  const accountName = env[SETTINGS.storageAccountName]?.trim();
  if (accountName) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      throw new SettingsError(
        `app setting ${SETTINGS.storageAccountName} is not a storage account name (3–24 lower-case letters and digits): ${accountName}`,
      );
    }
    return { kind: 'identity', accountName };
  }
  throw new SettingsError(
    `app setting ${SETTINGS.storage} (a connection string) or ${SETTINGS.storageAccountName} (identity-based) is not set`,
  );
}
