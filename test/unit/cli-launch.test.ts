import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_INFO, CLI_ENTRY, DIST_DIR, chooseCli } from '../../cli/launch.mjs';

/** A package root with one source and, when `built`, a bundle made at `builtAt` (seconds). */
let root: string;
const SOURCE = 'cli/main.ts';

function at(path: string, seconds: number): void {
  utimesSync(path, seconds, seconds);
}

function writeBuild(sources: string[], builtAt: number): void {
  const dir = join(root, DIST_DIR);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, CLI_ENTRY), 'export const main = () => 0;\n');
  writeFileSync(join(dir, BUILD_INFO), JSON.stringify({ sources }));
  at(join(dir, BUILD_INFO), builtAt);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'drpilot-launch-'));
  mkdirSync(join(root, 'cli'));
  writeFileSync(join(root, SOURCE), 'export {};\n');
  at(join(root, SOURCE), 1_000);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('chooseCli: the bundle when it is current, the sources through tsx otherwise', () => {
  it('runs the sources in a fresh clone, where nothing is built', () => {
    expect(chooseCli(root)).toEqual({
      kind: 'tsx',
      reason: `no build in ${DIST_DIR} (npm run build:cli)`,
    });
  });

  it('runs the bundle when no source changed after the build', () => {
    writeBuild([SOURCE], 2_000);
    expect(chooseCli(root)).toEqual({
      kind: 'bundle',
      entry: pathToFileURL(join(root, DIST_DIR, CLI_ENTRY)).href,
    });
  });

  it('runs the sources, naming the file, once a source changed after the build', () => {
    writeBuild([SOURCE], 2_000);
    at(join(root, SOURCE), 3_000);
    expect(chooseCli(root)).toEqual({
      kind: 'tsx',
      reason: `${SOURCE} changed after the build in ${DIST_DIR}`,
    });
  });

  it('runs the bundle of a packed package, which ships no sources', () => {
    writeBuild([SOURCE, 'lambdas/dns/run-switch.ts'], 2_000);
    rmSync(join(root, SOURCE));
    expect(chooseCli(root).kind).toBe('bundle');
  });

  it('runs the sources while a build is under way (its build info is written last)', () => {
    writeBuild([SOURCE], 2_000);
    rmSync(join(root, DIST_DIR, BUILD_INFO));
    expect(chooseCli(root).kind).toBe('tsx');
  });
});
