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
  /** The storage account connection the runtime itself uses, so Azurite serves it locally. */
  storage: 'AzureWebJobsStorage',
  /** The AKS cluster whose CoreDNS the reconcile keeps forwarding: all three, or none. */
  aksSubscriptionId: 'DRPILOT_AKS_SUBSCRIPTION_ID',
  aksResourceGroup: 'DRPILOT_AKS_RESOURCE_GROUP',
  aksCluster: 'DRPILOT_AKS_CLUSTER',
  /** How long CoreDNS may take to be Available after a restart before the change is put back. */
  corednsAvailableSeconds: 'DRPILOT_COREDNS_AVAILABLE_SECONDS',
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
