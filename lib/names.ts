import type { DrpilotConfig, Side } from '../lambdas/core/config/schema';

/**
 * Every physical name drpilot gives a resource, derived from the config alone. Stacks in other
 * regions compute what they need from here instead of importing CloudFormation outputs, so no
 * cross-region reference (and no SSM-backed export custom resource) is needed.
 */
export const names = {
  controlStack: (config: DrpilotConfig) => `${config.name}-drpilot-control`,
  regionStack: (config: DrpilotConfig, side: Side) => `${config.name}-drpilot-${side}`,

  /** The function the CLI invokes with `--via lambda`. */
  function: (config: DrpilotConfig, job: string) => `${config.name}-drpilot-${job}`,

  /** A CloudWatch alarm of the control plane, e.g. `acme-drpilot-backup-rpo`. */
  alarm: (config: DrpilotConfig, what: string) => `${config.name}-drpilot-${what}`,

  notificationTopic: (config: DrpilotConfig) => `${config.name}-drpilot-notifications`,
  regionAlarmTopic: (config: DrpilotConfig, side: Side) => `${config.name}-drpilot-${side}-alarms`,

  controlKeyAlias: (config: DrpilotConfig) => `alias/${config.name}-drpilot-control`,
  regionKeyAlias: (config: DrpilotConfig, side: Side) => `alias/${config.name}-drpilot-${side}`,
};
