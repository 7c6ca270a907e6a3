import { invokeFunction } from '../lambdas/adapters/aws/lambda-invoke';
import type { DrpilotConfig } from '../lambdas/core/config/schema';
import { functionName } from '../lambdas/core/shared-names';

/** Invokes a deployed drpilot function synchronously and returns its JSON answer. */
export async function invokeDeployed(
  config: DrpilotConfig,
  job: string,
  payload: Record<string, unknown>,
  /** Where the function runs; the control region's functions by default. */
  region: string = config.controlRegion,
): Promise<unknown> {
  return invokeFunction(region, functionName(config, job), payload);
}
