import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../support/example-config';
import { runCli } from '../support/run-cli';
import { tempDir } from '../support/temp-dir';

const dir = tempDir('drpilot-simulate-');
const simulate = (...args: string[]) =>
  runCli(['simulate', 'resize', '--config', EXAMPLE_CONFIG_PATH, ...args]);

/** Two hours of primary-workers at five-minute resolution, with a rise in the middle. */
function writeTrace(name: string, rows: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, ['timestamp,value,group', ...rows].join('\n'));
  return file;
}
const ROWS = Array.from({ length: 25 }, (_, i) => {
  const at = new Date(Date.UTC(2026, 5, 1, 9) + i * 5 * 60_000).toISOString();
  return `${at},${i < 10 ? 6 : 14},primary-workers`;
});

describe('drpilot simulate resize', () => {
  it('replays the synthetic trace through the four policies (--json)', async () => {
    const run = await simulate('--days', '2', '--json');
    expect(run.code).toBe(0);
    const result = run.json();
    expect(result).toMatchObject({
      group: 'primary-workers',
      metric: 'cpu',
      unit: 'vCPU',
      region: 'eu-west-1',
      trace: { kind: 'synthetic', seed: 1, days: 2, minutes: 2880 },
      setup: { nodes: 3, rungs: ['m6i.large', 'm6i.xlarge', 'm6i.2xlarge', 'm6i.4xlarge'] },
      prices: { pricedAs: 'us-east-1', listPricesAsOf: '2026-07-20' },
      tuning: null,
      chart: null,
    });
    expect(result.prices.note).toMatch(/no list prices for eu-west-1/);
    expect(result.policies.map((p: { policy: string }) => p.policy)).toEqual([
      'ladder',
      'horizontal',
      'static',
      'oracle',
    ]);
    const oracle = result.policies[3];
    expect(oracle.ratioToOracle).toBe(1);
    for (const policy of result.policies) {
      expect(policy.costUsd).toBeGreaterThan(0);
      expect(policy.costUsd).toBeGreaterThanOrEqual(oracle.costUsd);
    }
  });

  it('reads a CSV trace and a price file, prints the table and writes the chart', async () => {
    const trace = writeTrace('trace.csv', ROWS);
    const prices = join(dir, 'prices.json');
    writeFileSync(
      prices,
      JSON.stringify({
        source: 'hand-written for this test',
        date: '2026-07-01',
        usdPerHour: {
          'eu-west-1': {
            'm6i.large': 0.1,
            'm6i.xlarge': 0.2,
            'm6i.2xlarge': 0.4,
            'm6i.4xlarge': 0.8,
          },
        },
      }),
    );
    const chart = join(dir, 'chart.svg');
    const run = await simulate('--trace', trace, '--prices', prices, '--chart', chart);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${trace} (25 points)`);
    expect(run.stdout).toContain(
      'prices: eu-west-1 on-demand list prices as of 2026-07-01 (hand-written for this test)',
    );
    expect(run.stdout).toMatch(
      /^policy +cost USD +× oracle +min over capacity +beyond 20 min reaction +resizes +nodes touched$/m,
    );
    expect(run.stdout).toMatch(/^oracle \((vertical|horizontal)\) +[\d.,]+ +1\.00×/m);
    expect(run.stdout).toContain(`chart: ${chart}`);
    expect(readFileSync(chart, 'utf8')).toMatch(/^<svg [^]*<\/svg>\n$/);
  });

  it.each([
    [
      'a malformed trace line',
      () => [
        '--trace',
        writeTrace('bad.csv', [...ROWS.slice(0, 3), '2026-06-01T09:15:00Z,lots,primary-workers']),
      ],
      /bad\.csv line 5: value "lots" is not a number ≥ 0/,
    ],
    [
      'a trace that does not exist',
      () => ['--trace', join(dir, 'missing.csv')],
      /missing\.csv does not exist/,
    ],
    [
      'an unknown group',
      () => ['--group', 'nope'],
      /unknown node group "nope" \(configured: primary-workers, dr-workers\)/,
    ],
    [
      '--seed with --trace',
      () => ['--trace', writeTrace('ok.csv', ROWS), '--seed', '3'],
      /--seed and --days shape the synthetic trace/,
    ],
    [
      'a start type off the ladder',
      () => ['--start', 'm6i.8xlarge', '--days', '1'],
      /start type m6i\.8xlarge is not on the ladder/,
    ],
  ])('refuses %s with exit 2 and names it', async (_, args, message) => {
    const run = await simulate(...args(), '--json');
    expect(run.code).toBe(2);
    expect(run.json().error.kind).toBe('usage');
    expect(run.json().error.message).toMatch(message);
  });

  it('refuses a bad number of nodes before reading anything', async () => {
    const run = await simulate('--nodes', '0', '--json');
    expect(run.code).toBe(2);
    expect(run.json().error.message).toMatch(/--nodes must be a whole number from 1 to 50/);
  });
});
