import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from './sdk-clients/lambda';

/** Invokes a function synchronously and returns its JSON answer; a function error is thrown. */
export async function invokeFunction(
  region: string,
  functionName: string,
  payload: unknown,
): Promise<unknown> {
  const response = await lambdaClient(region).send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : 'null';
  if (response.FunctionError) {
    const { errorMessage } = JSON.parse(text) as { errorMessage?: string };
    throw new Error(`${functionName} failed: ${errorMessage ?? text}`);
  }
  return JSON.parse(text);
}
