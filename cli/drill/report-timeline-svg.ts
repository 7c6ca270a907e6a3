import type { DrillResult } from './drill-result';

const ROW = 26;
const LABEL_WIDTH = 380;
const LABEL_CHARS = 58;
const DURATION_WIDTH = 70;
const CHART_WIDTH = 520;
const TOP = 44;

function truncate(text: string): string {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A Gantt-style timeline: one bar per step on a shared time axis, green for ok, red for failed. */
export function drillTimelineSvg(result: DrillResult): string {
  const times = result.steps.flatMap((s) => [Date.parse(s.startedAt), Date.parse(s.endedAt)]);
  const start = Math.min(...times);
  const span = Math.max(Math.max(...times) - start, 1);
  const x = (ms: number) => LABEL_WIDTH + ((ms - start) / span) * CHART_WIDTH;
  const height = TOP + result.steps.length * ROW + 30;
  const width = LABEL_WIDTH + CHART_WIDTH + DURATION_WIDTH;

  const rows = result.steps.map((step, i) => {
    const y = TOP + i * ROW;
    const left = x(Date.parse(step.startedAt));
    const barWidth = Math.max(x(Date.parse(step.endedAt)) - left, 2);
    const seconds = (Date.parse(step.endedAt) - Date.parse(step.startedAt)) / 1000;
    return [
      `<text x="8" y="${y + 16}" font-size="12">${escapeXml(truncate(step.name))}</text>`,
      `<text x="${width - 8}" y="${y + 16}" font-size="11" text-anchor="end">${seconds.toFixed(2)} s</text>`,
      `<rect x="${left.toFixed(1)}" y="${y + 4}" width="${barWidth.toFixed(1)}" height="16" rx="3" fill="${step.ok ? '#2e9d5b' : '#d64545'}"><title>${escapeXml(`${step.name}: ${seconds.toFixed(2)} s — ${step.detail}`)}</title></rect>`,
    ].join('');
  });
  const totalSeconds = (span / 1000).toFixed(1);
  const axisY = TOP + result.steps.length * ROW + 8;
  const title = `drpilot drill ${result.scenario}: ${result.ok ? 'passed' : 'failed'}${result.emulated ? ' (emulated)' : ''}`;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...rows,
    `<line x1="${LABEL_WIDTH}" y1="${axisY}" x2="${LABEL_WIDTH + CHART_WIDTH}" y2="${axisY}" stroke="#555"/>`,
    `<text x="${LABEL_WIDTH}" y="${axisY + 16}" font-size="11">0 s</text>`,
    `<text x="${LABEL_WIDTH + CHART_WIDTH}" y="${axisY + 16}" font-size="11" text-anchor="end">${totalSeconds} s</text>`,
    '</svg>',
    '',
  ].join('\n');
}
