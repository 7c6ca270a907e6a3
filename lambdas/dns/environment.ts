import type { DrpilotConfig } from '../core/config/schema';
import { CONFIG_ENV, NOTIFICATION_TOPIC_ENV, notificationTopicName } from '../core/shared-names';
import { configFrom, environmentOf } from '../shared/environment';

export interface DnsEnvironment {
  config: DrpilotConfig;
  /** The topic's ARN as deployed; found by its name when run locally. */
  notificationTopic: string;
}

export const dnsEnvironment = environmentOf(
  [CONFIG_ENV, NOTIFICATION_TOPIC_ENV],
  (env): DnsEnvironment => {
    const config = configFrom();
    return {
      config,
      notificationTopic: env[NOTIFICATION_TOPIC_ENV] ?? notificationTopicName(config),
    };
  },
);
