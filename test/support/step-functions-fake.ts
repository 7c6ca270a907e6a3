import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake of Step Functions for the states drpilot's rollout uses (moto stores state machines but
 * cannot run Lambda tasks without Docker). It interprets Amazon States Language as documented:
 * - **Task**: the input (or its `Parameters`, resolved) goes to `invoke(Resource, input)`; its
 *   answer is placed at `ResultPath` (default `$`; `null` keeps the input). A throw is matched
 *   against `Catch` (`States.ALL` or the error's name) and `{ Error, Cause }` is placed at the
 *   catcher's `ResultPath` in the input; with no match the execution FAILS. `Retry` is ignored
 *   (nothing here fails transiently).
 * - **Choice**: the first rule whose `Variable` `BooleanEquals` / `StringEquals` /
 *   `NumericGreaterThanEqualsPath` matches, else `Default` (and `States.NoChoiceMatched` without
 *   one).
 * - **Wait**: `Seconds` or `SecondsPath` handed to `sleep`.
 * - **Pass** (`Result` or `Parameters`, at `ResultPath`), **Succeed**, **Fail**; `Next` / `End`.
 * - `Parameters`: `"key.$"` is a path or the intrinsic `States.MathAdd` / `States.Format`.
 * Anything else in a state (InputPath, ResultSelector, Map, …) throws "not modelled", so a
 * definition that outgrows the fake fails its test instead of being misread. Paths are `$` or
 * `$.a.b` only.
 */
export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  [field: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

export type TaskInvoker = (resource: string, input: unknown) => Promise<unknown>;

export interface ExecutionRecord {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** The names of the states entered, in order. */
  visited: string[];
}

const MODELLED: Record<string, string[]> = {
  Task: [
    'Type',
    'Resource',
    'Next',
    'End',
    'Catch',
    'Retry',
    'Comment',
    'TimeoutSeconds',
    'Parameters',
    'ResultPath',
  ],
  Choice: ['Type', 'Choices', 'Default', 'Comment'],
  Wait: ['Type', 'Seconds', 'SecondsPath', 'Next', 'End', 'Comment'],
  Pass: ['Type', 'Next', 'End', 'Comment', 'Result', 'Parameters', 'ResultPath'],
  Succeed: ['Type', 'Comment'],
  Fail: ['Type', 'Error', 'Cause', 'Comment'],
};

function readPath(value: unknown, path: string): unknown {
  if (path === '$') return value;
  if (!path.startsWith('$.')) throw new Error(`path ${path} is not modelled`);
  return path
    .slice(2)
    .split('.')
    .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], value);
}

/** The arguments of an intrinsic call: 'strings' (with \\ escapes), numbers and paths. */
function intrinsicArguments(text: string, data: unknown): unknown[] {
  const args: unknown[] = [];
  let at = 0;
  while (at < text.length) {
    while (text[at] === ' ' || text[at] === ',') at++;
    if (at >= text.length) break;
    if (text[at] === "'") {
      let literal = '';
      for (at++; text[at] !== "'"; at++) {
        if (at >= text.length) throw new Error(`unterminated string in ${text}`);
        literal += text[at] === '\\' ? text[++at] : text[at];
      }
      args.push(literal);
      at++;
    } else {
      const end = text.indexOf(',', at) === -1 ? text.length : text.indexOf(',', at);
      const token = text.slice(at, end).trim();
      args.push(token.startsWith('$') ? readDefined(data, token) : Number(token));
      at = end;
    }
  }
  return args;
}

/** A path in Parameters or an intrinsic that names nothing is a States.Runtime error. */
function readDefined(data: unknown, path: string): unknown {
  const value = readPath(data, path);
  if (value === undefined) throw new Error(`States.Runtime: ${path} is not in the input`);
  return value;
}

function evaluate(expression: string, data: unknown): unknown {
  const call = /^States\.(\w+)\((.*)\)$/s.exec(expression);
  if (!call) return readDefined(data, expression);
  const args = intrinsicArguments(call[2]!, data);
  if (call[1] === 'MathAdd') {
    if (!args.every((a) => typeof a === 'number' && Number.isInteger(a)))
      throw new Error(`States.Runtime: States.MathAdd needs integers, got ${JSON.stringify(args)}`);
    return (args[0] as number) + (args[1] as number);
  }
  if (call[1] === 'Format') {
    let i = 1;
    return String(args[0]).replace(/\{\}/g, () => String(args[i++]));
  }
  throw new Error(`intrinsic States.${call[1]} is not modelled`);
}

