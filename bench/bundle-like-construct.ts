import { build, type Metafile } from 'esbuild';
import {
  CREATE_REQUIRE_BANNER,
  lambdaEsbuildAlias,
  ESBUILD_TARGET,
  MAIN_FIELDS,
} from '../lib/lambda-bundling';

const REPO_ROOT = new URL('..', import.meta.url).pathname;

/**
 * Bundles `entry` into `outfile` with the options lib/reactive-function.ts gives NodejsFunction:
 * ESM, minified, the pinned SDK inside. Used by the bundle bench and test/integration/lambda-bundling.
 */
export async function bundleLikeConstruct(
  entry: string,
  outfile: string,
  define: Record<string, string>,
): Promise<Metafile> {
  const { metafile } = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    mainFields: MAIN_FIELDS,
    banner: { js: CREATE_REQUIRE_BANNER },
    minify: true,
    define,
    alias: lambdaEsbuildAlias(),
    absWorkingDir: REPO_ROOT,
    metafile: true,
    logLevel: 'error',
  });
  return metafile;
}
