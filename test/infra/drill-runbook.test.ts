import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { reportFromHistory, type HistoryEvent } from '../../lambdas/core/drill/history-steps';
import {
  drillRunbook,
  payloadFor,
  undoPlan,
  type AcceptRule,
  type RunbookAction,
  type RunbookInput,
  type RunbookJob,
  type RunbookStep,
} from '../../lambdas/core/drill/runbook';
import { resultKey, RUNBOOK_STATES } from '../../lambdas/core/drill/runbook-states';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import {
  definitionFromTemplate,
  runStateMachine,
  type AslDefinition,
  type AslState,
  type ExecutionRecord,
  type TaskInvoker,
} from '../support/step-functions-fake';
import { newTestApp, TEST_ACCOUNT, validExampleConfig, watchNag, type NagRun } from './synth';

let config: DrpilotConfig;
let stacks: DrpilotStacks;
let runs: NagRun[];
let control: Template;
let definition: AslDefinition;
let runbook: RunbookStep[];

beforeAll(() => {
  const app = newTestApp(false);
  config = validExampleConfig();
  stacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  ({ runs } = watchNag(() => app.synth()));
  control = Template.fromStack(stacks.control);
  definition = definitionFromTemplate(control);
  runbook = drillRunbook(config);
});

const tasks = () => Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

describe('the drill runbook state machine (lib/drill-runbook.ts)', () => {
  it('is synthesized with no unacknowledged cdk-nag finding, logged and traced', () => {
    expect(runs).toEqual([expect.objectContaining({ success: true, violations: 0 })]);
    control.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'acme-drpilot-drill-runbook',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
  });

  it("has one Task per runbook step and undo action, named as the runbook's ids", () => {
    const undoIds = undoPlan(runbook).map((u) => u.id);
    expect(
      tasks()
        .map(([name]) => name)
        .sort(),
    ).toEqual([...runbook.map((s) => s.id), ...undoIds].sort());
    // The forward steps in the order the runbook lists them, following each step's accepted path.
    const order: string[] = [];
    let name: string | undefined = definition.StartAt;
    const input = { drill: true, scaleUp: true };
    while (name && definition.States[name]?.Type !== 'Succeed') {
      const state: AslState = definition.States[name]!;
      if (state.Type === 'Task') order.push(name);
      name =
        state.Type === 'Choice'
          ? name.endsWith(': accepted?')
            ? ((state.Choices as { Next: string }[])[0]!.Next as string)
            : input.scaleUp
              ? (state.Choices as { Next: string }[])[0]!.Next
              : (state.Default as string)
          : state.Next;
    }
    expect(order).toEqual(runbook.map((s) => s.id));
  });

  it('every Task has a Catch of everything, and every Lambda Task retries the transient errors', () => {
    for (const [name, state] of tasks()) {
      expect(state.Catch, `${name} has no Catch`).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.ALL'] }),
      ]);
      expect(JSON.stringify(state.Retry), name).toContain('Lambda.TooManyRequestsException');
    }
  });

  it("the scale-up invokes the DR region's resize function across regions, with its payload", () => {
    const scaleUp = runbook.find((s) => s.job === 'resize')!;
    const state = definition.States[scaleUp.id]!;
    expect(JSON.stringify(state)).toContain(`"region":"${config.clusters.dr.region}"`);
    expect(JSON.stringify(state)).toContain(JSON.stringify(JSON.stringify(scaleUp.payload)));
  });

  /**
   * A walk of the failure paths: from each step's Catch (the function failed) and from its
   * accept Choice's Default (the answer was rejected), with the `$.done` marks the steps before it
   * left, the path visits exactly the undo actions of those steps, newest first, and ends in Fail.
   */
  it.each(drillRunbook(validExampleConfig()).map((step, index) => ({ id: step.id, index })))(
    'a failure at "$id" reaches the undo chain and then Fail',
    ({ id, index }) => {
      const before = runbook.slice(0, index);
      const done = new Set(before.filter((s) => s.undo).map((s) => `$.done.${resultKey(s.id)}`));
      const expected = undoPlan(before).map((u) => u.id);
      const caught = (definition.States[id]!.Catch as { Next: string }[])[0]!.Next;
      const rejected = definition.States[`${id}: accepted?`]!.Default as string;
      expect(definition.States[rejected]!.Type).toBe('Pass');
      for (const entry of [caught, definition.States[rejected]!.Next as string]) {
        const path = walkUndo(entry, done);
        expect(path.undone, `from ${entry}`).toEqual(expected);
        expect(path.end).toBe(RUNBOOK_STATES.failed);
        expect(definition.States[path.end]!.Type).toBe('Fail');
      }
    },
  );

  it('stores reports in a versioned, encrypted, TLS-only bucket with access logs, locked and kept for the retention period', () => {
    // The default of drills.reportRetentionDays.
    expect(config.drills.reportRetentionDays).toBe(365);
    const retention = { Days: config.drills.reportRetentionDays };
    control.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `acme-drpilot-drills-${TEST_ACCOUNT}`,
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: Match.objectLike({
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }),
        ],
      }),
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true }),
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'reports/' }),
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', ...retention } },
      },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            ExpirationInDays: config.drills.reportRetentionDays,
            NoncurrentVersionExpiration: { NoncurrentDays: 1 },
            Status: 'Enabled',
          }),
        ],
      },
    });
    // TLS only: the bucket policy denies every request without aws:SecureTransport.
    const policies = Object.values(
      control.findResources('AWS::S3::BucketPolicy') as Record<string, any>,
    ).filter((p) => JSON.stringify(p).includes('Reports'));
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
  });

  it('locks and keeps reports (and their access logs) for drills.reportRetentionDays', () => {
    const days = 2555;
    const app = newTestApp(false);
    const custom = validExampleConfig((doc) => {
      doc.drills = { reportRetentionDays: days };
    });
    const template = Template.fromStack(addDrpilotStacks(app, custom, TEST_ACCOUNT).control);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `acme-drpilot-drills-${TEST_ACCOUNT}`,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: days } },
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: days })] },
    });
    const reportBuckets = Object.values(
      template.findResources('AWS::S3::Bucket', {
        Properties: {
          LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: days })] },
        },
      }),
    );
    // The report bucket and its access-log bucket.
    expect(reportBuckets).toHaveLength(2);
  });

  it('an undo that fails goes on to the next undo (its Catch), so every reversible step is tried', () => {
    for (const undo of undoPlan(runbook)) {
      const state = definition.States[undo.id]!;
      expect((state.Catch as { Next: string }[])[0]!.Next).toBe(state.Next);
    }
  });
});

