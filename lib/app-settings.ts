import { loadConfig, type ConfigFileSystem } from '../lambdas/core/config/config-file';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import type { ConfigError } from '../lambdas/core/config/validate';

/**
 * Stands in for the account when `cdk synth` runs without credentials (so without
 * CDK_DEFAULT_ACCOUNT). Templates synthesized with it are for reading and linting only:
 * `cdk deploy` with real credentials sets CDK_DEFAULT_ACCOUNT, and a stack still pinned to this
 * account is refused by the CLI because it does not match the credentials' account.
 */
export const OFFLINE_PLACEHOLDER_ACCOUNT = '000000000000';

export type AccountSource = 'context' | 'environment' | 'placeholder';

export type AppSettings =
  | {
      ok: true;
      configFile: string;
      config: DrpilotConfig;
      account: string;
      accountSource: AccountSource;
    }
  | { ok: false; configFile: string | null; errors: ConfigError[] };

export interface AppInputs {
  /** `-c config=FILE` */
  readonly configContext?: unknown;
  /** `-c account=123456789012` */
  readonly accountContext?: unknown;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Where the config is read from: the node file system (bin/), or a map in tests. */
  readonly fs: ConfigFileSystem;
}

/** The config (-c config, then $DRPILOT_CONFIG, then ./drpilot.config.json) and the account. */
export function resolveAppSettings(inputs: AppInputs): AppSettings {
  const flag = typeof inputs.configContext === 'string' ? inputs.configContext : undefined;
  const loaded = loadConfig(flag, inputs.env, inputs.cwd, inputs.fs);
  if (!loaded.ok) return { ok: false, configFile: loaded.file, errors: loaded.errors };

  const fromContext =
    inputs.accountContext === undefined ? undefined : String(inputs.accountContext);
  if (fromContext !== undefined && !/^\d{12}$/.test(fromContext)) {
    return {
      ok: false,
      configFile: loaded.file,
      errors: [
        {
          path: '(context) account',
          message: `expected a 12-digit AWS account id, got "${fromContext}"`,
        },
      ],
    };
  }
  const fromEnv = inputs.env.CDK_DEFAULT_ACCOUNT;
  const [account, accountSource]: [string, AccountSource] = fromContext
    ? [fromContext, 'context']
    : fromEnv
      ? [fromEnv, 'environment']
      : [OFFLINE_PLACEHOLDER_ACCOUNT, 'placeholder'];
  return { ok: true, configFile: loaded.file, config: loaded.config, account, accountSource };
}

export function formatSettingsErrors(settings: Extract<AppSettings, { ok: false }>): string {
  const where = settings.configFile ?? 'drpilot.config.json';
  return [
    `drpilot: cannot build the CDK app from ${where}:`,
    ...settings.errors.map((e) => `  ${e.path}: ${e.message}`),
  ].join('\n');
}
