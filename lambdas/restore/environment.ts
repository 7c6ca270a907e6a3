import type { DrpilotConfig } from '../core/config/schema';
import { CONFIG_ENV } from '../core/shared-names';
import { configFrom, environmentOf } from '../shared/environment';

export interface RestoreEnvironment {
  /** Holds backups.restoreDrill (the CDK app deploys the function only then). */
  config: DrpilotConfig;
}

export const restoreEnvironment = environmentOf([CONFIG_ENV], (): RestoreEnvironment => ({
  config: configFrom(),
}));
