import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReferenceMarkdown } from '../../scripts/config-reference';
import { README_MARKERS } from '../../scripts/readme-markers';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('config reference (docs/config-reference.md)', () => {
  it('is generated from the current schema (run `npm run schema` after changing it)', () => {
    const page = read('docs/config-reference.md');
    const start = page.indexOf(README_MARKERS.start);
    const end = page.indexOf(README_MARKERS.end);
    expect(start, 'the start marker').toBeGreaterThanOrEqual(0);
    expect(end, 'the end marker, after the start marker').toBeGreaterThan(start);
    expect(page.slice(start + README_MARKERS.start.length, end).trim()).toBe(
      configReferenceMarkdown(),
    );
  });

  it('is linked from the README, which no longer carries a copy of its own', () => {
    const readme = read('README.md');
    expect(readme).toContain('](docs/config-reference.md)');
    expect(readme).not.toContain(README_MARKERS.start);
  });

  it('documents every field with its default or whether it is required', () => {
    const table = configReferenceMarkdown();
    expect(table).toContain('| `dns.cooldownSeconds` | integer | `900` |');
    expect(table).toContain('| `controlRegion` | `"us-east-1"` | required |');
    expect(table).toContain('| `nodeGroups[].ladder` | string[] | required |');
    expect(table).not.toContain('$schema');
  });
});
