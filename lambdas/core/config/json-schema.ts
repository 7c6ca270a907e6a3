import { z } from 'zod';
import { configSchema } from './schema';

/** The JSON Schema checked in as drpilot.schema.json, for editors and outside tooling. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://github.com/drpilot/drpilot/drpilot.schema.json',
    title: 'drpilot.config.json',
  };
}
