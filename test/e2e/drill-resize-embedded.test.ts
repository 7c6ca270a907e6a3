import { describe, expect, it } from 'vitest';
import { exampleConfig } from '../support/example-config';
import { runCli } from '../support/run-cli';
import type { DrillStep } from '../../cli/drill/drill-result';
import { configFile } from '../support/temp-dir';

describe('drpilot drill resize --embedded', () => {
  it('resizes one node of three through the Kubernetes API, within the budget, then the cooldown refuses a second resize', async () => {
    const run = await runCli(['drill', 'resize', '--embedded', '--json']);
    expect(run.code).toBe(0);
    const result = run.json();
    expect(result).toMatchObject({
      scenario: 'resize',
      ok: true,
      emulated: true,
      rtoSeconds: null,
      rpoSeconds: null,
    });
    const steps: DrillStep[] = result.steps;
    expect(steps.every((s) => s.ok)).toBe(true);
    const step = (prefix: string) => steps.find((s) => s.name.startsWith(prefix))?.detail;

    expect(step('resize: a Kubernetes API')).toContain('kubeconfig for https://127.0.0.1:');
    expect(step('resize: plan (dry run')).toMatch(
      /^p95 90\.0%: move 1 of 3 nodes m6i\.large → m6i\.xlarge/,
    );
    expect(step('resize: roll out primary-workers')).toMatch(
      /^1 of 3 nodes moved m6i\.large → m6i\.xlarge in \d+\.\d\d s: i-\w+ resized/,
    );
    const nodeSteps = steps.filter((s) => /^resize: node i-\w+ drained/.test(s.name));
    expect(nodeSteps).toHaveLength(1);
    expect(nodeSteps[0]!.detail).toMatch(
      /evicted shop\/web-\d-1, shop\/web-\d-2, shop\/api-\d .*stopped with only monitoring\/node-exporter-\d left; m6i\.large → m6i\.xlarge; started, Ready, uncordoned — \d+\.\d\d s from cordon to uncordon$/,
    );
    expect(step('resize: primary-workers types after')).toBe(
      '1 × m6i.xlarge, 2 × m6i.large, all running (1 moved, 2 unchanged)',
    );
    expect(step('resize: PodDisruptionBudget shop/web')).toMatch(
      /^2 pod\(s\) evicted, at most 1 disrupted at once/,
    );
    expect(step('resize: a second resize right after')).toMatch(/cooling down after a rollout/);
    expect(steps.map((s) => s.name)).not.toContain('RPO the standby side can restore');
    expect(result.kubernetesApi).toBe('fake Kubernetes API');
  });

  it('--real-k8s drains through kube-apiserver + kwok: the budget really refuses, and the report says which API ran', async () => {
    const run = await runCli(['drill', 'resize', '--embedded', '--real-k8s', '--json']);
    const result = run.json();
    const steps: DrillStep[] = result.steps;
    expect(
      steps.filter((s) => !s.ok),
      run.stderr,
    ).toEqual([]);
    expect(run.code).toBe(0);
    expect(result.kubernetesApi).toMatch(/^kube-apiserver v1\.\d+\.\d+ \+ kwok$/);
    const step = (prefix: string) => steps.find((s) => s.name.startsWith(prefix))?.detail;
    expect(step('resize: a Kubernetes API')).toMatch(
      /^kube-apiserver v1\.\d+\.\d+ \+ kwok: 3 Ready nodes .*6 × Deployment shop\/web; PodDisruptionBudget shop\/web maxUnavailable 1; kubeconfig for https:\/\/127\.0\.0\.1:/,
    );
    const nodeSteps = steps.filter((s) => /^resize: node i-\w+ drained/.test(s.name));
    expect(nodeSteps).toHaveLength(1);
    expect(nodeSteps[0]!.detail).toMatch(
      /evicted shop\/api-\S+, shop\/web-\S+, shop\/web-\S+ \([1-9]\d* × 429 from the budget meanwhile\); stopped with only monitoring\/node-exporter-\S+ left/,
    );
    expect(step('resize: PodDisruptionBudget shop/web')).toMatch(
      /^2 pod\(s\) evicted, at most 1 disrupted at once \(maxUnavailable 1\); [1-9]\d* eviction\(s\) answered 429/,
    );
    const human = await runCli(['drill', 'resize', '--real-k8s']);
    expect(human.code).toBe(2);
    expect(human.stdout).toBe(
      'drpilot drill: --real-k8s drills the embedded estate: add --embedded\n',
    );
  });

  it('exits 1 when a step fails: a config without an ec2 node group leaves nothing to drill', async () => {
    const config = exampleConfig();
    config.nodeGroups = [];
    const file = configFile(config, 'drpilot-drill-resize-');
    const run = await runCli(['drill', 'resize', '--embedded', '--config', file, '--json']);
    expect(run.code).toBe(1);
    const result = run.json();
    expect(result.ok).toBe(false);
    expect(result.steps.at(-1)).toMatchObject({
      name: 'resize: an ec2 node group to drill',
      ok: false,
      detail: 'no node group of kind "ec2" with a tag selector and kubernetes.kubeconfigSecret',
    });
  });
});
