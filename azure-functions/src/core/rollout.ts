/**
 * Restarting the CoreDNS Deployment and knowing when it is back, decided exactly as kubectl does.
 *
 * Restart: `kubectl rollout restart` sets the pod template annotation
 * `kubectl.kubernetes.io/restartedAt` to `time.Now().Format(time.RFC3339)` and refuses a paused
 * Deployment (kubernetes/kubectl pkg/polymorphichelpers/objectrestarter.go,
 * `defaultObjectRestarter`); it sends the difference as a strategic merge patch, and an empty
 * patch — a restart within the same second — is an error "if restart has already been triggered
 * within the past second, please wait" (pkg/cmd/rollout/rollout_restart.go, `RunRestart`). AKS's
 * own instructions after changing coredns-custom are `kubectl -n kube-system rollout restart
 * deployment coredns` (MicrosoftDocs/azure-aks-docs articles/aks/coredns-custom.md).
 *
 * Done: {@link deploymentRolloutStatus} is kubectl's `DeploymentStatusViewer.Status`
 * (pkg/polymorphichelpers/rollout_status.go), what `kubectl rollout status` waits for.
 */

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** A Deployment as the API answers it, reduced to what the rollout decisions read. */
export interface DeploymentView {
  metadata: { name?: string; generation?: number };
  spec?: {
    replicas?: number;
    paused?: boolean;
    template?: { metadata?: { annotations?: Record<string, string> } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; reason?: string }[];
  };
}

/** Go's `time.RFC3339` of an instant, in UTC and whole seconds: `2026-05-01T12:00:00Z`. */
export function restartTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export type RestartDecision =
  | { action: 'patch'; patch: Record<string, unknown>; restartedAt: string }
  /** The annotation already holds this second: kubectl's patch would be empty; try in a second. */
  | { action: 'wait-a-second' }
  | { action: 'refuse'; reason: string };

/** The strategic merge patch `kubectl rollout restart` sends for a Deployment at `now`. */
export function planRestart(deployment: DeploymentView, now: Date): RestartDecision {
  if (deployment.spec?.paused) {
    return {
      action: 'refuse',
      reason: "can't restart paused deployment (run rollout resume first)",
    };
  }
  const restartedAt = restartTimestamp(now);
  if (deployment.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === restartedAt) {
    return { action: 'wait-a-second' };
  }
  return {
    action: 'patch',
    restartedAt,
    patch: {
      spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } },
    },
  };
}

/** kubectl's `deploymentutil.TimedOutReason`: the Progressing condition's reason past the deadline. */
export const PROGRESS_DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded';

export type RolloutStatus =
  | { state: 'done'; message: string }
  | { state: 'waiting'; message: string }
  | { state: 'failed'; message: string };

/**
 * kubectl's `DeploymentStatusViewer.Status`, check for check: the spec change is observed
 * (generation ≤ observedGeneration), the Progressing condition has not timed out, every replica is
 * updated, no old replica is left, and every updated replica is available.
 */
export function deploymentRolloutStatus(deployment: DeploymentView): RolloutStatus {
  const name = deployment.metadata.name ?? '';
  const generation = deployment.metadata.generation ?? 0;
  const status = deployment.status ?? {};
  if (generation > (status.observedGeneration ?? 0)) {
    return { state: 'waiting', message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.reason === PROGRESS_DEADLINE_EXCEEDED) {
    return { state: 'failed', message: `deployment "${name}" exceeded its progress deadline` };
  }
  const updated = status.updatedReplicas ?? 0;
  const wanted = deployment.spec?.replicas;
  if (wanted !== undefined && updated < wanted) {
    return {
      state: 'waiting',
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${wanted} new replicas have been updated...`,
    };
  }
  const replicas = status.replicas ?? 0;
  if (replicas > updated) {
    return {
      state: 'waiting',
      message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    };
  }
  const available = status.availableReplicas ?? 0;
  if (available < updated) {
    return {
      state: 'waiting',
      message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  }
  return { state: 'done', message: `deployment "${name}" successfully rolled out` };
}
