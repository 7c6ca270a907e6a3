import { describe, expect, it } from 'vitest';
import type { DrillResult, DrillStep } from '../../cli/drill/drill-result';
import { drillReportMarkdown } from '../../cli/drill/report-markdown';
import { drillTimelineSvg } from '../../cli/drill/report-timeline-svg';

const T0 = Date.parse('2026-06-01T10:00:00Z');
const step = (
  name: string,
  fromS: number,
  toS: number,
  extra: Partial<DrillStep> = {},
): DrillStep => ({
  name,
  ok: true,
  startedAt: new Date(T0 + fromS * 1000).toISOString(),
  endedAt: new Date(T0 + toS * 1000).toISOString(),
  detail: `${name} detail`,
  ...extra,
});

/** 60 s of setup, then a 20 s drill whose failover took the record over 4 s after the outage. */
const result: DrillResult = {
  scenario: 'full',
  ok: true,
  emulated: true,
  steps: [
    step('start emulated AWS (moto)', 0, 10, { phase: 'setup' }),
    step('seed the two-region estate', 10, 60, { phase: 'setup' }),
    step('re-sync: copy every restorable Velero backup to the standby side', 60, 62),
    step('restore drill: the newest restorable backup into scratch namespaces', 62, 62, {
      skipped: true,
      detail: 'skipped: not emulated',
    }),
    step('primary fails: its health alarm goes to ALARM', 66, 67),
    step('failover: drill.example.com → dr', 67, 70),
    step('verify: the record serves from dr', 70, 80, { ok: false, detail: 'still primary' }),
  ],
  rtoSeconds: 4,
  rpoSeconds: 1200,
  kubernetesApi: null,
  restore: {
    verified: true,
    backup: 'shop-20260601095500',
    scratchNamespaces: ['shop-drill-ab12cd'],
    phase: 'Completed',
    itemsRestored: 14,
    totalItems: 14,
    warnings: ['shop-drill-ab12cd: could not restore, ConfigMap:kube-root-ca.crt already exists'],
    errors: [],
    deploymentsAvailable: '1/1',
    durations: {
      backupSyncMs: 120,
      restoreMs: 2100,
      deploymentsAvailableMs: 1500,
      cleanupMs: 9000,
    },
    cleanedUp: true,
    verifiedRpoSeconds: 3600,
    velero: 'kube-apiserver v1.37.2 + kwok, Velero v1.18.3 + velero-plugin-for-aws v1.14.3',
  },
};

describe('the drill report', () => {
  const markdown = drillReportMarkdown(result, 'drill-timeline.svg');

  it('lists the measured steps apart from the setup steps, numbered as in the result', () => {
    const [drill = '', rest = ''] = markdown.split('## Drill steps');
    expect(drill).toContain('- Started: 2026-06-01T10:01:00.000Z'); // the first measured step
    const [measured = '', setup = ''] = rest.split('## Setup');
    expect(measured).toContain(
      '| 3 | re-sync: copy every restorable Velero backup to the standby side | ok | 2.00 |',
    );
    expect(measured).toContain(
      '| 4 | restore drill: the newest restorable backup into scratch namespaces | skipped | 0.00 | skipped: not emulated |',
    );
    expect(measured).toContain(
      '| 7 | verify: the record serves from dr | **failed** | 10.00 | still primary |',
    );
    expect(measured).not.toContain('seed the two-region estate');
    expect(setup).toContain('| 1 | start emulated AWS (moto) | ok | 10.00 |');
    expect(setup).toContain('| 2 | seed the two-region estate | ok | 50.00 |');
  });

  it("gives RTO, RPO and the verified RPO, and the restore's figures in a table", () => {
    expect(markdown).toContain('- RTO: 4.0 s (emulated)');
    expect(markdown).toContain('- RPO: 1200.0 s (emulated)');
    expect(markdown).toContain(
      '- Verified RPO (the newest backup a restore drill actually restored): 3600.0 s (emulated)',
    );
    for (const row of [
      '| verdict | ✅ verified |',
      '| backup | shop-20260601095500 |',
      '| scratch namespaces | shop-drill-ab12cd |',
      '| items restored | 14 of 14 |',
      "| Velero's warnings | 1: shop-drill-ab12cd: could not restore, ConfigMap:kube-root-ca.crt already exists |",
      "| Velero's errors | 0 |",
      '| Deployments Available | 1/1 |',
      '| restore took | 2.1 s |',
      '| cleanup took | 9.0 s |',
      '| verified RPO | 3600 s (emulated) |',
    ]) {
      expect(markdown).toContain(row);
    }
  });

  it('draws the drill on its own axis with the RTO and RPO marked, the setup apart', () => {
    const svg = drillTimelineSvg(result);
    const drillAt = svg.indexOf('Drill steps (measured)');
    const setupAt = svg.indexOf('Setup: emulators, seeding, servers (not measured)');
    expect(drillAt).toBeGreaterThan(0);
    expect(setupAt).toBeGreaterThan(drillAt);
    // The drill's axis spans its own 20 s, the setup's its own 60 s.
    expect(svg).toMatch(/text-anchor="end">20\.0 s<\/text>/);
    expect(svg).toMatch(/text-anchor="end">60\.0 s<\/text>/);
    // The RTO band: 4 s of the drill's 20 s axis (520 px) ends where the failover step ends.
    const band = /<rect x="([\d.]+)" y="\d+" width="([\d.]+)" height="\d+" fill="#f0a030"/.exec(
      svg,
    );
    expect(band).not.toBeNull();
    expect(Number(band?.[2])).toBeCloseTo((4 / 20) * 520, 0);
    expect(Number(band?.[1]) + Number(band?.[2])).toBeCloseTo(380 + (10 / 20) * 520, 0);
    expect(svg).toContain('>RTO 4.0 s</text>');
    expect(svg).toContain('>RPO 20 min, verified 60 min</text>');
    expect(svg.match(/fill="#b9bec5"/g)).toHaveLength(1); // the skipped step
    expect(svg.match(/fill="#d64545"/g)).toHaveLength(1); // the failed step
    expect(svg.match(/fill="#2e9d5b"/g)).toHaveLength(5);
  });

  it('marks nothing without a failover, and draws one section without setup steps', () => {
    const svg = drillTimelineSvg({
      ...result,
      steps: result.steps.slice(2, 3),
      rtoSeconds: null,
      restore: null,
    });
    expect(svg).not.toContain('#f0a030');
    expect(svg).not.toContain('RPO');
    expect(svg).not.toContain('Setup:');
  });
});
