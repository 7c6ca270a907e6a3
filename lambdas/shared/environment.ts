import type { DrpilotConfig } from '../core/config/schema';
import { CONFIG_ENV } from '../core/shared-names';

/** A variable a function needs is missing or unusable: the deployment is broken, not the event. */
export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

/**
 * A function's typed environment, read on the first invocation of a container and kept. It is
 * read again only when one of `names` changed — which never happens in Lambda, and is how tests
 * that set variables per test get what they set.
 */
export function environmentOf<T>(
  names: readonly string[],
  read: (env: NodeJS.ProcessEnv) => T,
): () => T {
  let cached: { key: string; value: T } | undefined;
  return () => {
    const key = JSON.stringify(names.map((name) => process.env[name] ?? null));
    if (cached?.key !== key) cached = { key, value: read(process.env) };
    return cached.value;
  };
}

export function requiredVariable(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name];
  if (!value) throw new EnvironmentError(`${name} is not set: ${what}`);
  return value;
}

/**
 * The config a deployed function runs with. CDK inlines it at bundling time (esbuild `define`
 * of process.env.DRPILOT_CONFIG_JSON), so it never sits in an environment variable's 4 KB; local
 * runs and tests set the variable instead.
 *
 * It is the output of validateConfig at synth (lib/app-settings.ts, defaults filled in), so it is
 * not validated again here: that would put the whole config schema and full zod into every
 * bundle and its cold start. Events, which nothing validated before, still are.
 */
export function configFrom(): DrpilotConfig {
  // Written out literally: esbuild's `define` replaces exactly `process.env.DRPILOT_CONFIG_JSON`
  // (lib/reactive-function.ts); a computed `env[CONFIG_ENV]` would leave the bundle without it.
  const text = process.env.DRPILOT_CONFIG_JSON;
  if (!text) {
    throw new EnvironmentError(
      `${CONFIG_ENV} is not set: the function was built without its config`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new EnvironmentError(`${CONFIG_ENV} is not JSON: ${(error as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new EnvironmentError(`${CONFIG_ENV} is not a config object`);
  }
  return document as DrpilotConfig;
}

/** The config alone, for functions that need nothing else from their environment. */
export const runtimeConfig = environmentOf([CONFIG_ENV], () => configFrom());