function resolveParameters(parameters: Record<string, unknown>, data: unknown): unknown {
  return Object.fromEntries(
    Object.entries(parameters).map(([key, value]) =>
      key.endsWith('.$')
        ? [key.slice(0, -2), evaluate(String(value), data)]
        : [
            key,
            value !== null && typeof value === 'object'
              ? resolveParameters(value as Record<string, unknown>, data)
              : value,
          ],
    ),
  );
}

function writePath(value: unknown, path: string | null, result: unknown): unknown {
  if (path === null) return value;
  if (path === '$') return result;
  const keys = path.slice(2).split('.');
  const copy = structuredClone(value) as Record<string, unknown>;
  let at = copy;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys.at(-1)!] = result;
  return copy;
}

export async function runStateMachine(
  definition: AslDefinition,
  input: unknown,
  invoke: TaskInvoker,
  sleep: (seconds: number) => Promise<void> = async () => undefined,
  record: ExecutionRecord = { status: 'RUNNING', visited: [] },
): Promise<ExecutionRecord> {
  let name: string | undefined = definition.StartAt;
  let data = input;
  while (name) {
    const state: AslState | undefined = definition.States[name];
    if (!state) throw new Error(`state ${name} is not defined`);
    const extra = Object.keys(state).filter((k) => !(MODELLED[state.Type] ?? []).includes(k));
    if (!MODELLED[state.Type] || extra.length > 0) {
      throw new Error(
        `state ${name}: ${state.Type} ${extra.join(', ')} is not modelled by the fake`,
      );
    }
    record.visited.push(name);
    let next: string | undefined = state.Next;
    // A caught error goes to the catcher's Next even from a state that would End.
    let caught = false;
    switch (state.Type) {
      case 'Task':
        try {
          const taskInput = state.Parameters
            ? resolveParameters(state.Parameters as Record<string, unknown>, data)
            : data;
          const answer = await invoke(String(state.Resource), taskInput);
          data = writePath(data, (state.ResultPath as string | null | undefined) ?? '$', answer);
        } catch (error) {
          const err = { Error: (error as Error).name, Cause: (error as Error).message };
          const catcher = (
            (state.Catch ?? []) as { ErrorEquals: string[]; Next: string; ResultPath?: string }[]
          ).find((c) => c.ErrorEquals.includes('States.ALL') || c.ErrorEquals.includes(err.Error));
          if (!catcher)
            return Object.assign(record, { status: 'FAILED', error: err.Error, cause: err.Cause });
          data = writePath(data, catcher.ResultPath ?? '$', err);
          next = catcher.Next;
          caught = true;
        }
        break;
      case 'Choice': {
        const rules = state.Choices as {
          Variable: string;
          BooleanEquals?: boolean;
          StringEquals?: string;
          NumericGreaterThanEqualsPath?: string;
          Next: string;
        }[];
        const match = rules.find((rule) => {
          const value = readPath(data, rule.Variable);
          if ('BooleanEquals' in rule) return value === rule.BooleanEquals;
          if ('StringEquals' in rule) return value === rule.StringEquals;
          if (rule.NumericGreaterThanEqualsPath !== undefined) {
            const other = readPath(data, rule.NumericGreaterThanEqualsPath);
            if (typeof value !== 'number' || typeof other !== 'number')
              throw new Error(`${name}: ${rule.Variable} and its path must be numbers`);
            return value >= other;
          }
          throw new Error(`Choice rule ${JSON.stringify(rule)} is not modelled`);
        });
        next = match?.Next ?? (state.Default as string | undefined);
        if (!next)
          return Object.assign(record, {
            status: 'FAILED',
            error: 'States.NoChoiceMatched',
            cause: name,
          });
        break;
      }
      case 'Pass': {
        const result = state.Parameters
          ? resolveParameters(state.Parameters as Record<string, unknown>, data)
          : 'Result' in state
            ? state.Result
            : data;
        data = writePath(data, (state.ResultPath as string | null | undefined) ?? '$', result);
        break;
      }
      case 'Wait':
        await sleep(
          Number(state.SecondsPath ? readPath(data, String(state.SecondsPath)) : state.Seconds),
        );
        break;
      case 'Succeed':
        next = undefined;
        break;
      case 'Fail':
        return Object.assign(record, { status: 'FAILED', error: state.Error, cause: state.Cause });
    }
    name = state.End && !caught ? undefined : next;
  }
  return Object.assign(record, { status: 'SUCCEEDED', output: data });
}

