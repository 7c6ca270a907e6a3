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
