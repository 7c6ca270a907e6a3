import type { DrillResult } from './drill-result';

function seconds(step: { startedAt: string; endedAt: string }): string {
  return ((Date.parse(step.endedAt) - Date.parse(step.startedAt)) / 1000).toFixed(2);
}

function figure(value: number | null, emulated: boolean): string {
  if (value === null) return 'not measured in this scenario';
  return `${value.toFixed(1)} s${emulated ? ' (emulated)' : ''}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function drillReportMarkdown(result: DrillResult, timelineFile: string): string {
  const first = result.steps[0];
  const lines = [
    `# drpilot drill: ${result.scenario}`,
    '',
    `**Verdict:** ${result.ok ? '✅ passed' : '❌ failed'}${result.emulated ? ' — against emulated clouds (moto); figures are not production figures' : ''}`,
    '',
    `- Started: ${first?.startedAt ?? 'n/a'}`,
    `- RTO: ${figure(result.rtoSeconds, result.emulated)}`,
    `- RPO: ${figure(result.rpoSeconds, result.emulated)}`,
    ...(result.kubernetesApi ? [`- Kubernetes API: ${result.kubernetesApi}`] : []),
    '',
    `![timeline](${timelineFile})`,
    '',
    '| # | step | result | seconds | detail |',
    '|---|---|---|---|---|',
    ...result.steps.map(
      (step, i) =>
        `| ${i + 1} | ${cell(step.name)} | ${step.ok ? 'ok' : '**failed**'} | ${seconds(step)} | ${cell(step.detail)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
