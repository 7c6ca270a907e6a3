/** How every drpilot Lambda is bundled; the CDK construct and `npm run bench` share it. */
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { CONFIG_ENV } from '../lambdas/core/shared-names';

/** esbuild's target follows the newest Lambda Node.js runtime (nodejs24.x). */
export const ESBUILD_TARGET = 'node24';

/** ESM builds first: the AWS SDK's ESM build is the one esbuild can tree-shake. */
export const MAIN_FIELDS = ['module', 'main'];

/**
 * Lets the ESM bundle load CommonJS dependencies that call `require` (esbuild's ESM output has no
 * `require` of its own).
 */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __drpilotCreateRequire } from 'node:module'; const require = __drpilotCreateRequire(import.meta.url);";

/**
 * esbuild `define` that inlines the config a function runs with. It is the config validated at
 * synth (lambdas/shared/environment.ts trusts it and does not validate again); `$schema` is an
 * editor hint, not configuration.
 */
export function configDefine(config: DrpilotConfig): Record<string, string> {
  const embedded: Partial<DrpilotConfig> = { ...config };
  delete embedded.$schema;
  return { [`process.env.${CONFIG_ENV}`]: JSON.stringify(JSON.stringify(embedded)) };
}
