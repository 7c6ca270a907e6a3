import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DrillResult } from './drill-result';
import { drillReportMarkdown } from './report-markdown';
import { drillTimelineSvg } from './report-timeline-svg';

export const REPORT_FILES = {
  markdown: 'drill-report.md',
  timeline: 'drill-timeline.svg',
  json: 'drill-result.json',
} as const;

/** Writes the report people read (Markdown + SVG timeline) and the JSON result beside it. */
export function writeDrillReport(directory: string, result: DrillResult): string {
  const dir = resolve(directory);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, REPORT_FILES.markdown),
    drillReportMarkdown(result, REPORT_FILES.timeline),
  );
  writeFileSync(join(dir, REPORT_FILES.timeline), drillTimelineSvg(result));
  writeFileSync(join(dir, REPORT_FILES.json), `${JSON.stringify(result, null, 2)}\n`);
  return join(dir, REPORT_FILES.markdown);
}
