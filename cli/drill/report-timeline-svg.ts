import type { DrillResult, DrillStep } from './drill-result';

const ROW = 26;
const LABEL_WIDTH = 380;
const LABEL_CHARS = 58;
const DURATION_WIDTH = 70;
const CHART_WIDTH = 520;
const TOP = 44;
const SECTION_GAP = 52;

const OK = '#2e9d5b';
const FAILED = '#d64545';
const SKIPPED = '#b9bec5';
const RTO = '#f0a030';
const RPO = '#3b6fd4';

function truncate(text: string): string {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

interface Section {
  title: string;
  steps: DrillStep[];
  top: number;
  start: number;
  span: number;
}

function section(title: string, steps: DrillStep[], top: number): Section {
  const times = steps.flatMap((s) => [Date.parse(s.startedAt), Date.parse(s.endedAt)]);
  const start = Math.min(...times);
  return { title, steps, top, start, span: Math.max(Math.max(...times) - start, 1) };
}

const xOf = (s: Section, ms: number) => LABEL_WIDTH + ((ms - s.start) / s.span) * CHART_WIDTH;
const bottomOf = (s: Section) => s.top + 22 + s.steps.length * ROW;

function rows(s: Section, width: number): string[] {
  const out = [
    `<text x="8" y="${s.top + 14}" font-size="13" font-weight="bold">${escapeXml(s.title)}</text>`,
  ];
  s.steps.forEach((step, i) => {
    const y = s.top + 22 + i * ROW;
    const left = xOf(s, Date.parse(step.startedAt));
    const barWidth = Math.max(xOf(s, Date.parse(step.endedAt)) - left, 2);
    const seconds = (Date.parse(step.endedAt) - Date.parse(step.startedAt)) / 1000;
    const fill = step.skipped ? SKIPPED : step.ok ? OK : FAILED;
    out.push(
      `<text x="8" y="${y + 16}" font-size="12"${step.skipped ? ' fill="#777"' : ''}>${escapeXml(truncate(step.name))}</text>`,
      `<text x="${width - 8}" y="${y + 16}" font-size="11" text-anchor="end">${step.skipped ? 'skipped' : `${seconds.toFixed(2)} s`}</text>`,
      `<rect x="${left.toFixed(1)}" y="${y + 4}" width="${barWidth.toFixed(1)}" height="16" rx="3" fill="${fill}"><title>${escapeXml(`${step.name.trim()}: ${step.skipped ? 'skipped' : `${seconds.toFixed(2)} s`} — ${step.detail}`)}</title></rect>`,
    );
  });
  const axisY = bottomOf(s) + 8;
  out.push(
    `<line x1="${LABEL_WIDTH}" y1="${axisY}" x2="${LABEL_WIDTH + CHART_WIDTH}" y2="${axisY}" stroke="#555"/>`,
    `<text x="${LABEL_WIDTH}" y="${axisY + 16}" font-size="11">0 s</text>`,
    `<text x="${LABEL_WIDTH + CHART_WIDTH}" y="${axisY + 16}" font-size="11" text-anchor="end">${(s.span / 1000).toFixed(1)} s</text>`,
  );
  return out;
}

/**
 * RTO: a band over the drill's rows from the primary's failure to the end of the failover step
 * (rtoSeconds long, ending when the record was switched). RPO: a line at that switch, labelled
 * with the data age DR restores (and the verified RPO, when a restore drill ran).
 */
function marks(s: Section, result: DrillResult): string[] {
  const failover = s.steps.find((step) => step.name.startsWith('failover:') && step.ok);
  if (!failover) return [];
  const switched = Date.parse(failover.endedAt);
  const x = xOf(s, switched);
  const top = s.top + 20;
  const height = bottomOf(s) - top;
  const out: string[] = [];
  if (result.rtoSeconds !== null) {
    const left = xOf(s, switched - result.rtoSeconds * 1000);
    out.push(
      `<rect x="${left.toFixed(1)}" y="${top}" width="${Math.max(x - left, 2).toFixed(1)}" height="${height}" fill="${RTO}" fill-opacity="0.18" stroke="${RTO}"><title>RTO ${result.rtoSeconds.toFixed(1)} s: from the primary's failure to the switched record</title></rect>`,
      `<text x="${Math.max(left - 4, LABEL_WIDTH).toFixed(1)}" y="${top - 4}" font-size="11" fill="#a0600a" text-anchor="end">RTO ${result.rtoSeconds.toFixed(1)} s</text>`,
    );
  }
  if (result.rpoSeconds !== null) {
    const verified = result.restore?.verifiedRpoSeconds;
    const label = `RPO ${duration(result.rpoSeconds)}${verified !== undefined && verified !== null ? `, verified ${duration(verified)}` : ''}`;
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${top + height}" stroke="${RPO}" stroke-dasharray="4 3"><title>${escapeXml(`${label}: how old the newest backup DR can restore was at the switch`)}</title></line>`,
      `<text x="${(x + 4).toFixed(1)}" y="${top - 4}" font-size="11" fill="${RPO}">${escapeXml(label)}</text>`,
    );
  }
  return out;
}

/**
 * A Gantt-style timeline: the measured drill steps on their own time axis (green ok, red failed,
 * grey skipped) with the RTO and RPO marked, and the setup steps (emulators, seeding, servers)
 * apart below on theirs, so that minutes of setup do not squeeze the drill into a corner.
 */
export function drillTimelineSvg(result: DrillResult): string {
  const width = LABEL_WIDTH + CHART_WIDTH + DURATION_WIDTH;
  const measured = result.steps.filter((s) => s.phase !== 'setup');
  const setup = result.steps.filter((s) => s.phase === 'setup');
  const sections: Section[] = [];
  let top = TOP;
  if (measured.length) {
    sections.push(section('Drill steps (measured)', measured, top + 14));
    top = bottomOf(sections[sections.length - 1] as Section) + SECTION_GAP;
  }
  if (setup.length) {
    sections.push(section('Setup: emulators, seeding, servers (not measured)', setup, top));
    top = bottomOf(sections[sections.length - 1] as Section) + SECTION_GAP;
  }
  const height = top;
  const title = `drpilot drill ${result.scenario}: ${result.ok ? 'passed' : 'failed'}${result.emulated ? ' (emulated)' : ''}`;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...sections.flatMap((s, i) => [
      ...rows(s, width),
      ...(i === 0 && s.steps === measured ? marks(s, result) : []),
    ]),
    '</svg>',
    '',
  ].join('\n');
}
