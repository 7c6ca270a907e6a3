/**
 * A resize that would move more than `nodeGroups[].approveAboveShare` of the group's nodes waits
 * for approval when an alarm or the re-plan asked for it (moto + the fake Kubernetes API): no
 * instance stops until `approve`, whose re-plan then carries it out.
 */
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudWatchClient, ec2Client } from '../../lambdas/adapters/aws/clients';
import { instanceState } from '../../lambdas/adapters/aws/ec2-instances';
import { dnsResolver } from '../../lambdas/adapters/tls/tls-probe';
import { approveRequest } from '../../lambdas/approval/decide-approval';
import { pendingApprovals } from '../../lambdas/approval/pending-approvals';
import { RESIZE_STATE_MACHINE_ENV, resizeAlarmName } from '../../lambdas/core/shared-names';
import { createResizeHandler } from '../../lambdas/resize/handler';
import { runResize } from '../../lambdas/resize/run-resize';
import { alarmEventAs } from '../support/alarm-events';
import { ACCOUNT, overShareEstate, pendingResize } from '../support/approval-estate';
import { useMoto } from '../support/moto';
import { fast, GROUP, REGION, useResizeEstate } from '../support/resize-estate';

useMoto();
const estate = useResizeEstate();

const ENV = ['AWS_REGION', RESIZE_STATE_MACHINE_ENV, 'DRPILOT_CONFIG_JSON'] as const;
const saved = ENV.map((name) => [name, process.env[name]] as const);
afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  }
});

const types = (ids: string[]) =>
  Promise.all(ids.map(async (id) => (await instanceState(ec2Client(REGION), id)).type));

describe('approval above a share of the nodes', () => {
  it('an automatic resize moving 1 of 3 nodes with approveAboveShare 0.2 waits; approve re-plans and resizes', async () => {
    const { config, ids, held, request } = await pendingResize(estate);
    expect(held.reason).toContain(`drpilot approve ${request.id}`);
    expect(request.reason).toMatch(
      /the plan moves 1 of 3 nodes \(33\.3%\), more than approveAboveShare 20%$/,
    );
    expect(await types(ids)).toEqual(['m6i.large', 'm6i.large', 'm6i.large']);
    expect(await estate.evictions()).toEqual([]);

    const approved = await approveRequest(config, request.id, {
      by: 'alice',
      dryRun: false,
      resolver: dnsResolver,
      resizeOptions: fast,
    });
    expect(approved).toMatchObject({ outcome: 'resized', result: { to: 'm6i.xlarge' } });
    expect((await types(ids)).sort()).toEqual(['m6i.large', 'm6i.large', 'm6i.xlarge']);
    expect(await pendingApprovals(config)).toEqual([]);
  });

  it("a person's resize of the same size is not held", async () => {
    const { config } = await overShareEstate(estate);
    const result = await runResize(config, GROUP, {
      request: { kind: 'auto' },
      dryRun: false,
      trigger: 'cli',
      ...fast,
    });
    expect(result.outcome).toBe('resized');
    expect(await pendingApprovals(config)).toEqual([]);
  });

  it("the resize function's alarm and its re-plan leave one pending request and start no rollout", async () => {
    const { config, ids } = await overShareEstate(estate);
    process.env.AWS_REGION = REGION;
    process.env[RESIZE_STATE_MACHINE_ENV] =
      `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:acme-drpilot-resize-rollout`;
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(config);
    const alarmName = resizeAlarmName(config, GROUP, 'up', ids[0]!)!;
    const cloudwatch = cloudWatchClient(REGION);
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: alarmName,
        Namespace: 'AWS/EC2',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'InstanceId', Value: ids[0]! }],
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 75,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: 'test' }),
    );
    const resize = createResizeHandler(fast) as (e: unknown, c: never) => Promise<any>;
    const context = {
      awsRequestId: 'approval-test',
      invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:acme-drpilot-resize`,
    } as never;

    const answer = await resize(
      alarmEventAs('eventbridge', {
        alarmName,
        state: 'ALARM',
        region: REGION,
        account: ACCOUNT,
        at: new Date(Date.now() - 2000),
      }),
      context,
    );
    expect(answer.outcome).toBe('pending');
    const pending = await pendingApprovals(config);
    expect(pending).toHaveLength(1);
    const replan = await resize({ action: 'reconcile' }, context);
    expect(replan.groups).toEqual([
      expect.objectContaining({
        id: GROUP,
        outcome: 'pending',
        reason: expect.stringMatching(
          new RegExp(`^already waiting for approval: .*drpilot approve ${pending[0]!.id}`),
        ),
      }),
    ]);
    expect((await pendingApprovals(config)).map((r) => r.id)).toEqual([pending[0]!.id]);
    expect(await types(ids)).toEqual(['m6i.large', 'm6i.large', 'm6i.large']);
  });
});
