/**
 * Copies of the AWS SDK's schema-based packages that esbuild can tree-shake.
 *
 * Since the schema-serde releases, each client keeps every shape of its service in one module,
 * `dist-es/schemas/schemas_0.js` (EC2: 1.3 MB, 3,300 shapes), as top-level arrays whose trait
 * objects use computed keys: `{ [_xN]: _TSa }`, with `const _xN = "xmlName"` declared in the same
 * file. A computed key converts its value with ToPropertyKey, which may run code for an object,
 * so esbuild keeps every declaration that has one, used or not (tree-shaking removes only
 * declarations it can prove free of side effects: https://esbuild.github.io/api/#tree-shaking).
 * A function that sends one EC2 command then carries all 3,300 shapes (≈ 550 kB minified). Where
 * the key is a string constant of the same module, `{ "xmlName": _TSa }` is the same object, with
 * nothing left to run; after that rewrite esbuild keeps only the shapes a bundle reaches.
 *
 * The copies live under node_modules/.cache (so their own imports resolve from the repository's
 * node_modules), one per package version and rewrite version, created once and atomically (synths
 * run in parallel test workers), and reach esbuild as `alias` entries (lib/lambda-bundling.ts).
 * A copy's package.json keeps only the fields a bundle reads ({@link bundledManifest}).
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * Bumped whenever {@link literalSchemaKeys} or {@link bundledManifest} changes, so older copies are
 * not reused.
 */
const REWRITE_VERSION = 2;

const STRING_CONSTANT = /^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm;
const COMPUTED_KEY = /\[(_\w+)\]:/g;

/**
 * `source` with every computed key `[_x]:` whose `_x` is a top-level string constant of the same
 * source (`const _x = "…";`) written as that string literal. Other computed keys are left as they are.
 */
export function literalSchemaKeys(source: string): string {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) {
    if (name && literal) constants.set(name, literal);
  }
  return source.replace(COMPUTED_KEY, (key, name: string) => {
    const literal = constants.get(name);
    return literal ? `${literal}:` : key;
  });
}

/**
 * The fields of a copy's package.json: what resolution reads, and the version the client's user
 * agent reports. The client's runtimeConfig imports the whole file (`import packageInfo from
 * "../package.json"`), so esbuild bundles every field, dependency lists included.
 */
const PACKAGE_FIELDS = [
  'name',
  'version',
  'type',
  'main',
  'module',
  'types',
  'exports',
  'sideEffects',
];

/** `manifest` (a package.json's text) with only {@link PACKAGE_FIELDS}. */
export function bundledManifest(manifest: string): string {
  const fields = JSON.parse(manifest) as Record<string, unknown>;
  return `${JSON.stringify(Object.fromEntries(PACKAGE_FIELDS.filter((f) => f in fields).map((f) => [f, fields[f]])), null, 2)}\n`;
}

/**
 * The packages to copy: the schema-based @aws-sdk clients installed at the top level, which
 * drpilot imports by their root. An alias replaces a path prefix, so a subpath import of an
 * aliased package (`@aws-sdk/nested-clients/sts`, as the credential providers import it) would
 * resolve as a file under the copy instead of through the package's `exports` map, and land on
 * its CommonJS build; @aws-sdk/nested-clients is left out for that reason. A package with its own
 * node_modules is left out too: its copy would resolve those imports from the top level.
 */
function schemaPackages(nodeModules: string): string[] {
  const scope = join(nodeModules, '@aws-sdk');
  return readdirSync(scope)
    .filter((name) => name.startsWith('client-'))
    .map((name) => `@aws-sdk/${name}`)
    .filter((name) => !existsSync(join(nodeModules, name, 'node_modules')))
    .filter((name) => schemaFiles(join(nodeModules, name, 'dist-es')).length > 0);
}

function schemaFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => /(^|\/)schemas\/[^/]+\.js$/.test(path))
    .map((path) => join(dir, path));
}

function ensureCopy(nodeModules: string, name: string): string {
  const source = join(nodeModules, name);
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as {
    version: string;
  };
  const cache = join(nodeModules, '.cache', 'drpilot-shakable-sdk');
  const target = join(cache, `${name.replace('/', '+')}@${version}-r${REWRITE_VERSION}`);
  if (existsSync(join(target, 'package.json'))) return target;

  mkdirSync(cache, { recursive: true });
  const staging = `${target}.${process.pid}.${Date.now()}`;
  cpSync(source, staging, {
    recursive: true,
    // Types are not bundled; a nested node_modules is never copied (see schemaPackages).
    filter: (path) => ![join(source, 'dist-types'), join(source, 'node_modules')].includes(path),
  });
  for (const file of schemaFiles(join(staging, 'dist-es'))) {
    writeFileSync(file, literalSchemaKeys(readFileSync(file, 'utf8')));
  }
  const manifest = join(staging, 'package.json');
  writeFileSync(manifest, bundledManifest(readFileSync(manifest, 'utf8')));
  try {
    renameSync(staging, target);
  } catch (error) {
    // Another process made the same copy first: use it.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(target, 'package.json'))) throw error;
  }
  return target;
}

/** esbuild `alias` entries from each schema-based SDK package to its tree-shakable copy. */
export function shakableSdkAliases(repoRoot: string): Record<string, string> {
  const nodeModules = join(repoRoot, 'node_modules');
  return Object.fromEntries(
    schemaPackages(nodeModules).map((name) => [name, ensureCopy(nodeModules, name)]),
  );
}
