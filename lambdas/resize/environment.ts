import type { DrpilotConfig } from '../core/config/schema';
import { CONFIG_ENV, RESIZE_STATE_MACHINE_ENV } from '../core/shared-names';
import { configFrom, environmentOf, requiredVariable } from '../shared/environment';

export interface ResizeEnvironment {
  config: DrpilotConfig;
  /** The cluster region this function serves (Lambda sets AWS_REGION). */
  region: string;
  /** The rollout state machine the function hands rollouts to. */
  stateMachineArn: string;
}

export const resizeEnvironment = environmentOf(
  [CONFIG_ENV, 'AWS_REGION', RESIZE_STATE_MACHINE_ENV],
  (env): ResizeEnvironment => ({
    config: configFrom(),
    region: requiredVariable(env, 'AWS_REGION', 'Lambda sets it; set it to run locally'),
    stateMachineArn: requiredVariable(
      env,
      RESIZE_STATE_MACHINE_ENV,
      'the CDK app sets it to the rollout state machine',
    ),
  }),
);
