import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../lambdas/aws/clients';
import type { DrpilotConfig } from '../lambdas/core/config/schema';

/** The deployed function of a job, named as the CDK app names it. */
export function deployedFunctionName(config: DrpilotConfig, job: string): string {
  return `${config.name}-drpilot-${job}`;
}

/** Invokes a deployed drpilot function synchronously and returns its JSON answer. */
export async function invokeDeployed(
  config: DrpilotConfig,
  job: string,
  payload: Record<string, unknown>,
): Promise<unknown> {
  const FunctionName = deployedFunctionName(config, job);
  const response = await lambdaClient(config.controlRegion).send(
    new InvokeCommand({ FunctionName, Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : 'null';
  if (response.FunctionError) {
    const { errorMessage } = JSON.parse(text) as { errorMessage?: string };
    throw new Error(`${FunctionName} failed: ${errorMessage ?? text}`);
  }
  return JSON.parse(text);
}
