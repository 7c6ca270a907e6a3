import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { drillReportMarkdown } from '../../cli/drill/report-markdown';
import { runRunbook } from '../../cli/drill/runbook-runner';
import { resultFromHistory } from '../../cli/drill/runbook-via-lambda';
import { validateConfig } from '../../lambdas/core/config/validate';
import type { HistoryEvent } from '../../lambdas/core/drill/history-steps';
import { drillRunbook } from '../../lambdas/core/drill/runbook';
import { exampleConfig } from '../support/example-config';

const loaded = validateConfig(exampleConfig());
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const config = loaded.config;

/** A recorded GetExecutionHistory response (see test/fixtures/step-functions/README.md). */
const recorded = JSON.parse(
  readFileSync(
    new URL('../fixtures/step-functions/drill-runbook-history.json', import.meta.url),
    'utf8',
  ),
) as { events: HistoryEvent[] };

const verdicts = (steps: { name: string; ok: boolean; skipped?: boolean; detail: string }[]) =>
  steps.map((s) => ({ name: s.name, ok: s.ok, skipped: s.skipped ?? false, detail: s.detail }));

describe('drill runbook --via lambda: the report from a recorded execution history', () => {
  const result = resultFromHistory(config, recorded.events);

  it('has the steps, the failure, what was undone and the figures', () => {
    console.log(
      result.steps.map((s) => `${s.skipped ? '–' : s.ok ? '✓' : '✗'} ${s.name}`).join('\n'),
    );
    expect(result.ok).toBe(false);
    expect(verdicts(result.steps).map(({ name, ok, skipped }) => [name, ok, skipped])).toEqual([
      ['preflight', true, false],
      ['scale up dr-workers', true, true],
      ['re-sync', true, false],
      ['restore drill', true, false],
      ['switch to dr', true, false],
      ['verify DNS and TLS', true, false],
      ['AKS told', false, false],
      ['undo: switch back to primary', true, false],
    ]);
    expect(result.steps.find((s) => s.name === 'AKS told')?.detail).toMatch(/answered 401/);
    expect(result.undone).toEqual([{ name: 'undo: switch back to primary', ok: true }]);
    expect(result.rpoSeconds).toBe(1800);
    expect(result.rtoSeconds).toBeCloseTo(38.15, 2);
  });

  it('equals what the in-process runner reports for the same answers', async () => {
    // The answers each Task exited with, by step, as the runner's invoker returns them.
    const byStep = new Map<string, unknown>();
    for (const event of recorded.events) {
      const exited = event.stateExitedEventDetails;
      if (event.type !== 'TaskStateExited' || !exited?.output) continue;
      const data = JSON.parse(exited.output);
      const key = exited.name?.replace(/[^A-Za-z0-9]/g, '_') ?? '';
      byStep.set(exited.name ?? '', data.results?.[key] ?? data.undone?.[key]);
    }
    const run = await runRunbook(
      drillRunbook(config),
      { drill: true, scaleUp: false },
      async (action) => {
        if (action.id === 'AKS told')
          throw new Error(
            'Error: {"errorMessage":"acme-drpilot-aks: the Function app answered 401 (bad signature)","errorType":"Error","trace":[]}',
          );
        return byStep.get(action.id);
      },
      () => {},
    );
    expect(verdicts(result.steps).map(({ name, ok, skipped }) => ({ name, ok, skipped }))).toEqual(
      verdicts(run.steps).map(({ name, ok, skipped }) => ({ name, ok, skipped })),
    );
    // Passing steps say the same; the failure names the same error.
    const passed = (steps: typeof result.steps) =>
      verdicts(steps).filter((s) => s.ok && !s.skipped);
    expect(passed(result.steps)).toEqual(passed(run.steps));
    expect(result.undone).toEqual(run.undone);
    expect(result.rpoSeconds).toBe(run.rpoSeconds);
  });

  it('writes the same report: the step table, the undone section and the figures', () => {
    const markdown = drillReportMarkdown(result, 'drill-timeline.svg');
    expect(markdown).toContain('# drpilot drill: runbook');
    expect(markdown).toContain('**Verdict:** ❌ failed');
    expect(markdown).toContain('- RPO: 1800.0 s');
    expect(markdown).toMatch(/\| 7 \| AKS told \| \*\*failed\*\* \|/);
    expect(markdown).toContain('## Undone');
    expect(markdown).toContain('- undo: switch back to primary: ok');
  });

  it('reads the same report whether a caught Task exits or not, and from SDK Dates as from epoch seconds', () => {
    const failedAt = recorded.events.findIndex((e) => e.type === 'LambdaFunctionFailed');
    const exitedAnyway: HistoryEvent = {
      type: 'TaskStateExited',
      timestamp: recorded.events[failedAt]!.timestamp,
      stateExitedEventDetails: { name: 'AKS told', output: '{"results":{},"failure":{}}' },
    };
    const withExit = [
      ...recorded.events.slice(0, failedAt + 1),
      exitedAnyway,
      ...recorded.events.slice(failedAt + 1),
    ];
    const asDates = recorded.events.map((e) => ({
      ...e,
      timestamp: new Date((e.timestamp as number) * 1000),
    }));
    for (const events of [withExit, asDates]) {
      const again = resultFromHistory(config, events);
      expect(verdicts(again.steps)).toEqual(verdicts(result.steps));
      expect(again.undone).toEqual(result.undone);
    }
  });

  it('a history cut short (the execution still running, re-sync under way) reports what finished and is not ok', () => {
    const cut = recorded.events.slice(0, 15);
    const partial = resultFromHistory(config, cut);
    expect(partial.ok).toBe(false);
    expect(partial.steps.map((s) => s.name)).toEqual(['preflight', 'scale up dr-workers']);
  });
});
