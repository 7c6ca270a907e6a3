import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const EXAMPLE_CONFIG_PATH = fileURLToPath(
  new URL('../../drpilot.config.example.json', import.meta.url),
);

/** A fresh, mutable copy of the checked-in example config. */
export function exampleConfig(): Record<string, any> {
  return JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'));
}
