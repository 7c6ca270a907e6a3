import type { DrpilotConfig, Side } from '../lambdas/core/config/schema';
import { drillStateMachineName } from '../lambdas/core/drill/runbook-states';
import { functionName, notificationTopicName } from '../lambdas/core/shared-names';

/**
 * Every physical name drpilot gives a resource, derived from the config alone. Stacks in other
 * regions compute what they need from here instead of importing CloudFormation outputs, so no
 * cross-region reference (and no SSM-backed export custom resource) is needed.
 */
export const names = {
  controlStack: (config: DrpilotConfig) => `${config.name}-drpilot-control`,
  regionStack: (config: DrpilotConfig, side: Side) => `${config.name}-drpilot-${side}`,

  /** The function the CLI invokes with `--via lambda`. */
  function: functionName,

  /** A CloudWatch alarm of the control plane, e.g. `acme-drpilot-backup-rpo`. */
  alarm: (config: DrpilotConfig, what: string) => `${config.name}-drpilot-${what}`,

  /** The `Name` tag of the Route 53 health check on a cluster's endpoint (its console label). */
  healthCheck: (config: DrpilotConfig, side: Side) => `${config.name}-drpilot-${side}-endpoint`,

  notificationTopic: notificationTopicName,
  regionAlarmTopic: (config: DrpilotConfig, side: Side) => `${config.name}-drpilot-${side}-alarms`,

  /** The node-group rollout state machine of a cluster region (names are per region). */
  resizeStateMachine: (config: DrpilotConfig) => `${config.name}-drpilot-resize-rollout`,

  /** The drill runbook's state machine in the control region (lib/drill-runbook.ts). */
  drillStateMachine: drillStateMachineName,

  /**
   * The restore drill's role when it reaches the DR cluster with EKS auth: the DR region's stack
   * names it in the cluster's access entry (the role lives in the control region's stack).
   */
  restoreDrillRole: (config: DrpilotConfig) => `${config.name}-drpilot-restore-drill`,
  /** The DNS function's role when it flips Velero in an EKS cluster (backups.velero, auth "eks"). */
  dnsRole: (config: DrpilotConfig) => `${config.name}-drpilot-dns`,

  controlKeyAlias: (config: DrpilotConfig) => `alias/${config.name}-drpilot-control`,
  regionKeyAlias: (config: DrpilotConfig, side: Side) => `alias/${config.name}-drpilot-${side}`,
};
