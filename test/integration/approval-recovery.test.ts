/**
 * An approval whose process crashes between winning the approval (the conditional write that
 * marks it approved) and its re-plan, on moto. The crash is injected into the DynamoDB client:
 * once the approving transaction has succeeded, the next request throws, so nothing after the win
 * runs. The request then shows in `status` as approved without a result; while its lease runs a
 * second `approve` leaves it alone; after it, one of several concurrent `approve`s re-plans it
 * (re-observing the world: a primary that recovered moves nothing) or, past its approval window,
 * expires it with the reason — once.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setHealthAlarm } from '../../cli/embedded/seed-alarms';
import {
  dynamoDbClient,
  dynamoDbDocumentClient,
  route53Client,
} from '../../lambdas/adapters/aws/clients';
import { ApprovalStore } from '../../lambdas/adapters/aws/approval-store';
import { approveRequest } from '../../lambdas/approval/decide-approval';
import { openApprovals, pendingApprovals } from '../../lambdas/approval/pending-approvals';
import { EXECUTION_LEASE_SECONDS } from '../../lambdas/core/approval/approval-rules';
import { createDnsHandler } from '../../lambdas/dns/handler';
import { alarmEventAs } from '../support/alarm-events';
import { countCommands, useDnsEstate, type DnsEstate } from '../support/dns-estate';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';

useMoto();
const seed = useDnsEstate();

const ACCOUNT = '123456789012';
const inAccount = {
  awsRequestId: 'approval-recovery-test',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:acme-drpilot-dns`,
} as never;
const noSleep = async () => undefined;
const CRASH = 'injectCrashAfterApprovalWon';

afterEach(() => {
  dynamoDbClient('us-east-1').middlewareStack.remove(CRASH);
  delete process.env.DRPILOT_CONFIG_JSON;
});

/**
 * The process "dies" right after winning an approval: once a TransactWriteItems that marks a
 * request as being carried out (it puts `approval-executing#…`) has succeeded, the next DynamoDB
 * request throws and the injector removes itself.
 */
function crashAfterApprovalWon(): { crashed: () => boolean } {
  const client = dynamoDbClient('us-east-1');
  let armed = false;
  let crashed = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (armed) {
        crashed = true;
        armed = false;
        client.middlewareStack.remove(CRASH);
        throw new Error('injected crash after the approval was won');
      }
      const result = await next(args);
      if (
        context.commandName === 'TransactWriteItemsCommand' &&
        JSON.stringify(args.input).includes('approval-executing#')
      ) {
        armed = true;
      }
      return result;
    },
    { step: 'initialize', name: CRASH, priority: 'low' },
  );
  return { crashed: () => crashed };
}

/** dns.mode "approve", the primary down, and one pending failover request. */
async function pendingFailover() {
  const estate = await seed();
  estate.config.dns.mode = 'approve';
  process.env.DRPILOT_CONFIG_JSON = JSON.stringify(estate.config);
  await setHealthAlarm(estate.config, 'primary', 'ALARM', 'test: primary down');
  const handler = createDnsHandler({
    resolver: estate.resolver,
    sleep: noSleep,
    insyncPollMs: 1,
  }) as (event: unknown, context: never) => Promise<Record<string, any>>;
  const pending = await handler(
    alarmEventAs('eventbridge', {
      alarmName: estate.config.clusters.primary.healthAlarm,
      state: 'ALARM',
      region: 'us-east-1',
      account: ACCOUNT,
      at: new Date(Date.now() - 2000),
    }),
    inAccount,
  );
  expect(pending).toMatchObject({ outcome: 'pending' });
  return { estate, id: pending.approvalId as string };
}

const approve = (estate: DnsEstate, id: string, by: string, now?: () => Date) =>
  approveRequest(estate.config, id, {
    by,
    dryRun: false,
    resolver: estate.resolver,
    switchOptions: { sleep: noSleep, insyncPollMs: 1 },
    ...(now ? { now } : {}),
  });

const stored = (estate: DnsEstate, id: string) =>
  new ApprovalStore(dynamoDbDocumentClient('us-east-1'), estate.config.stateTable).get(id);

/** Crashes the first approval of `id`; checks what it left: approved, no result, Route 53 as is. */
async function crashedApproval(estate: DnsEstate, id: string) {
  const crash = crashAfterApprovalWon();
  await expect(approve(estate, id, 'alice')).rejects.toThrow(
    'injected crash after the approval was won',
  );
  expect(crash.crashed()).toBe(true);
  const left = await stored(estate, id);
  expect(left).toMatchObject({
    status: 'approved',
    decidedBy: 'alice',
    result: null,
    execution: { attempt: 1 },
  });
  expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
  return left!;
}

const after = (seconds: number) => () => new Date(Date.now() + seconds * 1000);

