import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../lambdas/core/config/json-schema';

const target = fileURLToPath(new URL('../drpilot.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stderr.write(`wrote ${target}\n`);
