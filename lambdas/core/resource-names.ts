import type { DrpilotConfig } from './config/schema';

/** Names the CDK app gives resources that functions and the CLI find at run time. */
export function functionName(config: DrpilotConfig, job: string): string {
  return `${config.name}-drpilot-${job}`;
}

export function notificationTopicName(config: DrpilotConfig): string {
  return `${config.name}-drpilot-notifications`;
}

/** The environment variable the CDK app sets to the notification topic's ARN (not a secret). */
export const NOTIFICATION_TOPIC_ENV = 'DRPILOT_NOTIFICATION_TOPIC_ARN';
