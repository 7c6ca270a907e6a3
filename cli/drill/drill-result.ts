export const DRILL_SCENARIOS = ['failover', 'failback', 'resize', 'resync', 'full'] as const;
export type DrillScenario = (typeof DRILL_SCENARIOS)[number];

export interface DrillStep {
  name: string;
  ok: boolean;
  startedAt: string;
  endedAt: string;
  detail: string;
}

/** The contract's drill result; figures from emulated clouds are marked emulated. */
export interface DrillResult {
  scenario: DrillScenario;
  ok: boolean;
  emulated: boolean;
  steps: DrillStep[];
  rtoSeconds: number | null;
  rpoSeconds: number | null;
  /**
   * The Kubernetes API the embedded resize drained through: `fake Kubernetes API`, or with
   * `--real-k8s` `kube-apiserver v1.37.2 + kwok`; null when no embedded resize ran.
   */
  kubernetesApi: string | null;
}
