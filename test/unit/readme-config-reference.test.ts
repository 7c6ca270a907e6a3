import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReferenceMarkdown } from '../../scripts/config-reference';
import { README_MARKERS } from '../../scripts/readme-markers';

describe('README config reference', () => {
  it('is generated from the current schema (run `npm run schema` after changing it)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf(README_MARKERS.start) + README_MARKERS.start.length;
    const end = readme.indexOf(README_MARKERS.end);
    expect(readme.slice(start, end).trim()).toBe(configReferenceMarkdown());
  });

  it('documents every field with its default or whether it is required', () => {
    const table = configReferenceMarkdown();
    expect(table).toContain('| `dns.cooldownSeconds` | integer | `900` |');
    expect(table).toContain('| `controlRegion` | `"us-east-1"` | required |');
    expect(table).toContain('| `nodeGroups[].ladder` | string[] | required |');
    expect(table).not.toContain('$schema');
  });
});
