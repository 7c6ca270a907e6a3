import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../lambdas/core/config/json-schema';

describe('drpilot.schema.json', () => {
  it('is up to date with the zod schema (run `npm run schema` after changing it)', () => {
    const checkedIn = JSON.parse(
      readFileSync(new URL('../../drpilot.schema.json', import.meta.url), 'utf8'),
    );
    expect(checkedIn).toEqual(configJsonSchema());
  });

  it('rejects unknown keys and lists the contract fields', () => {
    const schema = configJsonSchema() as {
      additionalProperties: boolean;
      required: string[];
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(
      expect.arrayContaining(['name', 'controlRegion', 'stateTable', 'clusters', 'dns', 'backups']),
    );
  });
});
