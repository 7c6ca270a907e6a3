/**
 * The DNS function's every-minute re-plan (`reconcile`) carries out an approval whose process
 * died after winning it, on moto, as a second `drpilot approve <id>` would: past the attempt's
 * lease it takes the request over and re-plans it with every check, or expires it when its
 * approval window closed; inside the lease, or while dns is paused, it touches nothing; racing a
 * person's `approve`, one of them takes it over. The crash is injected as in
 * approval-recovery.test.ts (test/support/approval-estate.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  dynamoDbClient,
  dynamoDbDocumentClient,
  route53Client,
} from '../../lambdas/adapters/aws/clients';
import { PauseStore } from '../../lambdas/adapters/aws/pause-store';
import { openApprovals } from '../../lambdas/approval/pending-approvals';
import { EXECUTION_LEASE_SECONDS, REPLAN_BY } from '../../lambdas/core/approval/approval-rules';
import { createDnsHandler } from '../../lambdas/dns/handler';
import {
  ACCOUNT,
  after,
  approveDns,
  interruptedDnsFailover,
  noSleep,
  startsAttempt,
  storedApproval,
  theOneThat,
  useApproveModeDns,
  useProcessCrashes,
} from '../support/approval-estate';
import { alarmEventAs } from '../support/alarm-events';
import { countCommands, type DnsEstate } from '../support/dns-estate';
import { useMoto } from '../support/moto';

useMoto();
const approveModeEstate = useApproveModeDns('approval-replan-recovery-test');
useProcessCrashes();

const context = {
  awsRequestId: 'approval-replan-recovery-test',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:acme-drpilot-dns`,
} as never;

/** The dns function with instant waits and its clock at `now`. */
const dnsHandlerAt = (estate: DnsEstate, now: () => Date) =>
  createDnsHandler({
    resolver: estate.resolver,
    sleep: noSleep,
    insyncPollMs: 1,
    now,
  }) as (event: unknown, context: never) => Promise<Record<string, any>>;

/** The scheduled `reconcile` as EventBridge delivers it, with the function's clock at `now`. */
const reconcileAt = (estate: DnsEstate, now: () => Date) =>
  dnsHandlerAt(estate, now)({ action: 'reconcile' }, context);

/** The primary's ALARM event as EventBridge delivers it, with the function's clock at `now`. */
function alarmAt(estate: DnsEstate, now: () => Date) {
  const event = alarmEventAs('eventbridge', {
    alarmName: estate.config.clusters.primary.healthAlarm,
    state: 'ALARM',
    region: 'us-east-1',
    account: ACCOUNT,
    at: new Date(now().getTime() - 2000),
  });
  return dnsHandlerAt(estate, now)(event, context);
}

const auditOf = async (estate: DnsEstate, id: string) =>
  (await estate.store().recentAudit('dns'))
    .filter((e) => e['approvalId'] === id)
    .map((e) => [e['action'], e['outcome'], e['attempt'], e['by']]);

const PRIMARY = { target: 'primary.example.com', ttl: 30 };

