/** How every drpilot Lambda is bundled; the CDK construct and `npm run bench` share it. */
import { fileURLToPath } from 'node:url';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { CONFIG_ENV } from '../lambdas/core/shared-names';
import { shakableSdkAliases } from './shakable-sdk';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** esbuild's target follows the newest Lambda Node.js runtime (nodejs24.x). */
export const ESBUILD_TARGET = 'node24';

/** ESM builds first: the AWS SDK's ESM build is the one esbuild can tree-shake. */
export const MAIN_FIELDS = ['module', 'main'];

/**
 * The credential chain alias, for package paths esbuild resolves from the working directory (the
 * repository root) instead of from the importing file (https://esbuild.github.io/api/#alias). The registry
 * serves @aws-sdk/client-route53resolver no newer than 3.654.0 (`npm view
 * @aws-sdk/client-route53resolver versions`); that release nests its own
 * @aws-sdk/credential-provider-node 3.654.0, whose INI/SSO/web-identity links load
 * @aws-sdk/client-sts, client-sso and client-sso-oidc (≈ 290 kB of bundle). The alias gives it the
 * repository's credential chain, the one every other pinned client uses: same `defaultProvider(init)`
 * contract (@aws-sdk/credential-provider-node/dist-es/defaultProvider.js), built on
 * @aws-sdk/nested-clients, which the bundles carry already.
 */
const CREDENTIAL_CHAIN_ALIAS: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': '@aws-sdk/credential-provider-node',
};

/**
 * The pinned Route 53 Resolver client's HTTP handler and defaults-mode resolver, also from the
 * repository's current SDK. Its own @smithy/node-http-handler 3.x, and @smithy/util-defaults-mode-node 3.x (through
 * @smithy/credential-provider-imds 3.x), import `http` statically; in an ESM bundle that import runs
 * at load even where the module is only reached through `import()`. On Node.js 24 (the functions'
 * runtime) an ESM import of `node:http` builds the module's namespace, which reads its
 * `WebSocket`, `CloseEvent` and `MessageEvent` getters and so loads undici: about 20 ms of every
 * cold start of the dns and aks functions (docs/benchmarks.md). The current
 * @smithy/node-http-handler loads `node:http` only for an `http:` endpoint
 * (dist-es/node-http-handler.js), and @smithy/core/config's resolveDefaultsModeConfig is the same
 * function with the same contract (`({ region, defaultsMode }) => memoized provider`, dist-es of both).
 */
const PINNED_CLIENT_RUNTIME_ALIAS: Readonly<Record<string, string>> = {
  '@smithy/node-http-handler': '@smithy/node-http-handler',
  '@smithy/util-defaults-mode-node': '@smithy/core/config',
};

/**
 * esbuild `alias` for every bundle (Lambdas, the bench, the CLI): the credential chain and runtime
 * above, and each schema-based SDK client to its tree-shakable copy (lib/shakable-sdk.ts), made on
 * first use.
 */
export function esbuildAlias(): Record<string, string> {
  return {
    ...shakableSdkAliases(REPO_ROOT),
    ...CREDENTIAL_CHAIN_ALIAS,
    ...PINNED_CLIENT_RUNTIME_ALIAS,
  };
}

/**
 * {@link esbuildAlias} for a Lambda bundle: there the SDK's default credential chain is replaced by
 * the one Lambda can answer (environment, then container credentials;
 * lambdas/adapters/aws/lambda-credential-chain.ts). The CLI keeps the full chain: people run it
 * with profiles and SSO.
 */
export function lambdaEsbuildAlias(): Record<string, string> {
  return {
    ...esbuildAlias(),
    '@aws-sdk/credential-provider-node': `${REPO_ROOT}lambdas/adapters/aws/lambda-credential-chain.ts`,
  };
}

/** {@link lambdaEsbuildAlias} as NodejsFunction `esbuildArgs` (`--alias:from=to`). */
export function lambdaEsbuildAliasArgs(): { '--alias': string[] } {
  return { '--alias': Object.entries(lambdaEsbuildAlias()).map(([from, to]) => `${from}=${to}`) };
}

/**
 * Lets the ESM bundle load CommonJS dependencies that call `require` (esbuild's ESM output has no
 * `require` of its own).
 */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __drpilotCreateRequire } from 'node:module'; const require = __drpilotCreateRequire(import.meta.url);";

/**
 * esbuild `define` that inlines the config a function runs with. It is the config validated at
 * synth (lambdas/shared/environment.ts trusts it and does not validate again); `$schema` is an
 * editor hint, not configuration. observability.tracing is inlined on its own as well, as a
 * constant esbuild folds: an untraced function's bundle then leaves out Powertools' Tracer and the
 * X-Ray SDK (lambdas/shared/powertools.ts, loadTracer).
 */
export function configDefine(config: DrpilotConfig): Record<string, string> {
  const embedded: Partial<DrpilotConfig> = { ...config };
  delete embedded.$schema;
  return {
    [`process.env.${CONFIG_ENV}`]: JSON.stringify(JSON.stringify(embedded)),
    'process.env.DRPILOT_TRACING': JSON.stringify(String(config.observability.tracing)),
  };
}
