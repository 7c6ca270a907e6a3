import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillRealK8s, runCli } from '../support/run-cli';
import type { DrillStep } from '../../cli/drill/drill-result';

describe('drpilot drill restore --embedded', () => {
  it('without --real-k8s skips the restore and says why: no Velero build, no emulated restore', async () => {
    const run = await runCli(['drill', 'restore', '--embedded', '--json']);
    expect(run.code).toBe(0);
    const result = run.json();
    expect(result).toMatchObject({ scenario: 'restore', ok: true, emulated: true, restore: null });
    const steps: DrillStep[] = result.steps;
    expect(steps.map((s) => [s.name, s.phase ?? 'drill', Boolean(s.skipped)])).toEqual([
      ['start emulated AWS (moto)', 'setup', false],
      ['seed the two-region estate', 'setup', false],
      ['re-sync: copy every restorable Velero backup to the standby side', 'drill', false],
      ['standby bucket: every backup its Velero can see is restorable', 'drill', false],
      ['re-sync again: nothing new, nothing copied', 'drill', false],
      ['RPO the standby side can restore', 'drill', false],
      [
        'restore drill: the newest restorable backup into scratch namespaces of the DR cluster',
        'drill',
        true,
      ],
    ]);
    expect(steps[6]?.detail).toBe(
      'skipped: not emulated: a restore is proved by a real Velero server only; run the drill with --real-k8s after `npm run setup:k8s` and `npm run setup:velero`',
    );
  });

  it('--real-k8s: the primary Velero backs up, the re-sync copies, the DR Velero restores into a scratch namespace, all cleaned up, and the report shows it', async () => {
    const { result, steps, reportDir } = await drillRealK8s('restore');
    const step = (prefix: string) => steps.find((s) => s.name.startsWith(prefix));
    expect(step("restore: a real Kubernetes world, and the primary's Velero")).toMatchObject({
      phase: 'setup',
      detail: expect.stringMatching(
        /^kube-apiserver v1\.\d+\.\d+ \+ kwok, Velero v1\.18\.3 \+ velero-plugin-for-aws v1\.14\.3: backup (shop-\d{14}) of namespace shop Completed, \d+ item\(s\), into acme-velero-eu-west-1$/,
      ),
    });
    const backup = /backup (shop-\d{14})/.exec(
      step('restore: a real Kubernetes world')?.detail ?? '',
    )?.[1];
    // The re-sync copied the real backup with the seeded ones; the drill restored the newest: it.
    expect(step('re-sync: copy')?.detail).toMatch(/^primary → dr: 3 backup\(s\) committed/);
    expect(step("restore: the DR cluster's Velero")).toMatchObject({ phase: 'setup' });
    expect(step('restore drill: the newest')?.detail).toMatch(
      new RegExp(
        `^${backup} → shop-drill-\\w+: Completed, (\\d+) of \\1 item\\(s\\) restored, 1 warning\\(s\\), 0 error\\(s\\); 1/1 Deployment\\(s\\) Available; cleaned up$`,
      ),
    );
    expect(steps.filter((s) => s.name.startsWith('  restore drill · ')).map((s) => s.name)).toEqual(
      [
        '  restore drill · backup synced in the DR cluster',
        '  restore drill · restore',
        '  restore drill · Deployments Available',
        '  restore drill · cleanup',
      ],
    );
    expect(step('restore drill: what the scratch namespaces held')?.detail).toMatch(
      /^shop-drill-\w+: Deployments web, ConfigMaps web-config, Services web — every one labelled drpilot\.io\/drill; no Ingress, no external-dns, no external-dns annotation$/,
    );
    expect(result.restore).toMatchObject({
      verified: true,
      backup,
      phase: 'Completed',
      errors: [],
      deploymentsAvailable: '1/1',
      cleanedUp: true,
      velero: expect.stringContaining('Velero v1.18.3'),
    });
    expect(result.restore.verifiedRpoSeconds).toEqual(expect.any(Number));

    const markdown = readFileSync(join(reportDir, 'drill-report.md'), 'utf8');
    expect(markdown).toContain('## Restore drill');
    expect(markdown).toContain(`| backup | ${backup} |`);
    expect(markdown).toContain(
      '| cleaned up | yes: namespaces, Restore (and its bucket files), ConfigMap |',
    );
    expect(markdown.indexOf('## Setup')).toBeGreaterThan(markdown.indexOf('## Restore drill'));
    const svg = readFileSync(join(reportDir, 'drill-timeline.svg'), 'utf8');
    expect(svg).toContain('Setup: emulators, seeding, servers (not measured)');
  }, 300_000);
});
