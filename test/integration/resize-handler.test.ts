import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTopicCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  clearAwsClientCache,
  cloudWatchClient,
  dynamoDbClient,
  dynamoDbDocumentClient,
  ec2Client,
  secretsManagerClient,
  snsClient,
} from '../../lambdas/adapters/aws/clients';
import { instanceState } from '../../lambdas/adapters/aws/ec2-instances';
import { StateStore } from '../../lambdas/adapters/aws/state-store';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import { notificationTopicName, resizeAlarmName } from '../../lambdas/core/shared-names';
import { RESIZE_STATE_MACHINE_ENV } from '../../lambdas/core/shared-names';
import { nodeStepBudget } from '../../lambdas/core/resize/node-steps';
import { rolloutTimedOutCause } from '../../lambdas/core/resize/rollout-bound';
import { nodeLimitsFor } from '../../lambdas/resize/advance-rollout';
import { createResizeHandler } from '../../lambdas/resize/handler';
import type { ResizeResult, RolloutState } from '../../lambdas/resize/rollout-state';
import { ResizeRollout } from '../../lib/resize';
import { newTestApp, TEST_ACCOUNT, validExampleConfig } from '../infra/synth';
import { recordCommands } from '../support/command-recorder';
import { startFakeLambdaInvoke } from '../support/fake-lambda-invoke';
import { useMoto } from '../support/moto';
import { pausingDrainerFor } from '../support/pausing-drainer';
import { fast, GROUP, publishCpu, REGION, useResizeEstate } from '../support/resize-estate';
import { runCli } from '../support/run-cli';
import {
  definitionFromTemplate,
  startFakeStepFunctions,
  type AslDefinition,
  type TaskInvoker,
} from '../support/step-functions-fake';

useMoto();
const estate = useResizeEstate();