/**
 * The definition of the one state machine in a synthesized template, with the tokens of its
 * `DefinitionString` (`Fn::Join` of strings and `Fn::GetAtt`s of the function) replaced by the
 * referenced logical id, so Task resources name the function resource.
 */
export function definitionFromTemplate(template: {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}): AslDefinition {
  const machines = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (machines.length !== 1)
    throw new Error(`expected one state machine, found ${machines.length}`);
  const body = machines[0]!.Properties!.DefinitionString as unknown;
  const text =
    typeof body === 'string'
      ? body
      : ((body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1] ?? [])
          .map((part) =>
            typeof part === 'string'
              ? part
              : ((part as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0] ?? 'TOKEN'),
          )
          .join('');
  return JSON.parse(text) as AslDefinition;
}

/**
 * StartExecution / DescribeExecution over HTTP (the SDK's JSON 1.0 protocol), running each
 * execution with {@link runStateMachine} in this process.
 */
export async function startFakeStepFunctions(
  definition: AslDefinition,
  invoke: TaskInvoker,
  sleep?: (seconds: number) => Promise<void>,
): Promise<{
  endpoint: string;
  executions: Map<string, ExecutionRecord & { input: unknown }>;
  close: () => Promise<void>;
}> {
  const executions = new Map<
    string,
    ExecutionRecord & { input: unknown; startDate: number; stopDate?: number; name: string }
  >();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<
        string,
        string
      >;
      const reply = (status: number, json: unknown, errorType?: string) => {
        response.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        response.end(JSON.stringify(json));
      };
      if (target.endsWith('.StartExecution')) {
        const name = body.name ?? randomUUID();
        const executionArn = `${body.stateMachineArn!.replace(':stateMachine:', ':execution:')}:${name}`;
        if (executions.has(executionArn))
          return reply(
            400,
            { message: `Execution Already Exists: '${executionArn}'` },
            'ExecutionAlreadyExists',
          );
        const record = {
          status: 'RUNNING' as const,
          visited: [],
          input: JSON.parse(body.input ?? '{}'),
          startDate: Date.now() / 1000,
          name,
        };
        executions.set(executionArn, record);
        void runStateMachine(definition, record.input, invoke, sleep, record)
          .catch((error: Error) =>
            Object.assign(record, {
              status: 'FAILED',
              error: 'States.Runtime',
              cause: error.message,
            }),
          )
          .finally(() => Object.assign(record, { stopDate: Date.now() / 1000 }));
        return reply(200, { executionArn, startDate: record.startDate });
      }
      if (target.endsWith('.DescribeExecution')) {
        const record = executions.get(body.executionArn ?? '');
        if (!record)
          return reply(
            400,
            { message: `Execution Does Not Exist: '${body.executionArn}'` },
            'ExecutionDoesNotExist',
          );
        return reply(200, {
          executionArn: body.executionArn,
          stateMachineArn: body
            .executionArn!.replace(':execution:', ':stateMachine:')
            .replace(/:[^:]+$/, ''),
          name: record.name,
          status: record.status,
          startDate: record.startDate,
          ...(record.stopDate ? { stopDate: record.stopDate } : {}),
          input: JSON.stringify(record.input),
          ...(record.output !== undefined ? { output: JSON.stringify(record.output) } : {}),
          ...(record.error ? { error: record.error, cause: record.cause } : {}),
        });
      }
      reply(400, { message: `${target} is not modelled by the fake` }, 'UnknownOperationException');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    executions,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
