import { describe, expect, it } from 'vitest';

import { resizeChartSvg } from '../../cli/simulate/resize-chart-svg';
import { simulateResize } from '../../lambdas/core/resize/simulate/simulate-resize';
import { exampleConfig } from '../support/example-config';

/**
 * Well-formed XML as far as an SVG needs: every tag closed in order, attributes quoted, no stray
 * `<` or `&` in text. Returns the first problem, or null.
 */
function xmlProblem(xml: string): string | null {
  const open: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let at = 0;
  while (at < xml.length) {
    const next = xml.indexOf('<', at);
    const text = xml.slice(at, next < 0 ? xml.length : next);
    if (/&(?!#\d+;|amp;|lt;|gt;|quot;|apos;)/.test(text)) return `unescaped & in "${text}"`;
    if (next < 0) break;
    tag.lastIndex = next;
    const match = tag.exec(xml);
    if (!match) return `malformed tag at ${next}: ${xml.slice(next, next + 40)}`;
    const [, closing, name, , selfClosing] = match;
    if (closing) {
      if (open.pop() !== name) return `</${name}> closes nothing open`;
    } else if (!selfClosing) open.push(name as string);
    at = tag.lastIndex;
  }
  return open.length === 0 ? null : `unclosed <${open.join('>, <')}>`;
}

function simulation(file: string) {
  const points = Array.from({ length: 9 * 12 }, (_, i) => ({
    timestampMs: Date.UTC(2026, 5, 1) + i * 5 * 60_000,
    value: 4 + 20 * Math.max(0, Math.sin(i / 12)),
  }));
  const result = simulateResize({
    group: exampleConfig().nodeGroups[0],
    region: 'us-east-1',
    trace: { kind: 'file', file, points },
    nodes: 3,
    startType: null,
    timing: { moveMinutes: 5, launchMinutes: 4, drainMinutes: 2 },
    prices: null,
  });
  if (!result.ok) throw new Error(result.error);
  return result;
}

describe('the simulation chart', () => {
  const { report, series } = simulation('traces/<prod & "eu">.csv');
  const svg = resizeChartSvg(report, series);

  it('is well-formed XML, escaping what it quotes', () => {
    expect(xmlProblem(svg)).toBeNull();
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('traces/&#60;prod &#38; &#34;eu&#34;&#62;.csv');
  });

  it('draws the demand and one series per policy', () => {
    expect(svg.match(/<path class="demand"/g)).toHaveLength(1);
    expect([...svg.matchAll(/<path class="series" data-policy="(\w+)"/g)].map((m) => m[1])).toEqual(
      ['ladder', 'horizontal', 'static', 'oracle'],
    );
  });

  it('puts each policy’s cost in the legend', () => {
    for (const policy of report.policies) expect(svg).toContain(`$${policy.costUsd.toFixed(2)} · `);
  });

  it('keeps a long trace to at most a thousand steps a line', () => {
    const month = simulateResize({
      group: exampleConfig().nodeGroups[0],
      region: 'us-east-1',
      trace: { kind: 'synthetic', seed: 1, days: 3 },
      nodes: 3,
      startType: null,
      timing: { moveMinutes: 5, launchMinutes: 4, drainMinutes: 2 },
      prices: null,
    });
    if (!month.ok) throw new Error(month.error);
    const monthSvg = resizeChartSvg(month.report, month.series);
    expect(xmlProblem(monthSvg)).toBeNull();
    const ladder = /data-policy="ladder" d="([^"]*)"/.exec(monthSvg)?.[1] ?? '';
    expect(ladder.match(/L/g)?.length).toBeLessThanOrEqual(1000);
  });

  it('the checker finds what it checks', () => {
    expect(xmlProblem('<svg><g></svg>')).toMatch(/closes nothing/);
    expect(xmlProblem('<svg><text>a & b</text></svg>')).toMatch(/unescaped &/);
    expect(xmlProblem('<svg width=3></svg>')).toMatch(/malformed tag/);
  });
});
