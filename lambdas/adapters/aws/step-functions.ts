import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sfnClient } from './clients';

/** Starts an execution named `name` (unique per state machine for 90 days); returns its ARN. */
export async function startExecution(
  region: string,
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<string> {
  const { executionArn } = await sfnClient(region).send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
  );
  return executionArn ?? '';
}

export interface ExecutionState {
  status: string;
  output: unknown;
  error: string | null;
  cause: string | null;
}

export async function describeExecution(
  region: string,
  executionArn: string,
): Promise<ExecutionState> {
  const execution = await sfnClient(region).send(new DescribeExecutionCommand({ executionArn }));
  return {
    status: execution.status ?? 'UNKNOWN',
    output: execution.output === undefined ? null : JSON.parse(execution.output),
    error: execution.error ?? null,
    cause: execution.cause ?? null,
  };
}
