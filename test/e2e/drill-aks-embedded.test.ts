import { describe, expect, it } from 'vitest';
import { drillResolverIpsOf } from '../support/drill-resolver-ips';
import { runCli } from '../support/run-cli';
import type { DrillStep } from '../../cli/drill/drill-result';

describe('drpilot drill failover --embedded --real-k8s: the AKS side', () => {
  it("runs the Function app's handlers into kube-apiserver as the shipped Role, and real CoreDNS answers from DR's resolver", async () => {
    const run = await runCli(['drill', 'failover', '--embedded', '--real-k8s', '--json']);
    const result = run.json();
    const steps: DrillStep[] = result.steps;
    expect(
      steps.filter((s) => !s.ok),
      run.stderr,
    ).toEqual([]);
    expect(run.code).toBe(0);
    // What ran for real and what was emulated is said, not hidden.
    expect(result.aksSide).toMatch(
      /^Function app handlers in process over Azurite [\d.]+ \(in memory\); cluster DNS in kube-apiserver v1\.\d+\.\d+ \+ kwok; CoreDNS-[\d.]+; ARM \(ruleset, gateway connection\) by stateful fakes, no ARM emulator exists; emulated: CoreDNS pods: kwok runs no containers/,
    );
    const aks = steps.find((s) =>
      s.name.startsWith('AKS: the Function app follows the switch to dr'),
    );
    expect(aks?.detail).toMatch(
      /accepted by the events handler \(202, applied\); dnsReconcile ×\d+ from the queue: applied ×1/,
    );
    // The write, the restart and the wait went through the API server as the shipped Role.
    expect(aks?.detail).toMatch(
      /in kube-apiserver v1\.\d+\.\d+ \+ kwok \(as the shipped Role: GET configmaps coredns-custom → 200.*PUT configmaps coredns-custom → 200.*PATCH deployments coredns → 200\)/,
    );
    const ips = drillResolverIpsOf(steps);
    expect(aks?.detail).toMatch(
      new RegExp(
        `answered drpilot-drill\\.internal\\.example\\.com → (${ips.dr.join('|')}) \\(dr's resolver; primary's not asked\\)$`,
      ),
    );
    const state = steps.find((s) => s.name.startsWith('status shows the AKS Function app'));
    expect(state?.detail).toMatch(
      /^200 in \d+ ms from https:\/\/127\.0\.0\.1:\d+\/api\/state: active dr \(eu-central-1, drill\.example\.com\)/,
    );
  });
});
