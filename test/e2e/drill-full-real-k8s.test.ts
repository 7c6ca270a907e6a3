import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillRealK8s } from '../support/run-cli';

// A real kube-apiserver, two Velero servers and the whole emulated estate: about 2 minutes on an
// idle 2-core machine, more when other test files share it.
const FULL_REAL_K8S_TIMEOUT_MS = 480_000;

describe('drpilot drill full --embedded --real-k8s', () => {
  it(
    'runs the whole runbook with a real restore: the primary Velero backs up, the re-sync copies it, the DR Velero restores it before the switch, and the resize drains real nodes',
    async () => {
      const { result, steps, reportDir } = await drillRealK8s('full');
      expect(result).toMatchObject({
        scenario: 'full',
        ok: true,
        emulated: true,
        kubernetesApi: expect.stringMatching(/^kube-apiserver v1\.\d+\.\d+ \+ kwok$/),
      });

      const index = (prefix: string) => steps.findIndex((s) => s.name.startsWith(prefix));
      const step = (prefix: string) => steps[index(prefix)];
      const backup = /backup (shop-\d{14}) of namespace shop Completed/.exec(
        step("restore: a real Kubernetes world, and the primary's Velero")?.detail ?? '',
      )?.[1];
      expect(backup).toBeDefined();
      // The real backup travels with the seeded ones, and the DR side restores exactly it.
      expect(step('standby bucket: every backup')?.detail).toMatch(
        /^primary → dr: 3 backup\(s\) committed/,
      );
      expect(step('restore drill: the newest')?.detail).toMatch(
        new RegExp(`^${backup} → shop-drill-\\w+: Completed, (\\d+) of \\1 item\\(s\\) restored`),
      );
      expect(result.restore).toMatchObject({
        verified: true,
        backup,
        phase: 'Completed',
        errors: [],
        cleanedUp: true,
      });
      // Proved restorable before the drill record moves to DR, and the record comes back.
      expect(index('restore drill: the newest')).toBeGreaterThan(-1);
      expect(index('restore drill: the newest')).toBeLessThan(index('switch to dr'));
      expect(step('switch to dr')?.detail).toMatch(/^switched: drill\.example\.com now points/);
      expect(step('switch back to primary')?.detail).toMatch(/^switched/);
      // The resize drained nodes of the same real API server, under a real PodDisruptionBudget.
      expect(step('resize: a Kubernetes API')?.detail).toMatch(
        /^kube-apiserver v1\.\d+\.\d+ \+ kwok/,
      );
      expect(step('resize: PodDisruptionBudget shop/web respected')?.ok).toBe(true);

      const markdown = readFileSync(join(reportDir, 'drill-report.md'), 'utf8');
      expect(markdown).toContain('# drpilot drill: full');
      expect(markdown).toContain('## Restore drill');
      expect(markdown).toContain(`| backup | ${backup} |`);
      expect(readFileSync(join(reportDir, 'drill-timeline.svg'), 'utf8')).toMatch(/^<svg /);
    },
    FULL_REAL_K8S_TIMEOUT_MS,
  );
});