/** Follows the undo chain from `entry`: a Choice on `$.done.<step>` enters the undo when marked. */
function walkUndo(entry: string, done: Set<string>): { undone: string[]; end: string } {
  const undone: string[] = [];
  let name = entry;
  for (let guard = 0; guard < 100; guard++) {
    const state = definition.States[name]!;
    if (state.Type === 'Fail') return { undone, end: name };
    if (state.Type === 'Choice') {
      const [rule] = state.Choices as { Variable: string; IsPresent: boolean; Next: string }[];
      expect(rule?.IsPresent).toBe(true);
      name = done.has(rule!.Variable) ? rule!.Next : (state.Default as string);
    } else if (state.Type === 'Task') {
      undone.push(name);
      name = state.Next as string;
    } else {
      throw new Error(`${name}: a ${state.Type} in the undo chain`);
    }
  }
  throw new Error('the undo chain does not end');
}

/** An answer holding `value` at the rule's path. */
function answerWith(rule: AcceptRule, value: unknown) {
  return rule.path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as object &
    Record<string, unknown>;
}

/** A value of the rule's type that the rule does not accept. */
function rejectedValue(rule: AcceptRule): unknown {
  const [first] = rule.oneOf;
  return typeof first === 'number' ? first + 1 : typeof first === 'boolean' ? !first : 'refused';
}

