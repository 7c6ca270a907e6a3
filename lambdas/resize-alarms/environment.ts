import type { DrpilotConfig } from '../core/config/schema';
import { CONFIG_ENV } from '../core/shared-names';
import { configFrom, environmentOf, requiredVariable } from '../shared/environment';

export interface ResizeAlarmsEnvironment {
  config: DrpilotConfig;
  /** The region whose node groups this function keeps alarms for (Lambda sets AWS_REGION). */
  region: string;
}

export const resizeAlarmsEnvironment = environmentOf(
  [CONFIG_ENV, 'AWS_REGION'],
  (env): ResizeAlarmsEnvironment => ({
    config: configFrom(),
    region: requiredVariable(env, 'AWS_REGION', 'Lambda sets it; set it to run locally'),
  }),
);