describe('an approval that crashed after it was won', () => {
  it('is shown by status; a second approve inside the lease leaves it alone; after the lease, of 6 concurrent approves one re-plans and switches, once', async () => {
    const { estate, id } = await pendingFailover();
    const left = await crashedApproval(estate, id);
    expect(await pendingApprovals(estate.config)).toEqual([]);
    expect((await openApprovals(estate.config)).map((r) => [r.id, r.status])).toEqual([
      [id, 'approved'],
    ]);
    const file = join(tmpdir(), `drpilot-approval-recovery-${process.pid}-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(estate.config));
    const status = await runCli(['--config', file, 'status']);
    expect(status.stdout).toContain(
      `${id}  failover main.example.com approved by alice, no result yet (attempt 1, lease until ${left.execution!.leaseUntil}; after it, drpilot approve ${id} resumes or expires it)`,
    );

    const route53 = countCommands(route53Client());
    const early = await approve(estate, id, 'bob');
    expect(early).toMatchObject({ outcome: 'already-decided' });
    expect(early.reason).toBe(
      `${id} was approved by alice at ${left.decidedAt} and attempt 1 is carrying it out (its lease runs until ${left.execution!.leaseUntil}): nothing to do`,
    );
    expect(route53.sent['ChangeResourceRecordSets']).toBeUndefined();

    const later = after(EXECUTION_LEASE_SECONDS + 1);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => approve(estate, id, `person-${i}`, later)),
    );
    const outcomes = answers.map((a) => a.outcome).sort();
    expect(outcomes).toEqual([...Array<string>(5).fill('already-decided'), 'switched']);
    // The others were told attempt 2 holds it, or what it did.
    for (const answer of answers.filter((a) => a.outcome === 'already-decided')) {
      expect(answer.reason).toMatch(
        new RegExp(
          `^${id} was (approved by alice at .+ and attempt 2 is carrying it out|already approved by alice at .+; its re-plan was switched)`,
        ),
      );
    }
    expect(route53.succeeded['ChangeResourceRecordSets']).toBe(1);
    expect(await estate.record()).toMatchObject({ target: 'dr.example.com' });

    expect(await stored(estate, id)).toMatchObject({
      status: 'approved',
      decidedBy: 'alice',
      execution: { attempt: 2 },
      result: { outcome: 'switched' },
    });
    expect(await openApprovals(estate.config)).toEqual([]);
    const audited = (await estate.store().recentAudit('dns'))
      .filter((e) => e['approvalId'] === id)
      .map((e) => [e['action'], e['outcome'], e['attempt']]);
    expect(audited).toEqual([
      ['approve-resumed', 'approved', 2],
      ['approval-requested', 'pending', undefined],
    ]);
    expect(await approve(estate, id, 'carol', later)).toMatchObject({
      outcome: 'already-decided',
    });
  });

  it('the primary recovered before the re-plan: the resumed approval moves nothing and records why', async () => {
    const { estate, id } = await pendingFailover();
    await crashedApproval(estate, id);
    await setHealthAlarm(estate.config, 'primary', 'OK', 'test: primary back');
    const route53 = countCommands(route53Client());

    const resumed = await approve(estate, id, 'bob', after(EXECUTION_LEASE_SECONDS + 1));
    expect(resumed).toMatchObject({
      outcome: 'refused',
      reason:
        'refusing to fail over main.example.com to dr: trigger (re-plan: primary health alarm acme-primary-health is OK now, not ALARM)',
    });
    expect(route53.sent['ChangeResourceRecordSets']).toBeUndefined();
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
    expect(await stored(estate, id)).toMatchObject({
      result: { outcome: resumed.outcome, reason: resumed.reason },
    });
    expect(await openApprovals(estate.config)).toEqual([]);
  });

  it('past its approval window: expired with the reason, once, by one of two concurrent approves, nothing switched', async () => {
    const { estate, id } = await pendingFailover();
    const left = await crashedApproval(estate, id);
    const route53 = countCommands(route53Client());

    const closed = after(estate.config.dns.approvalTtlSeconds + EXECUTION_LEASE_SECONDS + 1);
    const answers = await Promise.all([
      approve(estate, id, 'bob', closed),
      approve(estate, id, 'carol', closed),
    ]);
    expect(answers.map((a) => a.outcome).sort()).toEqual(['already-decided', 'expired']);
    const expired = answers.find((a) => a.outcome === 'expired')!;
    expect(expired.reason).toBe(
      `${id} was approved by alice at ${left.decidedAt} but attempt 1 stopped before recording a result (its lease ran out at ${left.execution!.leaseUntil}); its approval window closed at ${left.expiresAt}: expired without acting (a standing alarm asks again)`,
    );
    expect(route53.total()).toBe(0);
    expect(await estate.record()).toEqual({ target: 'primary.example.com', ttl: 30 });
    expect(await stored(estate, id)).toMatchObject({
      result: { outcome: 'expired', reason: expired.reason },
    });
    const expiries = (await estate.store().recentAudit('dns')).filter(
      (e) => e['action'] === 'approval-expired',
    );
    expect(expiries.map((e) => [e['approvalId'], e['reason']])).toEqual([[id, expired.reason]]);
    expect(await openApprovals(estate.config, () => closed().getTime())).toEqual([]);
  });
});
