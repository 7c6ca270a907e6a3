import type { DrillResult, DrillStep, RestoreFigures } from './drill-result';

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

function ms(value: number | null): string {
  return value === null ? '—' : `${(value / 1000).toFixed(1)} s`;
}

function verdict(step: DrillStep): string {
  return step.skipped ? 'skipped' : step.ok ? 'ok' : '**failed**';
}

/** The steps that `keep` selects, numbered as in the result's list of steps. */
function stepTable(steps: DrillStep[], keep: (step: DrillStep) => boolean): string[] {
  return [
    '| # | step | result | seconds | detail |',
    '|---|---|---|---|---|',
    ...steps.flatMap((step, i) =>
      keep(step)
        ? [
            `| ${i + 1} | ${cell(step.name.trim())} | ${verdict(step)} | ${seconds(step)} | ${cell(step.detail)} |`,
          ]
        : [],
    ),
  ];
}

function restoreTable(restore: RestoreFigures, emulated: boolean): string[] {
  const listed = (lines: string[]) =>
    lines.length === 0 ? '0' : `${lines.length}: ${lines.join('; ')}`;
  const rows: [string, string][] = [
    ['verdict', restore.verified ? '✅ verified' : '❌ not verified'],
    ['performed by', restore.velero],
    ['backup', restore.backup ?? '—'],
    ['scratch namespaces', restore.scratchNamespaces.join(', ') || '—'],
    ['Restore phase', restore.phase ?? '—'],
    ['items restored', `${restore.itemsRestored ?? 0} of ${restore.totalItems ?? 0}`],
    ["Velero's warnings", listed(restore.warnings)],
    ["Velero's errors", listed(restore.errors)],
    ['Deployments Available', restore.deploymentsAvailable],
    ['backup synced in the DR cluster after', ms(restore.durations.backupSyncMs)],
    ['restore took', ms(restore.durations.restoreMs)],
    ['Deployments Available after', ms(restore.durations.deploymentsAvailableMs)],
    ['cleanup took', ms(restore.durations.cleanupMs)],
    [
      'cleaned up',
      restore.cleanedUp ? 'yes: namespaces, Restore (and its bucket files), ConfigMap' : '**no**',
    ],
    [
      'verified RPO',
      restore.verifiedRpoSeconds === null
        ? 'no backup verified yet'
        : `${restore.verifiedRpoSeconds} s${emulated ? ' (emulated)' : ''}`,
    ],
  ];
  return [
    '| figure | value |',
    '|---|---|',
    ...rows.map(([name, value]) => `| ${name} | ${cell(value)} |`),
  ];
}

/**
 * The drill report: the verdict and its figures, the timeline, the measured steps, the restore
 * drill's figures, and — apart, since they measure nothing — the setup steps (emulators, seeding).
 */
export function drillReportMarkdown(result: DrillResult, timelineFile: string): string {
  const measured = result.steps.filter((s) => s.phase !== 'setup');
  const setup = result.steps.filter((s) => s.phase === 'setup');
  const first = measured[0] ?? result.steps[0];
  const restore = result.restore ?? null;
  const lines = [
    `# drpilot drill: ${result.scenario}`,
    '',
    `**Verdict:** ${result.ok ? '✅ passed' : '❌ failed'}${result.emulated ? ' — against emulated clouds (moto); figures are not production figures' : ''}`,
    '',
    `- Started: ${first?.startedAt ?? 'n/a'}`,
    `- RTO: ${figure(result.rtoSeconds, result.emulated)}`,
    `- RPO: ${figure(result.rpoSeconds, result.emulated)}`,
    ...(restore
      ? [
          `- Verified RPO (the newest backup a restore drill actually restored): ${restore.verifiedRpoSeconds === null ? 'none yet' : figure(restore.verifiedRpoSeconds, result.emulated)}`,
        ]
      : []),
    ...(result.kubernetesApi ? [`- Kubernetes API: ${result.kubernetesApi}`] : []),
    ...(result.aksSide ? [`- AKS side: ${result.aksSide}`] : []),
    '',
    `![timeline](${timelineFile})`,
    '',
    '## Drill steps',
    '',
    ...stepTable(result.steps, (s) => s.phase !== 'setup'),
    ...(result.undone?.length
      ? [
          '',
          '## Undone (the failed run put back what the runbook marks reversible)',
          '',
          ...result.undone.map((u) => `- ${u.name}: ${u.ok ? 'ok' : '**failed**'}`),
        ]
      : []),
    ...(restore ? ['', '## Restore drill', '', ...restoreTable(restore, result.emulated)] : []),
    ...(setup.length
      ? [
          '',
          '## Setup (emulators, seeding, servers — not part of the measured drill)',
          '',
          ...stepTable(result.steps, (s) => s.phase === 'setup'),
        ]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}
