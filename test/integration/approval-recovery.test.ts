/**
 * An approval whose process crashes between winning the approval (the conditional write that
 * marks it approved) and its re-plan, on moto. The crash is injected into the DynamoDB client:
 * once the approving transaction has succeeded, every later request throws, so nothing after the
 * win runs (test/support/approval-estate.ts). The request then shows in `status` as approved without a result; while its lease runs a
 * second `approve` leaves it alone; after it, one of several concurrent `approve`s re-plans it
 * (re-observing the world: a primary that recovered moves nothing) or, past its approval window,
 * expires it with the reason — once.
 */
import { describe, expect, it } from 'vitest';
import { setHealthAlarm } from '../../cli/embedded/seed-alarms';
import { route53Client } from '../../lambdas/adapters/aws/clients';
import { openApprovals, pendingApprovals } from '../../lambdas/approval/pending-approvals';
import { EXECUTION_LEASE_SECONDS } from '../../lambdas/core/approval/approval-rules';
import {
  after,
  approveDns,
  interruptedDnsFailover,
  storedApproval,
  theOneThat,
  useApproveModeDns,
  useProcessCrashes,
} from '../support/approval-estate';
import { countCommands, type DnsEstate } from '../support/dns-estate';
import { useMoto } from '../support/moto';
import { runCli } from '../support/run-cli';
import { configFile } from '../support/temp-dir';

useMoto();
const approveModeEstate = useApproveModeDns('approval-recovery-test');
useProcessCrashes();

const approve = (estate: DnsEstate, id: string, by: string, now?: () => Date) =>
  approveDns(estate, id, { by, ...(now ? { now } : {}) });

const stored = (estate: DnsEstate, id: string) => storedApproval(estate.config, id);

describe('an approval that crashed after it was won', () => {
  it('is shown by status; a second approve inside the lease leaves it alone; after the lease, of 6 concurrent approves one re-plans and switches, once', async () => {
    const { estate, id, left } = await interruptedDnsFailover(approveModeEstate);
    expect(await pendingApprovals(estate.config)).toEqual([]);
    expect((await openApprovals(estate.config)).map((r) => [r.id, r.status])).toEqual([
      [id, 'approved'],
    ]);
    const file = configFile(estate.config);
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
    theOneThat(answers, 'switched');
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
    const { estate, id } = await interruptedDnsFailover(approveModeEstate);
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
    const { estate, id, left } = await interruptedDnsFailover(approveModeEstate);
    const route53 = countCommands(route53Client());

    const closed = after(estate.config.dns.approvalTtlSeconds + EXECUTION_LEASE_SECONDS + 1);
    const answers = await Promise.all([
      approve(estate, id, 'bob', closed),
      approve(estate, id, 'carol', closed),
    ]);
    const expired = theOneThat(answers, 'expired');
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
