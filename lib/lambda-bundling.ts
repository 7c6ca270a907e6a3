/** How every drpilot Lambda is bundled; the CDK construct and `npm run bench` share it. */

/** esbuild's target follows the newest Lambda Node.js runtime (nodejs24.x). */
export const ESBUILD_TARGET = 'node24';

/**
 * Lets the ESM bundle load CommonJS dependencies that call `require` (esbuild's ESM output has no
 * `require` of its own).
 */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __drpilotCreateRequire } from 'node:module'; const require = __drpilotCreateRequire(import.meta.url);";