describe('the every-minute re-plan and an interrupted DNS approval', () => {
  it('past the lease: the re-plan takes it over as attempt 2, re-plans with every check and switches; the request records the result and by', async () => {
    const { estate, id } = await interruptedDnsFailover(approveModeEstate);
    const route53 = countCommands(route53Client());

    const answer = await reconcileAt(estate, after(EXECUTION_LEASE_SECONDS + 1));
    expect(answer).toMatchObject({
      outcome: 'switched',
      action: 'failover',
      from: 'primary',
      to: 'dr',
      approval: { id, recovery: 'resume', attempt: 2, by: REPLAN_BY },
    });
    expect(answer['checks'].length).toBeGreaterThan(0);
    expect(answer['checks'].every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(route53.succeeded['ChangeResourceRecordSets']).toBe(1);
    expect(await estate.record()).toMatchObject({ target: 'dr.example.com' });
    expect(await storedApproval(estate.config, id)).toMatchObject({
      status: 'approved',
      decidedBy: 'alice',
      execution: { attempt: 2 },
      result: { outcome: 'switched', reason: answer['reason'], by: REPLAN_BY },
    });
    expect(await openApprovals(estate.config)).toEqual([]);
    expect(await auditOf(estate, id)).toEqual([
      ['approve-resumed', 'approved', 2, REPLAN_BY],
      ['approval-requested', 'pending', undefined, undefined],
    ]);

    // Done: the next tick finds nothing to recover and leaves the record where it is.
    const next = await reconcileAt(estate, after(EXECUTION_LEASE_SECONDS + 61));
    expect(next['approval']).toBeUndefined();
    expect(route53.succeeded['ChangeResourceRecordSets']).toBe(1);
  });

  it('inside the lease: the re-plan leaves it alone, switches nothing and asks nothing again', async () => {
    const { estate, id, left } = await interruptedDnsFailover(approveModeEstate);
    const route53 = countCommands(route53Client());

    const answer = await reconcileAt(estate, after(EXECUTION_LEASE_SECONDS - 60));
    expect(answer['approval']).toBeUndefined();
    // The primary is still down, but the switch a person approved is under way: no new request.
    expect(answer).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringContaining(`${id} was approved by`),
    });
    expect(String(answer['reason'])).toContain('is carrying it out');
    expect((await openApprovals(estate.config)).map((r) => r.id)).toEqual([id]);
    expect(route53.sent['ChangeResourceRecordSets']).toBeUndefined();
    expect(await estate.record()).toEqual(PRIMARY);
    expect(await storedApproval(estate.config, id)).toEqual(left);
    expect(await auditOf(estate, id)).toEqual([
      ['approval-requested', 'pending', undefined, undefined],
    ]);
  });

  it('an alarm event while the approved switch is still to be carried out (inside the lease, or past it awaiting the re-plan) names that approval and asks nothing again', async () => {
    const { estate, id, left } = await interruptedDnsFailover(approveModeEstate);
    const route53 = countCommands(route53Client());

    const moments = [
      [after(60), 'attempt 1 is carrying it out'],
      [after(EXECUTION_LEASE_SECONDS + 1), 'attempt 2 re-plans it with every check at the next'],
    ] as const;
    for (const [now, says] of moments) {
      const answer = await alarmAt(estate, now);
      expect(answer).toMatchObject({ outcome: 'pending', action: 'failover', approvalId: id });
      expect(String(answer['reason'])).toMatch(/^not asking again: /);
      expect(String(answer['reason'])).toContain(says);
    }
    expect((await openApprovals(estate.config)).map((r) => r.id)).toEqual([id]);
    expect(route53.sent['ChangeResourceRecordSets']).toBeUndefined();
    expect(await estate.record()).toEqual(PRIMARY);
    expect(await storedApproval(estate.config, id)).toEqual(left);
  });

  it('an alarm event once the approval can only be expired asks again: a new request', async () => {
    const { estate, id } = await interruptedDnsFailover(approveModeEstate);
    const closed = after(estate.config.dns.approvalTtlSeconds + EXECUTION_LEASE_SECONDS + 1);

    // The seeded backup must still count as fresh that much later.
    estate.config.dns.checks.maxBackupAgeSeconds = 86_400;
    process.env.DRPILOT_CONFIG_JSON = JSON.stringify(estate.config);

    const answer = await alarmAt(estate, closed);
    expect(answer).toMatchObject({ outcome: 'pending', action: 'failover' });
    expect(answer['approvalId']).not.toBe(id);
    expect(String(answer['reason'])).not.toContain('not asking again');
    expect(await storedApproval(estate.config, answer['approvalId'])).toMatchObject({
      status: 'pending',
    });
  });

  it('past its approval window: the re-plan expires it with the reason and switches nothing', async () => {
    const { estate, id, left } = await interruptedDnsFailover(approveModeEstate);
    const route53 = countCommands(route53Client());

    const closed = after(estate.config.dns.approvalTtlSeconds + EXECUTION_LEASE_SECONDS + 1);
    const answer = await reconcileAt(estate, closed);
    const reason = `${id} was approved by alice at ${left.decidedAt} but attempt 1 stopped before recording a result (its lease ran out at ${left.execution!.leaseUntil}); its approval window closed at ${left.expiresAt}: expired without acting (a standing alarm asks again)`;
    expect(answer).toEqual({
      outcome: 'expired',
      reason,
      approval: { id, recovery: 'expire', attempt: 1, by: REPLAN_BY },
    });
    expect(route53.total()).toBe(0);
    expect(await estate.record()).toEqual(PRIMARY);
    expect(await storedApproval(estate.config, id)).toMatchObject({
      result: { outcome: 'expired', reason, by: REPLAN_BY },
    });
    expect(await openApprovals(estate.config, () => closed().getTime())).toEqual([]);
    expect(await auditOf(estate, id)).toEqual([
      ['approval-expired', 'expired', 1, REPLAN_BY],
      ['approval-requested', 'pending', undefined, undefined],
    ]);
  });

  it("racing a person's approve, both sending the take-over at once: one takes it over and switches, once", async () => {
    const { estate, id } = await interruptedDnsFailover(approveModeEstate);
    const route53 = countCommands(route53Client());
    // Holds each take-over (the conditional write that starts attempt 2) until both were made.
    const barrier = holdTakeOvers(2);

    const later = after(EXECUTION_LEASE_SECONDS + 1);
    const [replanned, approved] = await Promise.all([
      reconcileAt(estate, later),
      approveDns(estate, id, { by: 'bob', now: later }),
    ]);
    barrier.remove();
    expect(barrier.held()).toBe(2);
    const winner = theOneThat([replanned, approved] as { outcome: string }[], 'switched');
    expect(replanned['approval']).toMatchObject({ id, recovery: 'resume' });
    const by = winner === approved ? 'bob' : REPLAN_BY;

    expect(route53.succeeded['ChangeResourceRecordSets']).toBe(1);
    expect(await estate.record()).toMatchObject({ target: 'dr.example.com' });
    expect(await storedApproval(estate.config, id)).toMatchObject({
      execution: { attempt: 2 },
      result: { outcome: 'switched', by },
    });
    expect(await auditOf(estate, id)).toEqual([
      ['approve-resumed', 'approved', 2, by],
      ['approval-requested', 'pending', undefined, undefined],
    ]);
  });

  it('while dns is paused: the re-plan is refused, says what it would have done, and touches nothing', async () => {
    const { estate, id, left } = await interruptedDnsFailover(approveModeEstate);
    const later = after(EXECUTION_LEASE_SECONDS + 1);
    await new PauseStore(
      dynamoDbDocumentClient(estate.config.controlRegion),
      estate.config.stateTable,
      () => later().getTime(),
    ).pause('dns', { by: 'carol', reason: 'maintenance', untilMs: later().getTime() + 3_600_000 });
    const route53 = countCommands(route53Client());

    const answer = await reconcileAt(estate, later);
    expect(answer).toMatchObject({ outcome: 'refused' });
    expect(answer['reason']).toContain(
      `would have: resume approval ${id}: ${id} was approved by alice`,
    );
    expect(route53.sent['ChangeResourceRecordSets']).toBeUndefined();
    expect(await estate.record()).toEqual(PRIMARY);
    expect(await storedApproval(estate.config, id)).toEqual(left);
    expect(await auditOf(estate, id)).toEqual([
      ['approval-requested', 'pending', undefined, undefined],
    ]);
  });
});

/**
 * Holds every take-over of an interrupted approval (an UpdateItem that sets `execution`) sent
 * through the control region's DynamoDB client until `count` of them were made (or 10 s passed),
 * then lets them all go: the conditional write alone decides between them.
 */
function holdTakeOvers(count: number) {
  const client = dynamoDbClient('us-east-1');
  const name = 'holdTakeOvers';
  let held = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const timeout = setTimeout(release, 10_000);
  client.middlewareStack.add(
    (next, ctx) => async (args) => {
      if (
        ctx.commandName === 'UpdateItemCommand' &&
        startsAttempt('', JSON.stringify(args.input))
      ) {
        held += 1;
        if (held >= count) release();
        await released;
      }
      return next(args);
    },
    { step: 'initialize', name, priority: 'low' },
  );
  return {
    held: () => held,
    remove: () => {
      clearTimeout(timeout);
      client.middlewareStack.remove(name);
    },
  };
}
