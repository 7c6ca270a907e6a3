/**
 * `npm run build:cli` (and `prepack`): the `drpilot` CLI as plain JavaScript in dist/cli/, which
 * cli/drpilot.mjs runs when it is there and not older than the sources (cli/launch.mjs decides).
 *
 * Why: run through tsx, every start resolves and compiles hundreds of TypeScript modules and
 * loads every command's SDK clients before doing anything — seconds, against a few hundred
 * milliseconds for one `aws` process (bench/dns-runbook.ts). The bundle is ES modules split at
 * each `await import(…)`, so a command loads only the chunks it reaches.
 *
 * Paths: the sources find files of the repository with `new URL('<relative path>', import.meta.url)`
 * (the example config, setup scripts, manifests). In the bundle `import.meta.url` is the chunk's
 * URL in dist/cli, so {@link repointFileUrls} rewrites each such path to reach the same file
 * from there; every chunk is written to dist/cli itself, none deeper.
 *
 * Usage: `tsx scripts/build-cli.ts`.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_INFO, CLI_ENTRY, DIST_DIR, type CliBuildInfo } from '../cli/launch.mjs';
import { WORKER_PROVIDED } from '../azure-functions/deploy/build-zip';
import { esbuildAlias } from '../lib/lambda-bundling';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

const FILE_URL = /new URL\((['"])(\.{1,2}\/[^'"]*)\1,\s*import\.meta\.url\)/g;
/** `createRequire(import.meta.url)` resolves packages, found from dist/cli as from the sources. */
const RESOLVES_PACKAGES = /createRequire\(import\.meta\.url\)/g;

/**
 * Rewrites `new URL('<relative path>', import.meta.url)` in the repository's own sources so the
 * path is taken from `outDir` (where the bundle runs) to the file the source meant. Any other use
 * of `import.meta.url` fails the build rather than resolve to the wrong file at run time.
 */
export function repointFileUrls(outDir: string): Plugin {
  return {
    name: 'drpilot-repoint-file-urls',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.split(sep).includes('node_modules')) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const contents = source.replace(FILE_URL, (_match, quote: string, path: string) => {
          const target = relative(outDir, resolve(dirname(args.path), path));
          const keepSlash = path.endsWith('/') && target !== '' ? '/' : '';
          const posix = `${target.split(sep).join('/')}${keepSlash}`;
          const fromOut = posix.startsWith('../') ? posix : `./${posix}`;
          return `new URL(${quote}${fromOut}${quote}, import.meta.url)`;
        });
        const leftover = contents.replace(FILE_URL, '').replace(RESOLVES_PACKAGES, '');
        if (leftover.includes('import.meta.url')) {
          throw new Error(
            `${relative(repoRoot, args.path)}: import.meta.url used other than new URL('<relative path>', import.meta.url) or createRequire(import.meta.url); the bundle cannot keep its meaning`,
          );
        }
        return { contents, loader: 'ts' };
      });
    },
  };
}

export interface BuiltCli {
  dir: string;
  files: number;
  bytes: number;
  sources: number;
  /** esbuild's account of the build: which chunk holds which modules and imports which chunks. */
  metafile: Metafile;
}

/** Builds into `dir`: the bin's own (dist/cli) by default, elsewhere for a test. */
export async function buildCli(dir = join(repoRoot, DIST_DIR)): Promise<BuiltCli> {
  // The build info first: from here until the new one is written, the bin runs the sources.
  await rm(join(dir, BUILD_INFO), { force: true });
  await rm(dir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { [CLI_ENTRY.replace(/\.mjs$/, '')]: join(repoRoot, 'cli', 'main.ts') },
    absWorkingDir: repoRoot,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    // Next to the entry: repointFileUrls computes every path from the output folder.
    chunkNames: '[name]-[hash]',
    // The oldest Node the CLI is run with (20; the Lambda runtime and `npm run test:node24`: 24).
    target: 'node20',
    // The embedded drill loads the Function app's in-process reconciler, which reaches
    // @azure/functions; that module requires the worker's module only when it is there.
    external: WORKER_PROVIDED,
    // As in the Lambdas: the Route 53 Resolver client gets the other clients' credential chain, so
    // a command reaching it does not also load the STS, SSO and SSO-OIDC clients of an older release.
    alias: esbuildAlias(),
    // CommonJS dependencies bundled into ES modules still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __drpilotCreateRequire } from 'node:module'; const require = __drpilotCreateRequire(import.meta.url);",
    },
    outdir: dir,
    plugins: [repointFileUrls(dir)],
    metafile: true,
    sourcemap: false,
    legalComments: 'inline',
    logLevel: 'silent',
  });
  // Input paths are relative to absWorkingDir, the repository root.
  const sources = Object.keys(result.metafile.inputs)
    .filter((input) => !input.split('/').includes('node_modules'))
    .sort();
  const info: CliBuildInfo = { sources };
  // Written last: the launcher trusts a build only once this file exists (cli/launch.mjs).
  await writeFile(join(dir, BUILD_INFO), `${JSON.stringify(info)}\n`);
  const outputs = Object.values(result.metafile.outputs);
  return {
    dir,
    files: outputs.length,
    bytes: outputs.reduce((sum, o) => sum + o.bytes, 0),
    sources: sources.length,
    metafile: result.metafile,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildCli()
    .then((built) =>
      process.stdout.write(
        `${relative(repoRoot, built.dir)}: ${built.files} files, ${(built.bytes / 1024 / 1024).toFixed(1)} MiB from ${built.sources} sources\n`,
      ),
    )
    .catch((error: unknown) => {
      process.stderr.write(`build:cli: ${(error as Error).message}\n`);
      process.exitCode = 1;
    });
}
