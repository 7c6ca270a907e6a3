import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../lambdas/adapters/aws/clients';
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
  const FunctionName = functionName(config, job);
  const response = await lambdaClient(region).send(
    new InvokeCommand({ FunctionName, Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : 'null';
  if (response.FunctionError) {
    const { errorMessage } = JSON.parse(text) as { errorMessage?: string };
    throw new Error(`${FunctionName} failed: ${errorMessage ?? text}`);
  }
  return JSON.parse(text);
}
