/**
 * An approved resize whose process died before recording what its re-plan did, on moto with the
 * group's nodes in the fake Kubernetes API (as test/integration/approval-resize.test.ts). The
 * death is injected into the state table's client (test/support/approval-estate.ts): from one
 * request on, nothing the process would still write reaches the table — right after the approval
 * was won or taken over, or as the rollout finished (the node moved; no cooldown, no audit, the
 * group's lease never released). While an attempt is live a second `approve` leaves it alone;
 * after the lease, one of several concurrent `approve`s re-plans it from what it observes then —
 * resizing once, or moving nothing when the group already has the target type — or expires it
 * with the reason, once, after 3 interrupted attempts or past its approval window.
 */
import { describe, expect, it } from 'vitest';
import { ec2Client } from '../../lambdas/adapters/aws/clients';
import { instanceState } from '../../lambdas/adapters/aws/ec2-instances';
import { openApprovals } from '../../lambdas/approval/pending-approvals';
import {
  EXECUTION_LEASE_SECONDS,
  type ApprovalRequest,
} from '../../lambdas/core/approval/approval-rules';
import type { DrpilotConfig, NodeGroupConfig } from '../../lambdas/core/config/schema';
import { resizeScope } from '../../lambdas/core/shared-names';
import { kubernetesDrainerFor } from '../../lambdas/resize/group-drainer';
import type { RolloutNode } from '../../lambdas/resize/rollout-state';
import {
  after,
  approveResize,
  auditedResize,
  crashProcess,
  resizeStore,
  dies,
  pendingResize,
  startsAttempt,
  storedApproval,
  theOneThat,
  useProcessCrashes,
} from '../support/approval-estate';
import { recordCommands, writes } from '../support/command-recorder';
import { useMoto } from '../support/moto';
import { fast, GROUP, publishCpu, REGION, useResizeEstate } from '../support/resize-estate';
import { runCli } from '../support/run-cli';
import type { DecisionAnswer } from '../../lambdas/approval/decide-approval';
import { configFile } from '../support/temp-dir';

useMoto();
const estate = useResizeEstate();
useProcessCrashes();

const types = (ids: string[]) =>
  Promise.all(ids.map(async (id) => (await instanceState(ec2Client(REGION), id)).type));

/** Kills `by`'s approval of `id` after it won (or took over) its attempt; returns what it left. */
async function diesAfterWinning(config: DrpilotConfig, id: string, by: string, now?: () => Date) {
  const crash = crashProcess({ after: startsAttempt });
  await dies(approveResize(config, id, by, now));
  expect(crash.crashed()).toBe(true);
  crash.revive();
  return (await storedApproval(config, id))!;
}

/** The first moment `left`'s attempt lease has run out. */
const pastLease = (left: ApprovalRequest) => {
  const at = Date.parse(left.execution!.leaseUntil) + 1000;
  return () => new Date(at);
};

