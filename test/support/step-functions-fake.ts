import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Template } from 'aws-cdk-lib/assertions';

/**
 * A fake of Step Functions for the states drpilot's rollout and drill runbook use (moto stores
 * state machines but cannot run Lambda tasks without Docker). It interprets Amazon States
 * Language as the spec (https://states-language.net/spec.html) and the Step Functions developer
 * guide document it:
 * - **Task**: the input (or its `Parameters`, resolved) goes to `invoke(Resource, input, name)`;
 *   its answer is placed at `ResultPath` (default `$`; `null` keeps the input). A throw is matched
 *   against `Catch` (`States.ALL` or the error's name) and `{ Error, Cause }` is placed at the
 *   catcher's `ResultPath` in the input; with no match the execution FAILS. `Retry` is ignored
 *   (nothing here fails transiently).
 * - **Choice**: the first rule that matches, else `Default` (and `States.NoChoiceMatched` without
 *   one). A rule is `And` / `Or` of rules (evaluated in order, stopping at the first that decides:
 *   the developer guide's example guards a comparison with a preceding `IsPresent` in an `And`,
 *   https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html) or a test of its
 *   `Variable`: `IsPresent` (true or false), `BooleanEquals`, `StringEquals`, `NumericEquals`,
 *   `NumericGreaterThanEqualsPath`. A comparison of a value of another type than the operator's
 *   is false (the spec's "Choice Rules": no numeric field matches a string value); a comparison
 *   whose `Variable` is not in the input fails the execution with `States.Runtime` (the guide:
 *   "If the state input doesn't contain the … field, the execution fails").
 * - **Wait**: `Seconds` or `SecondsPath` handed to `sleep`.
 * - **Pass** (`Result` or `Parameters`, at `ResultPath`), **Succeed**, **Fail** (`Error` and
 *   `Cause`, or `ErrorPath` and `CausePath` read from the state's input, as
 *   https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html documents); `Next` /
 *   `End`.
 * - `Parameters`: `"key.$"` is a path or the intrinsic `States.MathAdd` / `States.Format` /
 *   `States.JsonToString` (the JSON at a path as a compact string); an intrinsic's argument may
 *   itself be an intrinsic (the spec's "Intrinsic Functions").
 * Anything else in a state (InputPath, ResultSelector, Map, other operators, …) throws "not
 * modelled", so a definition that outgrows the fake fails its test instead of being misread.
 * Paths are `$` or `$.a.b` only.
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

/** Runs a Task: its Resource, its input, and the state's name (for a test to tell tasks apart). */
export type TaskInvoker = (resource: string, input: unknown, state: string) => Promise<unknown>;

