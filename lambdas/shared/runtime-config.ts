import type { DrpilotConfig } from '../core/config/schema';
import { validateConfig } from '../core/config/validate';

/**
 * The config a deployed function runs with. CDK inlines it at bundling time (esbuild `define` of
 * process.env.DRPILOT_CONFIG_JSON), so it never sits in an environment variable's 4 KB; local runs
 * and tests set the variable instead.
 */
export function runtimeConfig(): DrpilotConfig {
  const text = process.env.DRPILOT_CONFIG_JSON;
  if (!text)
    throw new Error('DRPILOT_CONFIG_JSON is not set: the function was built without its config');
  const result = validateConfig(JSON.parse(text));
  if (!result.ok) {
    throw new Error(
      `embedded config is invalid: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  }
  return result.config;
}