describe('an approved resize whose process died', () => {
  it('right after it was won: status shows it, approve inside the lease leaves it alone; after it, of 4 concurrent approves one re-plans and resizes one node, once', async () => {
    const {
      config,
      ids,
      request: { id },
    } = await pendingResize(estate);
    const left = await diesAfterWinning(config, id, 'alice');
    expect(left).toMatchObject({
      status: 'approved',
      decidedBy: 'alice',
      result: null,
      execution: { attempt: 1 },
    });
    expect(await types(ids)).toEqual(['m6i.large', 'm6i.large', 'm6i.large']);
    expect(await estate.evictions()).toEqual([]);
    const status = await runCli(['--config', configFile(config), 'status']);
    expect(status.stdout).toContain(
      `${id}  resize ${GROUP} approved by alice, no result yet (attempt 1, lease until ${left.execution!.leaseUntil}; after it, drpilot approve ${id} resumes or expires it)`,
    );

    const ec2 = recordCommands(ec2Client(REGION));
    expect(await approveResize(config, id, 'bob')).toMatchObject({
      outcome: 'already-decided',
      reason: `${id} was approved by alice at ${left.decidedAt} and attempt 1 is carrying it out (its lease runs until ${left.execution!.leaseUntil}): nothing to do`,
    });
    expect(writes(ec2)).toEqual([]);

    // CloudWatch keeps receiving the load: the re-plan reads the 10 minutes before its clock.
    const later = pastLease(left);
    await publishCpu(ids, 90, later());
    const answers = await Promise.all(
      ['bob', 'carol', 'dave', 'erin'].map((by) => approveResize(config, id, by, later)),
    );
    const resized = theOneThat(answers, 'resized');
    expect(resized.result).toMatchObject({ from: ['m6i.large'], to: 'm6i.xlarge' });
    const sent = (name: string) => ec2.filter((c) => c === name).length;
    expect([
      sent('StopInstances'),
      sent('ModifyInstanceAttribute'),
      sent('StartInstances'),
    ]).toEqual([1, 1, 1]);
    expect((await types(ids)).sort()).toEqual(['m6i.large', 'm6i.large', 'm6i.xlarge']);
    expect(await storedApproval(config, id)).toMatchObject({
      status: 'approved',
      decidedBy: 'alice',
      execution: { attempt: 2 },
      result: { outcome: 'resized', reason: resized.reason },
    });
    expect(await auditedResize(config, id)).toEqual([
      ['approve-resumed', 'approved', 2],
      ['approval-requested', 'pending', undefined],
    ]);
    expect(await openApprovals(config, () => later().getTime())).toEqual([]);
  });

  it('while an attempt is live, a concurrent approve is refused — also once its approval lease has run out, since its rollout renews the group lease', async () => {
    const {
      config,
      ids,
      request: { id },
    } = await pendingResize(estate);
    const concurrent: DecisionAnswer[] = [];
    const drainerFor = async (g: NodeGroupConfig, nodes: readonly RolloutNode[]) => {
      const inner = await kubernetesDrainerFor(g, REGION, nodes);
      return {
        ...inner,
        // Mid-drain of the one node, attempt 1 is live: two others approve now and 21 minutes on.
        evict: async (node: string) => {
          if (concurrent.length === 0) {
            concurrent.push(await approveResize(config, id, 'bob'));
            concurrent.push(
              await approveResize(config, id, 'carol', after(EXECUTION_LEASE_SECONDS + 60)),
            );
          }
          return inner.evict(node);
        },
      };
    };
    const answer = await approveResize(config, id, 'alice', undefined, { ...fast, drainerFor });
    expect(answer.outcome).toBe('resized');
    expect(concurrent.map((a) => a.outcome)).toEqual(['already-decided', 'already-decided']);
    expect(concurrent[0]!.reason).toMatch(
      new RegExp(`^${id} was approved by alice at .+ and attempt 1 is carrying it out`),
    );
    expect(concurrent[1]!.reason).toMatch(
      new RegExp(
        `^${id} was approved by alice at .+; the rollout of attempt 1 still holds the lease of ${GROUP} until .+: nothing to do`,
      ),
    );
    expect((await types(ids)).sort()).toEqual(['m6i.large', 'm6i.large', 'm6i.xlarge']);
    expect(await storedApproval(config, id)).toMatchObject({
      execution: { attempt: 1 },
      result: { outcome: 'resized' },
    });
  });

  it('as its rollout finished (the node moved, nothing recorded): approve waits out the dead rollout’s group lease, then the re-plan sees the moved node carry the load and moves nothing, saying why', async () => {
    const {
      config,
      ids,
      request: { id },
    } = await pendingResize(estate);
    // Dies at the cooldown the finished rollout starts (a PutItem; the plan read it with GetItem).
    const crash = crashProcess({
      at: (command, input) =>
        command === 'PutItemCommand' && input.includes(`cooldown#${resizeScope(GROUP)}`),
    });
    await dies(approveResize(config, id, 'alice'));
    expect(crash.crashed()).toBe(true);
    crash.revive();
    expect((await types(ids)).sort()).toEqual(['m6i.large', 'm6i.large', 'm6i.xlarge']);
    const left = (await storedApproval(config, id))!;
    expect(left).toMatchObject({ result: null, execution: { attempt: 1 } });
    const lease = (await resizeStore(config).readLease(resizeScope(GROUP)))!;
    expect(lease.holder).toMatch(new RegExp(`^approval ${id} by alice#`));
    expect(await resizeStore(config).activeCooldown(resizeScope(GROUP))).toBeNull();

    // The approval's lease is over, the rollout's lease (renewed at its every step) is not.
    const ec2 = recordCommands(ec2Client(REGION));
    const early = pastLease(left);
    expect(Date.parse(left.execution!.leaseUntil)).toBeLessThan(lease.expiresAtMs);
    expect(await approveResize(config, id, 'bob', early)).toMatchObject({
      outcome: 'already-decided',
      reason: `${id} was approved by alice at ${left.decidedAt}; the rollout of attempt 1 still holds the lease of ${GROUP} until ${new Date(lease.expiresAtMs).toISOString()}: nothing to do (after it, drpilot approve ${id} resumes or expires it)`,
    });
    expect(await storedApproval(config, id)).toMatchObject({
      result: null,
      execution: { attempt: 1 },
    });

    // After it: the moved node carries its share at a lower utilisation, and the group fits.
    const later = () => new Date(lease.expiresAtMs + 1000);
    await publishCpu(ids, 60, later());
    const answers = await Promise.all([
      approveResize(config, id, 'bob', later),
      approveResize(config, id, 'carol', later),
    ]);
    const resumed = theOneThat(answers, 'noop');
    expect(resumed.reason).toBe(
      'p95 60% is between scaleDownAt 30% and scaleUpAt 75%: nothing to do',
    );
    expect(writes(ec2)).toEqual([]);
    expect(await storedApproval(config, id)).toMatchObject({
      execution: { attempt: 2 },
      result: { outcome: 'noop', reason: resumed.reason },
    });
    expect(await auditedResize(config, id)).toEqual([
      ['approve-resumed', 'approved', 2],
      ['approve', 'approved', 1],
      ['approval-requested', 'pending', undefined],
    ]);
  });

  it('3 interrupted attempts: expired with the reason, once, by one of two concurrent approves, nothing moved', async () => {
    const {
      config,
      ids,
      request: { id },
    } = await pendingResize(estate);
    const first = await diesAfterWinning(config, id, 'alice');
    const second = await diesAfterWinning(config, id, 'bob', pastLease(first));
    expect(second.execution).toMatchObject({ attempt: 2 });
    const third = await diesAfterWinning(config, id, 'carol', pastLease(second));
    expect(third.execution).toMatchObject({ attempt: 3 });
    const ec2 = recordCommands(ec2Client(REGION));

    const closing = pastLease(third);
    const answers = await Promise.all([
      approveResize(config, id, 'dave', closing),
      approveResize(config, id, 'erin', closing),
    ]);
    const expired = theOneThat(answers, 'expired');
    expect(expired.reason).toBe(
      `${id} was approved by alice at ${first.decidedAt} but attempt 3 stopped before recording a result (its lease ran out at ${third.execution!.leaseUntil}); 3 attempts were interrupted: expired without acting (a standing alarm asks again)`,
    );
    expect(ec2).toEqual([]);
    expect(await types(ids)).toEqual(['m6i.large', 'm6i.large', 'm6i.large']);
    expect(await estate.evictions()).toEqual([]);
    expect(await storedApproval(config, id)).toMatchObject({
      result: { outcome: 'expired', reason: expired.reason },
    });
    expect(await auditedResize(config, id)).toEqual([
      ['approval-expired', 'expired', 3],
      ['approval-requested', 'pending', undefined],
    ]);
  });

  it('past its approval window: expired with the reason, once, nothing moved', async () => {
    const {
      config,
      ids,
      request: { id },
    } = await pendingResize(estate);
    const left = await diesAfterWinning(config, id, 'alice');
    const ec2 = recordCommands(ec2Client(REGION));
    const closed = after(config.dns.approvalTtlSeconds + EXECUTION_LEASE_SECONDS + 1);
    const answers = await Promise.all([
      approveResize(config, id, 'bob', closed),
      approveResize(config, id, 'carol', closed),
    ]);
    expect(theOneThat(answers, 'expired').reason).toBe(
      `${id} was approved by alice at ${left.decidedAt} but attempt 1 stopped before recording a result (its lease ran out at ${left.execution!.leaseUntil}); its approval window closed at ${left.expiresAt}: expired without acting (a standing alarm asks again)`,
    );
    expect(ec2).toEqual([]);
    expect(await types(ids)).toEqual(['m6i.large', 'm6i.large', 'm6i.large']);
    expect((await auditedResize(config, id)).map(([action]) => action)).toEqual([
      'approval-expired',
      'approval-requested',
    ]);
  });
});