const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${TEST_ACCOUNT}:stateMachine:acme-drpilot-resize-rollout`;
const MALFORMED = join(import.meta.dirname, '../fixtures/events/malformed');
const handler = createResizeHandler(fast);
const invoke = (event: unknown) => handler(event as never, { awsRequestId: 'test' } as never);

/** The rollout state machine as `cdk synth` writes it for the primary region. */
let definition: AslDefinition;
beforeAll(() => {
  const app = newTestApp(false);
  const stack = new Stack(app, 'Primary', { env: { account: TEST_ACCOUNT, region: REGION } });
  new ResizeRollout(stack, 'Resize', {
    // The example config as validated (defaults filled in).
    config: validExampleConfig(),
    side: 'primary',
    alarmTopic: new sns.Topic(stack, 'Topic'),
    encryptionKey: new kms.Key(stack, 'Key'),
  });
  definition = definitionFromTemplate(Template.fromStack(stack));
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const name of [
    'DRPILOT_CONFIG_JSON',
    RESIZE_STATE_MACHINE_ENV,
    'AWS_ENDPOINT_URL_SFN',
    'AWS_ENDPOINT_URL_LAMBDA',
    'AWS_REGION',
  ]) {
    Reflect.deleteProperty(process.env, name);
  }
  clearAwsClientCache();
});

/**
 * The function as deployed in the primary region, with Step Functions running its definition
 * (every task the function, unless `tasks` routes them).
 */
async function deploy(
  config: DrpilotConfig,
  tasks: TaskInvoker = (_resource, input) => invoke(input),
) {
  process.env.DRPILOT_CONFIG_JSON = JSON.stringify(config);
  process.env[RESIZE_STATE_MACHINE_ENV] = STATE_MACHINE_ARN;
  process.env.AWS_REGION = REGION;
  const sfn = await startFakeStepFunctions(definition, tasks);
  closers.push(sfn.close);
  process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;
  clearAwsClientCache();
  return sfn;
}

async function finished(sfn: Awaited<ReturnType<typeof deploy>>) {
  for (let i = 0; i < 500; i++) {
    const running = [...sfn.executions.values()].some((e) => e.status === 'RUNNING');
    if (!running) return [...sfn.executions.values()];
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the rollout did not finish');
}

/** The notification topic (in moto) and what is published to it from now on. */
async function notificationsOf(config: DrpilotConfig) {
  const sns = snsClient(config.controlRegion);
  await sns.send(new CreateTopicCommand({ Name: notificationTopicName(config) }));
  const published: PublishCommandInput[] = [];
  sns.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PublishCommand')
        published.push(args.input as PublishCommandInput);
      return next(args);
    },
    { step: 'initialize', name: 'recordPublished' },
  );
  return published;
}

/** Records the commands the handler sends to EC2, CloudWatch, DynamoDB and Secrets Manager. */
const recordAwsCalls = () =>
  recordCommands(
    ec2Client(REGION),
    cloudWatchClient(REGION),
    dynamoDbClient('us-east-1'),
    secretsManagerClient(REGION),
  );

/** A member alarm's state change as EventBridge delivers it, stamped `secondsAgo` before now. */
function alarmEvent(
  config: DrpilotConfig,
  instanceId: string,
  state: 'ALARM' | 'OK',
  secondsAgo = 5,
) {
  const event = JSON.parse(
    readFileSync(
      join(import.meta.dirname, '../fixtures/events/eventbridge-single-metric.json'),
      'utf8',
    ),
  );
  const name = resizeAlarmName(config, GROUP, 'up', instanceId)!;
  const stamp = new Date(Date.now() - secondsAgo * 1000).toISOString();
  event.region = REGION;
  event.time = stamp.replace(/\.\d+Z$/, 'Z');
  event.resources = [`arn:aws:cloudwatch:${REGION}:${TEST_ACCOUNT}:alarm:${name}`];
  event.detail.alarmName = name;
  event.detail.state.value = state;
  event.detail.state.timestamp = stamp.replace('Z', '+0000');
  event.detail.previousState.value = state === 'ALARM' ? 'OK' : 'ALARM';
  return event;
}

/** The member alarm as the reconciler keeps it, put in `state` (moto never evaluates alarms). */
async function memberAlarm(
  config: DrpilotConfig,
  instanceId: string,
  state: 'ALARM' | 'OK' = 'ALARM',
) {
  const alarm = resizeAlarmName(config, GROUP, 'up', instanceId)!;
  const cloudwatch = cloudWatchClient(REGION);
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: alarm,
      Namespace: 'AWS/EC2',
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
      Statistic: 'Average',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 75,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: alarm, StateValue: state, StateReason: 'test: load' }),
  );
  return alarm;
}

/**
 * The Advance → Done? → Count → Within bound? → Wait rounds of an execution that ends with a done
 * Advance and Finish; throws when the execution took another path.
 */
function roundsOf(visited: string[]): number {
  const round = ['Advance', 'Done?', 'Count', 'Within bound?', 'Wait'];
  const rounds = (visited.length - 3) / round.length;
  expect(visited).toEqual([
    ...Array.from({ length: rounds }, () => round).flat(),
    'Advance',
    'Done?',
    'Finish',
  ]);
  return rounds;
}

describe('resize handler (fake Step Functions runs the synthesized rollout definition; moto cannot run Lambda tasks)', () => {
  it('an alarm plans, hands the rollout to the state machine, which resizes node by node and finishes', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 90);
    const sfn = await deploy(config);
    await memberAlarm(config, ids[0]!);
    await memberAlarm(config, ids[1]!);

    const started = (await invoke(alarmEvent(config, ids[0]!, 'ALARM'))) as {
      outcome: string;
      executionArn: string;
      to: string;
    };
    expect(started).toMatchObject({ outcome: 'started', to: 'm6i.xlarge' });
    const [execution] = await finished(sfn);
    expect(execution!.status).toBe('SUCCEEDED');
    // One node's sub-steps (cordon and evict, [evict again], stop, stopped?, start, Ready?),
    // each an Advance, with the state machine's Wait in between.
    expect(roundsOf(execution!.visited)).toBeGreaterThanOrEqual(4);
    const result = execution!.output as ResizeResult;
    expect(result).toMatchObject({ outcome: 'resized', group: GROUP, to: 'm6i.xlarge' });
    const [moved] = result.nodes;
    expect(await instanceState(ec2Client(REGION), moved!.id)).toEqual({
      state: 'running',
      type: 'm6i.xlarge',
    });

    // The lease was given back: the next alarm is refused by the cooldown, not by a rollout in progress.
    const again = (await invoke(alarmEvent(config, ids[1]!, 'ALARM'))) as ResizeResult;
    expect(again.outcome).toBe('refused');
    expect(again.reason).toMatch(/cooling down/);
  });

  it('a manual --to moves every node: the state machine loops Advance → Wait → Advance, one node per step', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 50);
    const sfn = await deploy(config);
    const started = (await invoke({
      action: 'resize',
      groupId: GROUP,
      to: 'm6i.xlarge',
      reason: 'capacity planning',
    })) as { outcome: string; nodes: unknown[] };
    expect(started).toMatchObject({ outcome: 'started' });
    expect(started.nodes).toHaveLength(3);
    const [execution] = await finished(sfn);
    // Three nodes one after the other, at least five sub-steps each.
    expect(roundsOf(execution!.visited)).toBeGreaterThanOrEqual(3 * 5 - 1);
    const result = execution!.output as ResizeResult;
    expect(result.outcome).toBe('resized');
    expect(result.nodes.map((n) => n.outcome)).toEqual(['resized', 'resized', 'resized']);
    for (const id of ids) {
      expect(await instanceState(ec2Client(REGION), id)).toEqual({
        state: 'running',
        type: 'm6i.xlarge',
      });
    }
    const drained = new Set(
      estate.kube.state.evictions.filter((e) => e.status < 300).map((e) => e.pod),
    );
    expect([...drained].filter((pod) => pod.includes('web-')).length).toBeGreaterThanOrEqual(3);
  });

  it('20 concurrent identical alarms start one rollout', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 90);
    const sfn = await deploy(config);
    await memberAlarm(config, ids[0]!);
    const answers = (await Promise.all(
      Array.from({ length: 20 }, () => invoke(alarmEvent(config, ids[0]!, 'ALARM'))),
    )) as { outcome: string; reason: string }[];
    const outcomes = answers.map((a) => `${a.outcome}: ${a.reason}`).join('\n');
    expect(
      answers.filter((a) => a.outcome === 'started'),
      outcomes,
    ).toHaveLength(1);
    expect(answers.filter((a) => a.outcome === 'refused')).toHaveLength(19);
    const executions = await finished(sfn);
    expect(executions).toHaveLength(1);
    const types = await Promise.all(
      ids.map(async (id) => (await instanceState(ec2Client(REGION), id)).type),
    );
    expect(types.filter((t) => t === 'm6i.xlarge')).toHaveLength(1);
  });

  it('a step that throws goes through the Catch to Finish: reported failed, nodes untouched, lease given back', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 90);
    const sfn = await deploy(config);
    secretsManagerClient(REGION).middlewareStack.add(
      () => async () => {
        throw Object.assign(
          new Error('User is not authorized to perform secretsmanager:GetSecretValue'),
          {
            name: 'AccessDeniedException',
            $metadata: { httpStatusCode: 400 },
          },
        );
      },
      { step: 'initialize', name: 'denyKubeconfig' },
    );
    await memberAlarm(config, ids[0]!);
    expect(
      ((await invoke(alarmEvent(config, ids[0]!, 'ALARM'))) as { outcome: string }).outcome,
    ).toBe('started');
    const [execution] = await finished(sfn);
    expect(execution!.visited).toEqual(['Advance', 'Finish']);
    const result = execution!.output as ResizeResult;
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/AccessDeniedException/);
    expect(result.nodes[0]!.outcome).toBe('interrupted');
    for (const id of ids)
      expect(await instanceState(ec2Client(REGION), id)).toEqual({
        state: 'running',
        type: 'm6i.large',
      });
    // No node moved, so no cooldown: with the lease back, a request is planned again.
    const dry = (await invoke({
      action: 'resize',
      groupId: GROUP,
      step: 'up',
      dryRun: true,
      reason: 'retry',
    })) as ResizeResult;
    expect(dry.outcome).toBe('dry-run');
  });

  it('an Advance that never completes runs into the poll bound: the execution ends through Finish, failed (timed out), and pages', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 50);
    let advances = 0;
    const sfn = await deploy(config, async (_resource, input) => {
      const state = input as RolloutState;
      if (state.done || state.error) return invoke(input);
      // Never done: like a poll of an instance refresh that stays InProgress.
      advances++;
      return { ...state, waitSeconds: 30 };
    });
    const published = await notificationsOf(config);
    const started = (await invoke({
      action: 'resize',
      groupId: GROUP,
      to: 'm6i.xlarge',
      reason: 'capacity planning',
    })) as { outcome: string };
    expect(started.outcome).toBe('started');
    const [execution] = await finished(sfn);
    // Per-node budget × nodes: one Advance plus every sub-step each of the 3 nodes may take.
    const max =
      1 + 3 * nodeStepBudget(nodeLimitsFor(config.nodeGroups.find((g) => g.id === GROUP)!));
    expect((execution!.input as RolloutState).poll).toEqual({ count: 0, max });
    expect(advances).toBe(max);
    const round = ['Advance', 'Done?', 'Count', 'Within bound?'];
    expect(execution!.visited).toEqual([
      ...round,
      ...Array.from({ length: max - 1 }, () => ['Wait', ...round]).flat(),
      'Timed out',
      'Finish',
    ]);
    expect(execution!.status).toBe('SUCCEEDED');
    const result = execution!.output as ResizeResult;
    expect(result.outcome).toBe('failed');
    expect(result.reason).toBe(rolloutTimedOutCause({ count: max, max }));
    expect(result.nodes.map((n) => n.outcome)).toEqual([
      'interrupted',
      'not-started',
      'not-started',
    ]);
    const pages = published.filter((p) => p.Subject === 'drpilot acme: NODE DOWN');
    expect(pages).toHaveLength(1);
    expect(pages[0]!.Message).toMatch(
      new RegExp(`the resize of .* stopped \\(timed out: no result after ${max} of ${max}`),
    );
    expect(published.map((p) => p.Subject)).toContain(`drpilot acme: resize ${GROUP} failed`);
    for (const id of ids)
      expect(await instanceState(ec2Client(REGION), id)).toEqual({
        state: 'running',
        type: 'm6i.large',
      });
    // The lease was given back and nothing moved (no cooldown): planned again at once.
    const dry = (await invoke({
      action: 'resize',
      groupId: GROUP,
      to: 'm6i.xlarge',
      dryRun: true,
      reason: 'retry',
    })) as ResizeResult;
    expect(dry.outcome).toBe('dry-run');
  });

  it('a pause set while node 1 is mid-drain: node 1 finishes, node 2 never starts; the execution ends through Finish, held, and pages', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 50);
    const { calls, set, drainerFor } = pausingDrainerFor(config);
    const pausing = createResizeHandler({ ...fast, drainerFor });
    const sfn = await deploy(config, (_resource, input) =>
      pausing(input as never, { awsRequestId: 'test' } as never),
    );
    const published = await notificationsOf(config);
    const started = (await invoke({
      action: 'resize',
      groupId: GROUP,
      to: 'm6i.xlarge',
      reason: 'capacity planning',
    })) as { outcome: string };
    expect(started.outcome).toBe('started');
    const [execution] = await finished(sfn);
    expect(execution!.status).toBe('SUCCEEDED');
    expect(execution!.visited.at(-1)).toBe('Finish');
    const result = execution!.output as ResizeResult;
    expect(result.outcome).toBe('held');
    expect(result.nodes.map((n) => n.outcome)).toEqual(['resized', 'not-started', 'not-started']);
    const [first, ...rest] = result.nodes;
    expect(result.reason).toMatch(
      new RegExp(
        `^rollout held at a node boundary \\(done: ${first!.id} resized; not started: ${rest.map((n) => n.id).join(', ')}\\): paused by alice until ${set.pause!.until}: CHG-1234`,
      ),
    );
    expect(await instanceState(ec2Client(REGION), first!.id)).toEqual({
      state: 'running',
      type: 'm6i.xlarge',
    });
    for (const n of rest)
      expect(await instanceState(ec2Client(REGION), n.id)).toEqual({
        state: 'running',
        type: 'm6i.large',
      });
    expect(calls.filter((c) => !c.endsWith(first!.id))).toEqual([]);
    expect(calls).toContain(`uncordon ${first!.id}`);
    const pages = published.filter((p) => p.Subject === 'drpilot acme: RESIZE HELD');
    expect(pages).toHaveLength(1);
    expect(pages[0]!.Message).toMatch(/the resize of .* was held by a pause/);
    expect(published.map((p) => p.Subject)).toContain(`drpilot acme: resize ${GROUP} held`);
  });

  it('a Finish that fails (after its retries) is caught: the failure is paged on the alarm topic and the execution fails', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 50);
    const pages: { resource: string; input: Record<string, string> }[] = [];
    const sfn = await deploy(config, async (resource, input) => {
      if (resource.endsWith(':states:::sns:publish')) {
        pages.push({ resource, input: input as Record<string, string> });
        return { MessageId: 'page' };
      }
      const state = input as RolloutState;
      if (state.done || state.error)
        throw Object.assign(new Error('Task timed out after 900.00 seconds'), {
          name: 'Lambda.Unknown',
        });
      return invoke(input);
    });
    await invoke({ action: 'resize', groupId: GROUP, to: 'm6i.xlarge', reason: 'planning' });
    const [execution] = await finished(sfn);
    expect(execution!.visited.slice(-3)).toEqual([
      'Finish',
      'Page Finish failure',
      'Finish failed',
    ]);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'drpilot.FinishFailed' });
    expect(pages).toHaveLength(1);
    expect(pages[0]!.input).toMatchObject({
      Subject: 'drpilot acme: resize rollout Finish failed',
      Message: expect.stringContaining(
        'the Finish step of a node group rollout failed (Lambda.Unknown: Task timed out after 900.00 seconds)',
      ),
    });
  });

  it('the 5-minute re-plan starts a rollout for a group whose member alarm is still in ALARM, and none for quiet groups', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 90);
    const sfn = await deploy(config);

    const quiet = (await invoke({ action: 'reconcile', reason: 'scheduled' })) as {
      groups: unknown[];
    };
    expect(quiet).toEqual({ action: 'reconcile', groups: [] });
    expect(sfn.executions.size).toBe(0);

    const alarm = await memberAlarm(config, ids[0]!);
    const replanned = (await invoke({ action: 'reconcile', reason: 'scheduled' })) as {
      groups: { id: string; alarms: string[]; outcome: string }[];
    };
    expect(replanned.groups).toEqual([
      expect.objectContaining({ id: GROUP, alarms: [alarm], outcome: 'started' }),
    ]);
    const [execution] = await finished(sfn);
    expect((execution!.output as ResizeResult).outcome).toBe('resized');

    // Still in ALARM five minutes later: planned again, and the cooldown holds it.
    const again = (await invoke({ action: 'reconcile', reason: 'scheduled' })) as {
      groups: { outcome: string; reason: string }[];
    };
    expect(again.groups).toEqual([expect.objectContaining({ outcome: 'refused' })]);
    expect(again.groups[0]!.reason).toMatch(/cooling down/);
    expect(sfn.executions.size).toBe(1);
  });

  it('a stale or no-longer-true alarm starts nothing; the same alarm fresh and in ALARM starts the rollout', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 90);
    const sfn = await deploy(config);
    await memberAlarm(config, ids[0]!, 'OK');
    const calls = recordAwsCalls();
    const notNow = (await invoke(alarmEvent(config, ids[0]!, 'ALARM'))) as ResizeResult;
    expect(notNow).toMatchObject({ outcome: 'refused', group: GROUP });
    expect(notNow.reason).toMatch(
      /^trigger: the event .* no longer holds: resize alarm .* is OK now$/,
    );
    // Read the alarm, audited the refusal: nothing else.
    expect(calls.splice(0)).toEqual(['DescribeAlarms', 'PutItem']);
    await memberAlarm(config, ids[0]!, 'ALARM');
    calls.splice(0);
    const stale = (await invoke(alarmEvent(config, ids[0]!, 'ALARM', 3 * 3600))) as ResizeResult;
    expect(stale.reason).toMatch(
      /is 10\d{3} s old \(limit triggers\.maxEventAgeSeconds = 600 s\): refused as stale/,
    );
    expect(calls).toEqual(['DescribeAlarms', 'PutItem']);
    const audit = await new StateStore(
      dynamoDbDocumentClient('us-east-1'),
      config.stateTable,
    ).recentAudit('resize');
    expect(audit.map((e) => [e.origin, e.outcome])).toEqual([
      ['alarm', 'refused'],
      ['alarm', 'refused'],
    ]);
    expect(sfn.executions.size).toBe(0);

    const fresh = (await invoke(alarmEvent(config, ids[0]!, 'ALARM'))) as { outcome: string };
    expect(fresh.outcome).toBe('started');
    expect((await finished(sfn))[0]!.status).toBe('SUCCEEDED');
  });

  it('an alarm going back to OK is a noop that reads nothing', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await deploy(config);
    const calls = recordAwsCalls();
    const answer = (await invoke(alarmEvent(config, ids[0]!, 'OK'))) as ResizeResult;
    expect(answer).toMatchObject({ outcome: 'noop', group: GROUP });
    expect(answer.reason).toMatch(/only ALARM starts a resize/);
    expect(calls).toEqual([]);
  });

  it('malformed events, foreign alarms and manual payloads without a group are rejected before any AWS call', async () => {
    const { config, ids } = await estate.estateWithCluster();
    await deploy(config);
    const calls = recordAwsCalls();
    const files = readdirSync(MALFORMED).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const event = JSON.parse(readFileSync(join(MALFORMED, file), 'utf8'));
      await expect(invoke(event), file).rejects.toMatchObject({ name: 'TriggerEventError' });
    }
    const foreign = alarmEvent(config, ids[0]!, 'ALARM');
    foreign.detail.alarmName = 'acme-primary-health';
    await expect(invoke(foreign)).rejects.toThrow(/not one of drpilot's resize alarms/);
    await expect(invoke({ action: 'resize', reason: 'no group' })).rejects.toThrow(
      'invalid manual payload: groupId: required for action "resize"',
    );
    await expect(invoke({ action: 'failover', groupId: GROUP })).rejects.toThrow(
      /not an action this function carries out/,
    );
    expect(calls).toEqual([]);
  });

  it('drpilot resize --via lambda asks the regional function and follows the rollout to its result', async () => {
    const { config, configFile, ids } = await estate.estateWithCluster();
    await publishCpu(ids, 50);
    await deploy(config);
    const lambda = await startFakeLambdaInvoke({ 'acme-drpilot-resize': invoke });
    closers.push(lambda.close);
    process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
    clearAwsClientCache();

    const dry = await runCli([
      'resize',
      GROUP,
      '--step',
      'up',
      '--dry-run',
      '--via',
      'lambda',
      '--config',
      configFile,
      '--json',
    ]);
    expect(dry.json().outcome).toBe('dry-run');

    const run = await runCli([
      'resize',
      GROUP,
      '--step',
      'up',
      '--yes',
      '--via',
      'lambda',
      '--config',
      configFile,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({
      outcome: 'resized',
      group: GROUP,
      from: ['m6i.large'],
      to: 'm6i.xlarge',
    });
    expect(run.stderr).toMatch(/rollout of \d node\(s\) to m6i.xlarge started/);
    expect(lambda.invocations).toEqual(['acme-drpilot-resize', 'acme-drpilot-resize']);
  });
});