type Fault =
  /** The function (or, for a DR step, the cross-region call) fails: the Task's Catch. */
  | 'fails'
  /** The function answers, but not what the step's accept rule accepts. */
  | 'rejected'
  /** The DR function fails inside Lambda Invoke: the answer carries FunctionError. */
  | 'function error';

const RPO_SECONDS = 1800;

/**
 * The deployed functions as the state machine reaches them: each Task must invoke its action's
 * function (the control region's by resource, the DR region's resize through the cross-region
 * call) with the action's payload; the answer passes the action's rule unless a fault is
 * injected at that state. A control-region function's error fails the Task (the Lambda task
 * integration); Lambda Invoke, which the cross-region function calls, answers a function's error
 * with `FunctionError` set and the error as the payload
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html), and CDK's cross-region
 * handler returns that answer with the payload JSON-decoded
 * (aws-cdk-lib/custom-resource-handlers/dist/aws-stepfunctions-tasks/cross-region-aws-sdk-handler).
 */
function deployedFunctions(
  input: RunbookInput,
  faults: ReadonlyMap<string, Fault>,
  invoked: string[],
): TaskInvoker {
  const actions = new Map<string, RunbookAction>();
  for (const step of runbook) actions.set(step.id, step);
  for (const undo of undoPlan(runbook)) actions.set(undo.id, undo);
  const control = stacks.control;
  const functions: Record<Exclude<RunbookJob, 'resize'>, CfnElement | undefined> = {
    status: control.status.reactive.fn.node.defaultChild as CfnElement,
    resync: control.backupResync.reactive.fn.node.defaultChild as CfnElement,
    restore: control.restoreDrill?.reactive.fn.node.defaultChild as CfnElement | undefined,
    dns: control.dnsFailover.reactive.fn.node.defaultChild as CfnElement,
    aks: control.aksEvents?.reactive.fn.node.defaultChild as CfnElement | undefined,
  };
  return async (resource, taskInput, state) => {
    const action = actions.get(state);
    if (!action) throw new Error(`Task ${state} is no runbook action`);
    invoked.push(state);
    const fault = faults.get(state);
    let payload: unknown = taskInput;
    if (action.job === 'resize') {
      const call = taskInput as {
        region: string;
        service: string;
        action: string;
        parameters: { FunctionName: string; Payload: string };
      };
      expect(resource, state).toMatch(/^CrossRegionAwsSdk/);
      expect(call, state).toMatchObject({
        region: config.clusters.dr.region,
        service: 'lambda',
        action: 'invoke',
        parameters: {
          FunctionName: `arn:aws:lambda:${config.clusters.dr.region}:${TEST_ACCOUNT}:function:${config.name}-drpilot-resize`,
        },
      });
      payload = JSON.parse(call.parameters.Payload);
    } else {
      expect(resource, state).toBe(control.getLogicalId(functions[action.job]!));
    }
    expect(payload, state).toEqual(payloadFor(action, input));
    if (fault === 'fails') {
      throw Object.assign(new Error(`${state}: injected fault`), { name: 'InjectedFault' });
    }
    const answer =
      fault === 'rejected'
        ? answerWith(action.accept, rejectedValue(action.accept))
        : answerWith(action.accept, action.accept.oneOf[0]);
    if (action.id === 're-sync') answer.rpoSeconds = RPO_SECONDS;
    if (action.job !== 'resize') return answer;
    return fault === 'function error'
      ? {
          StatusCode: 200,
          FunctionError: 'Unhandled',
          Payload: { errorType: 'Error', errorMessage: 'injected' },
        }
      : { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: answer };
  };
}

async function execute(input: RunbookInput, faults: ReadonlyMap<string, Fault> = new Map()) {
  const invoked: string[] = [];
  const record: ExecutionRecord = await runStateMachine(
    definition,
    input,
    deployedFunctions(input, faults, invoked),
  );
  const report = reportFromHistory(runbook, record.history as HistoryEvent[]);
  return { record, invoked, report };
}

