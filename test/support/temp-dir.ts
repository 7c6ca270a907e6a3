import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Every folder this test file made; the file's last hook removes them. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh folder in the system's temp directory, named `<prefix>…`, removed when this test file's
 * tests have ended, so a run leaves the temp directory as it found it.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** `config` as `drpilot.config.json` in a fresh {@link tempDir}, for `--config`. */
export function configFile(config: unknown, prefix = 'drpilot-config-'): string {
  const file = join(tempDir(prefix), 'drpilot.config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}
