import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { drillRunbook, undoPlan, type RunbookStep } from '../../lambdas/core/drill/runbook';
import {
  DRILL_REPORT_RETENTION_DAYS,
  resultKey,
  RUNBOOK_STATES,
} from '../../lambdas/core/drill/runbook-states';
import { addDrpilotStacks, type DrpilotStacks } from '../../lib/drpilot-app';
import {
  definitionFromTemplate,
  type AslDefinition,
  type AslState,
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
  definition = definitionFromTemplate(
    control.toJSON() as Parameters<typeof definitionFromTemplate>[0],
  );
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
    const retention = { Days: DRILL_REPORT_RETENTION_DAYS };
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
            ExpirationInDays: DRILL_REPORT_RETENTION_DAYS,
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
