import { Template } from 'aws-cdk-lib/assertions';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRunbookViaLambda } from '../../cli/drill/runbook-via-lambda';
import { clearAwsClientCache, s3Client } from '../../lambdas/adapters/aws/clients';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { drillRunbook, undoPlan, type RunbookAction } from '../../lambdas/core/drill/runbook';
import {
  drillReportBucketName,
  drillStateMachineName,
} from '../../lambdas/core/drill/runbook-states';
import { addDrpilotStacks } from '../../lib/drpilot-app';
import { newTestApp, TEST_ACCOUNT, validExampleConfig } from '../infra/synth';
import { createDrillReportBucket } from '../support/drill-report-bucket';
import {
  definitionFromTemplate,
  startFakeStepFunctions,
  type AslDefinition,
  type TaskInvoker,
} from '../support/step-functions-fake';
import { useMoto } from '../support/moto';

/**
 * `drill runbook --via lambda` end to end: the real SDK starts the *synthesized* runbook state
 * machine, follows it with DescribeExecution and GetExecutionHistory, and stores the report in
 * the report bucket. moto holds the bucket (S3 with Object Lock); moto cannot run this state
 * machine — its GetExecutionHistory returns a canned history chosen by SF_EXECUTION_HISTORY_TYPE
 * (moto/stepfunctions/models.py, `get_execution_history`), and its optional ASL parser invokes
 * Lambda tasks through moto's Lambda, which needs Docker — so Step Functions is the fake of
 * test/support/step-functions-fake.ts, which runs the definition and records its history.
 */
useMoto();

const REGION = 'us-east-1';
let config: DrpilotConfig;
let definition: AslDefinition;
const savedEndpoint = process.env.AWS_ENDPOINT_URL_SFN;

beforeAll(() => {
  config = validExampleConfig();
  const app = newTestApp(false);
  const stacks = addDrpilotStacks(app, config, TEST_ACCOUNT);
  definition = definitionFromTemplate(Template.fromStack(stacks.control));
}, 120_000);

afterAll(() => {
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_SFN;
  else process.env.AWS_ENDPOINT_URL_SFN = savedEndpoint;
  clearAwsClientCache();
});

/**
 * The deployed functions: each answers what its action's rule accepts (the DR resize through
 * Lambda Invoke's answer, under `Payload`), except `failing`, which throws; each answer waits
 * `gate()` so the execution is still running between polls.
 */
function functions(gate: () => Promise<void>, failing?: string): TaskInvoker {
  const actions = new Map<string, RunbookAction>();
  const runbook = drillRunbook(config);
  for (const action of [...runbook, ...undoPlan(runbook)]) actions.set(action.id, action);
  return async (_resource, _input, state) => {
    await gate();
    const action = actions.get(state);
    if (!action) throw new Error(`Task ${state} is no runbook action`);
    if (state === failing) throw new Error(`${state}: the function failed`);
    const answer = action.accept.path.reduceRight<unknown>(
      (inner, key) => ({ [key]: inner }),
      action.accept.oneOf[0],
    ) as Record<string, unknown>;
    if ('measures' in action && action.measures === 'rpo') answer.rpoSeconds = 600;
    return action.region === 'dr' ? { StatusCode: 200, Payload: answer } : answer;
  };
}

async function deploy(invoke: TaskInvoker) {
  const arn = `arn:aws:states:${REGION}:${TEST_ACCOUNT}:stateMachine:${drillStateMachineName(config)}`;
  const sfn = await startFakeStepFunctions(definition, invoke, undefined, arn);
  process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;
  clearAwsClientCache();
  const bucket = drillReportBucketName(config, TEST_ACCOUNT);
  await createDrillReportBucket(REGION, bucket, config.drills.reportRetentionDays);
  return { sfn, bucket };
}

/** Lets one Task answer per poll: the loop sees the execution RUNNING, step by step. */
function pacedPolls() {
  const waiting: (() => void)[] = [];
  let polls = 0;
  return {
    gate: () => new Promise<void>((resolve) => waiting.push(resolve)),
    sleep: async () => {
      polls++;
      waiting.shift()?.();
      await new Promise((r) => setTimeout(r, 10));
    },
    polls: () => polls,
  };
}

describe('drill runbook --via lambda against the synthesized state machine', () => {
  it('follows a passing run step by step and stores the report from its history', async () => {
    const paced = pacedPolls();
    const { sfn, bucket } = await deploy(functions(paced.gate));
    const progress: string[] = [];
    try {
      const run = await runRunbookViaLambda(
        config,
        { drill: true, scaleUp: false },
        (m) => progress.push(m),
        paced.sleep,
      );
      const runbook = drillRunbook(config);
      expect(run.result.ok).toBe(true);
      expect(run.result.steps.map((s) => s.name)).toEqual(runbook.map((s) => s.id));
      expect(run.result.rpoSeconds).toBe(600);
      // Each step was printed once, as the history showed it finished, while the run went on.
      expect(progress[0]).toBe(`started ${run.executionArn}`);
      expect(progress.slice(1).map((line) => line.slice(2, line.indexOf(':', 2)))).toEqual(
        runbook.map((s) => s.id),
      );
      expect(paced.polls()).toBeGreaterThanOrEqual(runbook.filter((s) => !s.onlyWhen).length);
      expect(run.stored.map((url) => url.split('/').at(-1))).toEqual([
        'drill-report.md',
        'drill-timeline.svg',
        'drill-result.json',
      ]);
      const key = run.stored[2]!.slice(`s3://${bucket}/`.length);
      const stored = await s3Client(REGION).send(
        new GetObjectCommand({ Bucket: bucket, Key: key }),
      );
      const json = JSON.parse((await stored.Body?.transformToString()) ?? '{}') as {
        ok: boolean;
        executionArn: string;
      };
      expect(json).toMatchObject({ ok: true, executionArn: run.executionArn });
      expect(stored.ObjectLockMode).toBe('GOVERNANCE');
    } finally {
      await sfn.close();
    }
  });

  it('reports a failed run with what was undone, and stores that report too', async () => {
    const paced = pacedPolls();
    const { sfn } = await deploy(functions(paced.gate, 'AKS told'));
    try {
      const run = await runRunbookViaLambda(
        config,
        { drill: true, scaleUp: false },
        () => undefined,
        paced.sleep,
      );
      expect(run.result.ok).toBe(false);
      expect(run.result.steps.find((s) => s.name === 'AKS told')).toMatchObject({
        ok: false,
        detail: expect.stringContaining('the function failed'),
      });
      expect(run.result.undone).toEqual([{ name: 'undo: switch back to primary', ok: true }]);
      expect(run.stored).toHaveLength(3);
    } finally {
      await sfn.close();
    }
  });
});
