import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReferenceMarkdown } from './config-reference';
import { README_MARKERS } from './readme-markers';

const page = fileURLToPath(new URL('../docs/config-reference.md', import.meta.url));
const text = readFileSync(page, 'utf8');
const [start, end] = [text.indexOf(README_MARKERS.start), text.indexOf(README_MARKERS.end)];
if (start < 0 || end < start)
  throw new Error(
    `docs/config-reference.md lacks the ${README_MARKERS.start} … ${README_MARKERS.end} markers`,
  );
const updated = `${text.slice(0, start + README_MARKERS.start.length)}\n${configReferenceMarkdown()}\n${text.slice(end)}`;
writeFileSync(page, updated);
process.stderr.write('updated the config reference in docs/config-reference.md\n');
