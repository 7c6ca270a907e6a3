export const DRILL_SCENARIOS = [
  'failover',
  'failback',
  'resize',
  'resync',
  'restore',
  'full',
  'runbook',
] as const;
export type DrillScenario = (typeof DRILL_SCENARIOS)[number];

export interface DrillStep {
  name: string;
  ok: boolean;
  startedAt: string;
  endedAt: string;
  detail: string;
  /**
   * `setup`: preparing the drill (emulators, seeding, starting servers), not part of what it
   * measures; reports show these apart. Absent: a measured drill step.
   */
  phase?: 'setup';
  /** The step did not run (the detail says why); it neither passed nor failed anything. */
  skipped?: boolean;
}

/** The restore drill's figures (see lambdas/restore/run-restore.ts), for the report's table. */
export interface RestoreFigures {
  verified: boolean;
  backup: string | null;
  /** Scratch namespaces it restored into (all removed afterwards). */
  scratchNamespaces: string[];
  phase: string | null;
  itemsRestored: number | null;
  totalItems: number | null;
  warnings: string[];
  errors: string[];
  deploymentsAvailable: string;
  durations: {
    backupSyncMs: number | null;
    restoreMs: number | null;
    deploymentsAvailableMs: number | null;
    cleanupMs: number | null;
  };
  cleanedUp: boolean;
  /** The age of the newest backup a drill actually restored, after this run. */
  verifiedRpoSeconds: number | null;
  /** What performed the restore: `Velero v1.18.3 + velero-plugin-for-aws v1.14.3`, or the DR cluster's. */
  velero: string;
}

/** An undo action a failed runbook drill ran (newest reversible step first). */
export interface UndoneStep {
  name: string;
  ok: boolean;
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
  /**
   * Embedded, with an AKS side: what ran for it and what was emulated (the Function app's handlers
   * over Azurite; the cluster DNS in kube-apiserver + kwok or in memory; CoreDNS or none); null
   * otherwise.
   */
  aksSide?: string | null;
  /** The restore drill's figures; null when no restore step ran (skipped, or not in the scenario). */
  restore?: RestoreFigures | null;
  /**
   * Runbook drills: what a failed run undid (the reversible steps that had passed, newest first);
   * empty when nothing needed undoing.
   */
  undone?: UndoneStep[];
}
