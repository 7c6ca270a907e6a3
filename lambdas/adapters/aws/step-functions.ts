import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { sfnClient } from './sdk-clients/sfn';

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

/** Every event of an execution's history, oldest first (GetExecutionHistory, all pages). */
export async function executionHistory(
  region: string,
  executionArn: string,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfnClient(region).send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The ARN of the state machine named `name` in `region`, or null (ListStateMachines, all pages). */
export async function stateMachineArnByName(region: string, name: string): Promise<string | null> {
  let nextToken: string | undefined;
  do {
    const page = await sfnClient(region).send(new ListStateMachinesCommand({ nextToken }));
    const found = page.stateMachines?.find((m) => m.name === name);
    if (found?.stateMachineArn) return found.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  return null;
}
