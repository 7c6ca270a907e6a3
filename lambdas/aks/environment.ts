import type { DrpilotConfig } from '../core/config/schema';
import { CONFIG_ENV, NOTIFICATION_TOPIC_ENV, regionAlarmTopicName } from '../core/shared-names';
import { configFrom, environmentOf, requiredVariable } from '../shared/environment';

export interface TunnelEnvironment {
  config: DrpilotConfig;
  /** The cluster region whose tunnels this function watches (Lambda sets AWS_REGION). */
  region: string;
  /** The region's alarm topic as deployed; found by its name when run locally. */
  topic: string;
}

export const tunnelEnvironment = environmentOf(
  [CONFIG_ENV, 'AWS_REGION', NOTIFICATION_TOPIC_ENV],
  (env): TunnelEnvironment => {
    const config = configFrom();
    const region = requiredVariable(env, 'AWS_REGION', 'Lambda sets it; set it to run locally');
    return {
      config,
      region,
      topic: env[NOTIFICATION_TOPIC_ENV] ?? regionAlarmTopicName(config, region),
    };
  },
);
