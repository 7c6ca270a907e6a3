// Which `drpilot` to run: the bundle `npm run build:cli` writes (and `prepack` ships), or, in a
// fresh clone or after a source changed, the TypeScript sources through tsx. Plain JavaScript so
// that choosing costs no compiler: cli/drpilot.mjs and bench/dns-runbook.ts both ask here.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

/** Where scripts/build-cli.ts writes the bundle, from the package root. */
export const DIST_DIR = 'dist/cli';
/** The bundle's entry: cli/main.ts. */
export const CLI_ENTRY = 'main.mjs';
/** Written last by the build: the repository files the bundle was made from. */
export const BUILD_INFO = 'build-info.json';

const packageRoot = fileURLToPath(new URL('../', import.meta.url));

/**
 * The bundle when it is complete and no source it was built from changed since; a source that is
 * not there (a packed package ships only the bundle) cannot have changed.
 */
export function chooseCli(root = packageRoot) {
  const dir = join(root, DIST_DIR);
  let builtAt;
  let info;
  try {
    builtAt = statSync(join(dir, BUILD_INFO)).mtimeMs;
    info = JSON.parse(readFileSync(join(dir, BUILD_INFO), 'utf8'));
  } catch {
    return { kind: 'tsx', reason: `no build in ${DIST_DIR} (npm run build:cli)` };
  }
  for (const source of info.sources) {
    const changed = statSync(join(root, source), { throwIfNoEntry: false });
    if (changed && changed.mtimeMs > builtAt) {
      return { kind: 'tsx', reason: `${source} changed after the build in ${DIST_DIR}` };
    }
  }
  return { kind: 'bundle', entry: pathToFileURL(join(dir, CLI_ENTRY)).href };
}