describe('the drill runbook state machine run through the Step Functions fake', () => {
  it('a run where every step passes ends in the Succeed state, with each answer for the report', async () => {
    const input = { drill: true, scaleUp: true };
    const { record, invoked, report } = await execute(input);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.visited.at(-1)).toBe(RUNBOOK_STATES.passed);
    expect(invoked).toEqual(runbook.map((s) => s.id));
    const output = record.output as { results: Record<string, unknown>; input: RunbookInput };
    expect(output.input).toEqual(input);
    expect(Object.keys(output.results).sort()).toEqual(runbook.map((s) => resultKey(s.id)).sort());
    // The report built from the execution's history (what `drill runbook --via lambda` writes).
    expect(report.status).toBe('SUCCEEDED');
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => [s.name, s.ok, s.skipped ?? false])).toEqual(
      runbook.map((s) => [s.id, true, false]),
    );
    expect(report.undone).toEqual([]);
    expect(report.rpoSeconds).toBe(RPO_SECONDS);
    expect(report.rtoSeconds).toBeGreaterThanOrEqual(0);
  });

  it('without --scale-up the scale-up steps are skipped and the run still passes', async () => {
    const { record, invoked, report } = await execute({ drill: true, scaleUp: false });
    expect(record.status).toBe('SUCCEEDED');
    expect(invoked).toEqual(runbook.filter((s) => !s.onlyWhen).map((s) => s.id));
    expect(report.steps.filter((s) => s.skipped).map((s) => s.name)).toEqual(
      runbook.filter((s) => s.onlyWhen).map((s) => s.id),
    );
  });

  const faultCases = drillRunbook(validExampleConfig()).flatMap((step, index) =>
    (
      ['fails', 'rejected', ...(step.region === 'dr' ? ['function error' as const] : [])] as Fault[]
    ).map((fault) => ({ id: step.id, index, fault })),
  );
  it.each(faultCases)(
    'a step that $fault at $id stops the run, undoes the reversible steps done (newest first) and ends in Fail',
    async ({ id, index, fault }) => {
      const { record, invoked, report } = await execute(
        { drill: true, scaleUp: true },
        new Map([[id, fault]]),
      );
      const before = runbook.slice(0, index);
      const undone = undoPlan(before).map((u) => u.id);
      expect(invoked).toEqual([...before.map((s) => s.id), id, ...undone]);
      expect(record.status).toBe('FAILED');
      expect(record.visited.at(-1)).toBe(RUNBOOK_STATES.failed);
      expect(record.error).toBe(fault === 'fails' ? 'InjectedFault' : 'drpilot.StepNotAccepted');
      expect(record.cause).toContain(id);
      expect(report.ok).toBe(false);
      expect(report.steps.find((s) => s.name === id)?.ok).toBe(false);
      expect(report.undone).toEqual(undone.map((name) => ({ name, ok: true })));
    },
  );

  it('an undo that fails is reported and the undo chain goes on to the next one and to Fail', async () => {
    const last = runbook.at(-1)!;
    const undos = undoPlan(runbook.slice(0, -1));
    expect(undos.length).toBeGreaterThan(1);
    const { record, invoked, report } = await execute(
      { drill: true, scaleUp: true },
      new Map<string, Fault>([
        [last.id, 'fails'],
        [undos[0]!.id, 'fails'],
      ]),
    );
    expect(invoked.slice(-undos.length)).toEqual(undos.map((u) => u.id));
    expect(record.visited.at(-1)).toBe(RUNBOOK_STATES.failed);
    expect(record.error).toBe('InjectedFault');
    expect(record.cause).toContain(last.id);
    expect(report.undone).toEqual(undos.map((u, i) => ({ name: u.id, ok: i > 0 })));
  });

  it('an execution input without its fields fails at the first state, before any step ran', async () => {
    const invoked: string[] = [];
    await expect(
      runStateMachine(
        definition,
        { drill: true },
        deployedFunctions({ drill: true, scaleUp: false }, new Map(), invoked),
      ),
    ).rejects.toThrow(/States.Runtime: \$.scaleUp/);
    expect(invoked).toEqual([]);
  });
});