export interface ExecutionRecord {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** The names of the states entered, in order. */
  visited: string[];
  /** The execution's history events, as GetExecutionHistory returns them. */
  history: Record<string, unknown>[];
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
  Fail: ['Type', 'Error', 'Cause', 'ErrorPath', 'CausePath', 'Comment'],
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
    } else if (text.startsWith('States.', at)) {
      // A nested intrinsic: up to its closing parenthesis (quotes inside it are skipped).
      let depth = 0;
      let end = at;
      for (let quoted = false; end < text.length; end++) {
        if (text[end] === '\\' && quoted) end++;
        else if (text[end] === "'") quoted = !quoted;
        else if (!quoted && text[end] === '(') depth++;
        else if (!quoted && text[end] === ')' && --depth === 0) break;
      }
      if (depth !== 0) throw new Error(`unbalanced parentheses in ${text}`);
      args.push(evaluate(text.slice(at, end + 1), data));
      at = end + 1;
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
  if (call[1] === 'JsonToString') {
    if (args.length !== 1) throw new Error(`States.JsonToString takes one path, got ${call[2]}`);
    return JSON.stringify(args[0]);
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

interface ChoiceRule {
  Next?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Variable?: string;
  IsPresent?: boolean;
  BooleanEquals?: boolean;
  StringEquals?: string;
  NumericEquals?: number;
  NumericGreaterThanEqualsPath?: string;
}

/** An execution-failing error of the interpreter (States.Runtime). */
class StatesRuntime extends Error {}

const COMPARISONS = ['BooleanEquals', 'StringEquals', 'NumericEquals'] as const;

/** Whether a Choice rule matches the state's input (see the header for what is modelled). */
function matches(rule: ChoiceRule, data: unknown, state: string): boolean {
  const known = ['Next', 'And', 'Or', 'Variable', 'IsPresent', 'NumericGreaterThanEqualsPath'];
  const extra = Object.keys(rule).filter(
    (k) => !known.includes(k) && !(COMPARISONS as readonly string[]).includes(k),
  );
  if (extra.length > 0)
    throw new Error(`state ${state}: Choice rule ${extra.join(', ')} is not modelled by the fake`);
  if (rule.And) return rule.And.every((r) => matches(r, data, state));
  if (rule.Or) return rule.Or.some((r) => matches(r, data, state));
  if (rule.Variable === undefined)
    throw new Error(`state ${state}: Choice rule ${JSON.stringify(rule)} has no Variable`);
  const value = readPath(data, rule.Variable);
  if ('IsPresent' in rule) return (value !== undefined) === rule.IsPresent;
  if (value === undefined)
    throw new StatesRuntime(`state ${state}: ${rule.Variable} is not in the input`);
  if (rule.NumericGreaterThanEqualsPath !== undefined) {
    const other = readPath(data, rule.NumericGreaterThanEqualsPath);
    if (other === undefined)
      throw new StatesRuntime(
        `state ${state}: ${rule.NumericGreaterThanEqualsPath} is not in the input`,
      );
    return typeof value === 'number' && typeof other === 'number' && value >= other;
  }
  const operator = COMPARISONS.find((op) => op in rule);
  if (!operator)
    throw new Error(`state ${state}: Choice rule ${JSON.stringify(rule)} is not modelled`);
  const expected = rule[operator];
  // A value of another type than the operator's never matches (no coercion).
  return typeof value === typeof expected && value === expected;
}

/**
 * Runs an execution, recording in `record.history` the events GetExecutionHistory returns
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
 * `ExecutionStarted`; per state `<Type>StateEntered` { name, input } and, unless it ends the
 * execution in failure or an error is caught, `<Type>StateExited` { name, output }; per Task
 * `LambdaFunctionScheduled` / `LambdaFunctionSucceeded` / `LambdaFunctionFailed` { error, cause }
 * (every Task resource here is a function, as LambdaInvoke with payloadResponseOnly renders it);
 * `ExecutionSucceeded` { output } or `ExecutionFailed` { error, cause }. Timestamps are epoch
 * seconds, as the JSON 1.0 protocol carries them.
 */
export async function runStateMachine(
  definition: AslDefinition,
  input: unknown,
  invoke: TaskInvoker,
  sleep: (seconds: number) => Promise<void> = async () => undefined,
  record: ExecutionRecord = { status: 'RUNNING', visited: [], history: [] },
): Promise<ExecutionRecord> {
  const emit = (type: string, details: Record<string, unknown> = {}) => {
    const id = record.history.length + 1;
    record.history.push({
      id,
      ...(id > 1 ? { previousEventId: id - 1 } : {}),
      timestamp: Date.now() / 1000,
      type,
      ...details,
    });
  };
  const fail = (error: unknown, cause: unknown): ExecutionRecord => {
    emit('ExecutionFailed', {
      executionFailedEventDetails: { error: String(error), cause: String(cause) },
    });
    return Object.assign(record, { status: 'FAILED', error, cause });
  };
  let name: string | undefined = definition.StartAt;
  let data = input;
  emit('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(input) } });
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
    emit(`${state.Type}StateEntered`, {
      stateEnteredEventDetails: { name, input: JSON.stringify(data) },
    });
    let next: string | undefined = state.Next;
    // A caught error goes to the catcher's Next even from a state that would End.
    let caught = false;
    switch (state.Type) {
      case 'Task':
        try {
          const taskInput = state.Parameters
            ? resolveParameters(state.Parameters as Record<string, unknown>, data)
            : data;
          emit('LambdaFunctionScheduled', {
            lambdaFunctionScheduledEventDetails: {
              resource: String(state.Resource),
              input: JSON.stringify(taskInput),
            },
          });
          const answer = await invoke(String(state.Resource), taskInput, name);
          emit('LambdaFunctionSucceeded', {
            lambdaFunctionSucceededEventDetails: { output: JSON.stringify(answer) },
          });
          data = writePath(data, (state.ResultPath as string | null | undefined) ?? '$', answer);
        } catch (error) {
          const err = { Error: (error as Error).name, Cause: (error as Error).message };
          emit('LambdaFunctionFailed', {
            lambdaFunctionFailedEventDetails: { error: err.Error, cause: err.Cause },
          });
          const catcher = (
            (state.Catch ?? []) as { ErrorEquals: string[]; Next: string; ResultPath?: string }[]
          ).find((c) => c.ErrorEquals.includes('States.ALL') || c.ErrorEquals.includes(err.Error));
          if (!catcher) return fail(err.Error, err.Cause);
          data = writePath(data, catcher.ResultPath ?? '$', err);
          next = catcher.Next;
          caught = true;
        }
        break;
      case 'Choice': {
        let match: ChoiceRule | undefined;
        try {
          match = (state.Choices as ChoiceRule[]).find((rule) => matches(rule, data, name!));
        } catch (error) {
          if (!(error instanceof StatesRuntime)) throw error;
          return fail('States.Runtime', error.message);
        }
        next = match?.Next ?? (state.Default as string | undefined);
        if (!next) return fail('States.NoChoiceMatched', name);
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
        return fail(
          state.ErrorPath ? readPath(data, String(state.ErrorPath)) : state.Error,
          state.CausePath ? readPath(data, String(state.CausePath)) : state.Cause,
        );
    }
    if (!caught)
      emit(`${state.Type}StateExited`, {
        stateExitedEventDetails: { name, output: JSON.stringify(data) },
      });
    name = state.End && !caught ? undefined : next;
  }
  emit('ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify(data) } });
  return Object.assign(record, { status: 'SUCCEEDED', output: data });
}

/**
 * The definition of the one state machine in a synthesized template, with the tokens of its
 * `DefinitionString` (`Fn::Join` of strings and `Fn::GetAtt`s of the function) replaced by the
 * referenced logical id, so Task resources name the function resource.
 */
export function definitionFromTemplate(template: Template): AslDefinition {
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  const machines = Object.values(resources).filter(
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
 * StartExecution / DescribeExecution / GetExecutionHistory over HTTP (the SDK's JSON 1.0
 * protocol), running each execution with {@link runStateMachine} in this process; with
 * `stateMachineArn`, ListStateMachines lists that one machine.
 */
export async function startFakeStepFunctions(
  definition: AslDefinition,
  invoke: TaskInvoker,
  sleep?: (seconds: number) => Promise<void>,
  stateMachineArn?: string,
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
      const noSuchExecution = () =>
        reply(
          400,
          { message: `Execution Does Not Exist: '${body.executionArn}'` },
          'ExecutionDoesNotExist',
        );
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
          history: [],
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
        if (!record) return noSuchExecution();
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
      if (target.endsWith('.GetExecutionHistory')) {
        // One page: the fake's executions are short.
        const record = executions.get(body.executionArn ?? '');
        if (!record) return noSuchExecution();
        return reply(200, { events: record.history });
      }
      if (target.endsWith('.ListStateMachines') && stateMachineArn) {
        return reply(200, {
          stateMachines: [
            {
              stateMachineArn,
              name: stateMachineArn.split(':').at(-1),
              type: 'STANDARD',
              creationDate: 0,
            },
          ],
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
