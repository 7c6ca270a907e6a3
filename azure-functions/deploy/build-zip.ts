/**
 * `npm run build:azure`: the Function app as one deployable zip, azure-functions/dist/drpilot-functions.zip.
 *
 * The zip holds what the Functions host reads at the root of wwwroot ("The archive must include
 * the host.json file at the root", Microsoft Learn, "Zip deployment for Azure Functions"):
 * host.json, a package.json whose `main` names the entry (the v4 Node.js model finds the
 * functions through it, "Azure Functions Node.js developer guide", folder structure), and that
 * entry: src/index.ts bundled by esbuild with every npm dependency inside it, so Azure runs no
 * `npm install` and no remote build.
 *
 * @azure/functions is bundled too: since 4.x the package holds the programming model itself, not
 * just types, and the app must ship the version it was written against (package README:
 * "Prior to version 3.5.0, this package only contained TypeScript type definitions"). Its one
 * import that must stay outside is `@azure/functions-core`: no npm package, but the module the
 * Node.js worker injects at run time (`tryGetCoreApiLazy` requires it and falls back to "test
 * mode" without it), through which `app.http(...)` registers a function with the host.
 *
 * Usage: `tsx azure-functions/deploy/build-zip.ts [--out <zip path>]`.
 */
import { build } from 'esbuild';
import { zipSync, type Zippable } from 'fflate';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_ZIP = join(APP_DIR, 'dist', 'drpilot-functions.zip');
/** The bundle's name inside the zip (package.json `main`). */
export const BUNDLE_ENTRY = 'index.js';
/** Provided by the Functions Node.js worker, never by npm. */
export const WORKER_PROVIDED = ['@azure/functions-core'];
const IMPORT_META_URL = '__drpilotImportMetaUrl';

export interface BuiltZip {
  path: string;
  entries: string[];
  bytes: number;
}

export async function buildFunctionZip(zipPath: string = DEFAULT_ZIP): Promise<BuiltZip> {
  const appPackage = JSON.parse(await readFile(join(APP_DIR, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    description?: string;
  };
  const result = await build({
    entryPoints: [join(APP_DIR, 'src', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The template's runtime (functionAppConfig.runtime: node 22).
    target: 'node22',
    external: WORKER_PROVIDED,
    // Dependencies shipped as ES modules (e.g. @azure/storage-common's crc64) read
    // `import.meta.url`, which a CommonJS bundle does not have: give them the bundle's own URL.
    define: { 'import.meta.url': IMPORT_META_URL },
    banner: { js: `var ${IMPORT_META_URL} = require('node:url').pathToFileURL(__filename).href;` },
    write: false,
    outfile: BUNDLE_ENTRY,
    minify: false,
    sourcemap: false,
    legalComments: 'inline',
    logLevel: 'silent',
  });
  const [bundle] = result.outputFiles;
  if (!bundle || result.outputFiles.length !== 1) {
    throw new Error(`esbuild produced ${result.outputFiles.length} files, expected one bundle`);
  }
  const deployedPackage = {
    name: appPackage.name,
    version: appPackage.version,
    description: appPackage.description,
    private: true,
    main: BUNDLE_ENTRY,
    // Everything is in the bundle: nothing for the platform to install.
    dependencies: {},
  };
  const files: Zippable = {
    'host.json': [await readFile(join(APP_DIR, 'host.json')), {}],
    'package.json': [Buffer.from(`${JSON.stringify(deployedPackage, null, 2)}\n`), {}],
    [BUNDLE_ENTRY]: [bundle.contents, {}],
  };
  // A fixed time keeps the zip byte-for-byte reproducible from the same sources.
  const zip = zipSync(files, { level: 9, mtime: new Date('2020-01-01T00:00:00Z') });
  await mkdir(dirname(zipPath), { recursive: true });
  await writeFile(zipPath, zip);
  return { path: zipPath, entries: Object.keys(files), bytes: zip.byteLength };
}

async function main(argv: string[]): Promise<void> {
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 ? argv[outIndex + 1] : undefined;
  if (outIndex >= 0 && !out) throw new Error('--out needs a path');
  const built = await buildFunctionZip(out ? resolve(out) : DEFAULT_ZIP);
  process.stdout.write(
    `${built.path} (${(built.bytes / 1024).toFixed(0)} KiB: ${built.entries.join(', ')})\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`build:azure: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
