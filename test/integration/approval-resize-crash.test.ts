/**
 * An approved resize of an `ec2` group whose process died inside a node's steps, on moto with the
 * group's 3 nodes in the fake Kubernetes API (from then on nothing of that process reaches EC2 or
 * the state table: no result, no audit, no lease release).
 * - Died as it sent StartInstances, the first planned node cordoned, drained, stopped and retyped:
 *   while the dead rollout's group lease runs, `approve` leaves everything as it is; after it, the
 *   second attempt brings the stopped node back — running, Ready, uncordoned, on the type it was
 *   left with — before its own re-plan, so no node of the group is left down.
 * - Died while draining the first planned node, which is cordoned but running: the second
 *   attempt uncordons it, without stopping it, before its own re-plan.
 */
import { CreateTagsCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { ec2Client } from '../../lambdas/adapters/aws/clients';
import { instanceState, instanceTags } from '../../lambdas/adapters/aws/ec2-instances';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import {
  CORDONED_BY_ROLLOUT_TAG,
  resizeScope,
  STOPPED_BY_ROLLOUT_TAG,
} from '../../lambdas/core/shared-names';
import { pendingApprovals } from '../../lambdas/approval/pending-approvals';
import type { ResizeResult } from '../../lambdas/resize/run-resize';
import {
  alarmResize,
  crashProcess,
  dies,
  INJECTED_CRASH,
  approveResize,
  auditedResize,
  resizeStore,
  pendingResize,
  storedApproval,
  theOneThat,
  useProcessCrashes,
  overShareEstate,
} from '../support/approval-estate';
import { recordCommands, writes } from '../support/command-recorder';
import { useMoto } from '../support/moto';
import { GROUP, publishCpu, REGION, useResizeEstate } from '../support/resize-estate';

useMoto();
const estate = useResizeEstate();
useProcessCrashes();

/**
 * Each node: its instance state, its type, whether its Kubernetes node is cordoned, and whether it
 * carries the rollout's stop mark (`marked`) and its cordon mark (`cordonMarked`).
 */
const nodes = (ids: string[]) =>
  Promise.all(
    ids.map(async (id) => {
      const { state, type } = await instanceState(ec2Client(REGION), id);
      const cordoned = (await estate.node(id)).spec?.unschedulable === true;
      const tags = await instanceTags(ec2Client(REGION), id);
      return {
        id,
        state,
        type,
        cordoned,
        marked: STOPPED_BY_ROLLOUT_TAG in tags,
        cordonMarked: CORDONED_BY_ROLLOUT_TAG in tags,
      };
    }),
  );

/** Nodes not back in service: not running, cordoned, or carrying a rollout mark. */
const notBack = (listed: Awaited<ReturnType<typeof nodes>>) =>
  listed.filter((n) => n.state !== 'running' || n.cordoned || n.marked || n.cordonMarked);

const CRASH_EC2 = 'injectProcessCrashEc2';

type Ec2Request = (commandName: string, input: { Tags?: { Key?: string }[] }) => boolean;

/**
 * The process dies `at` an EC2 request (it is never sent) or right `after` one went through: from
 * then on every EC2 or state-table request of this process throws.
 */
function crashOnEc2(when: { at: Ec2Request } | { after: Ec2Request }) {
  let dead = false;
  const table = crashProcess({ at: () => dead });
  ec2Client(REGION).middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Parameters<Ec2Request>[1];
      if ('at' in when && when.at(context.commandName ?? '', input)) dead = true;
      if (dead) throw new Error(INJECTED_CRASH);
      const result = await next(args);
      if ('after' in when && when.after(context.commandName ?? '', input)) dead = true;
      return result;
    },
    { step: 'initialize', name: CRASH_EC2, priority: 'low' },
  );
  return {
    crashed: () => dead,
    revive: () => {
      ec2Client(REGION).middlewareStack.remove(CRASH_EC2);
      table.revive();
    },
  };
}

/** As it sends StartInstances, after StopInstances and ModifyInstanceAttribute went through. */
const atStartInstances: Ec2Request = (commandName) => commandName === 'StartInstancesCommand';

/**
 * In the middle of a drain: once the cordon mark is written, the node is cordoned and a first
 * eviction round asked for (Kubernetes), then the rollout's next step dies.
 */
const afterCordonMark: Ec2Request = (commandName, input) =>
  commandName === 'CreateTagsCommand' &&
  (input.Tags ?? []).some((t) => t.Key === CORDONED_BY_ROLLOUT_TAG);

/** Approves `id` as alice and dies at StartInstances of the first node; returns what it left. */
async function approvedAndDied(config: DrpilotConfig, id: string, ids: string[]) {
  const crash = crashOnEc2({ at: atStartInstances });
  await dies(approveResize(config, id, 'alice'));
  expect(crash.crashed()).toBe(true);
  crash.revive();
  const left = await nodes(ids);
  const down = left.filter((n) => n.state === 'stopped');
  // One node down: stopped, cordoned, already on the approved type, marked as the rollout's.
  expect(down).toEqual([
    expect.objectContaining({
      type: 'm6i.xlarge',
      cordoned: true,
      marked: true,
      cordonMarked: true,
    }),
  ]);
  expect(left.filter((n) => n.state === 'running')).toHaveLength(2);
  const approval = (await storedApproval(config, id))!;
  expect(approval).toMatchObject({ result: null, execution: { attempt: 1 } });
  const lease = (await resizeStore(config).readLease(resizeScope(GROUP)))!;
  expect(lease.holder).toMatch(new RegExp(`^approval ${id} by alice#`));
  return { left, down: down[0]!, approval, lease };
}

describe('an approved ec2 resize whose process died between retyping a stopped node and starting it', () => {
  it('while its rollout’s lease runs, approve leaves the stopped node and the request untouched', async () => {
    const {
      config,
      ids,
      request: { id },
    } = await pendingResize(estate);
    const { left, approval, lease } = await approvedAndDied(config, id, ids);

    const ec2 = recordCommands(ec2Client(REGION));
    const pastApprovalLease = () => new Date(Date.parse(approval.execution!.leaseUntil) + 1000);
    expect(pastApprovalLease().getTime()).toBeLessThan(lease.expiresAtMs);
    for (const now of [undefined, pastApprovalLease]) {
      expect((await approveResize(config, id, 'bob', now)).outcome).toBe('already-decided');
    }
    expect(writes(ec2)).toEqual([]);
    expect(await nodes(ids)).toEqual(left);
    expect(await storedApproval(config, id)).toEqual(approval);
    expect(await resizeStore(config).readLease(resizeScope(GROUP))).toEqual(lease);
  });

  it('after both leases, approve again: the stopped node is started, Ready and uncordoned, the re-plan runs, the result is recorded once, the audit names both attempts', async () => {
    const {
      config,
      ids,
      request: { id },
    } = await pendingResize(estate);
    const { down, lease } = await approvedAndDied(config, id, ids);

    const later = () => new Date(lease.expiresAtMs + 1000);
    await publishCpu(ids, 90, later());
    const answers = await Promise.all([
      approveResize(config, id, 'bob', later),
      approveResize(config, id, 'carol', later),
    ]);
    const resumed = theOneThat(answers, 'resized');

    const after = await nodes(ids);
    expect(notBack(after)).toEqual([]);
    for (const n of after) expect(['m6i.large', 'm6i.xlarge']).toContain(n.type);
    // The node left down is back on the type the dead attempt gave it.
    expect(after.find((n) => n.id === down.id)).toMatchObject({ type: 'm6i.xlarge' });
    // It comes back first; then the re-plan of the 2 running nodes at 90% moves one of them.
    expect((resumed.result as ResizeResult).nodes).toEqual([
      {
        id: down.id,
        from: 'm6i.xlarge',
        to: 'm6i.xlarge',
        outcome: 'resized',
        detail:
          'stopped by an interrupted rollout: running again on m6i.xlarge, Ready and uncordoned',
      },
      expect.objectContaining({ from: 'm6i.large', to: 'm6i.xlarge', outcome: 'resized' }),
    ]);

    expect(await storedApproval(config, id)).toMatchObject({
      status: 'approved',
      decidedBy: 'alice',
      execution: { attempt: 2 },
      result: { outcome: 'resized', reason: resumed.reason },
    });
    expect(await auditedResize(config, id)).toEqual([
      ['approve-resumed', 'approved', 2],
      ['approve', 'approved', 1],
      ['approval-requested', 'pending', undefined],
    ]);
    // One rollout result recorded, by the second attempt (the first died before its own).
    const results = (await resizeStore(config).recentAudit('resize')).filter(
      (e) => e['trigger'] === `approval ${id} by bob` || e['trigger'] === `approval ${id} by carol`,
    );
    expect(results.map((e) => e['outcome'])).toEqual(['resized']);
    expect(
      (await resizeStore(config).recentAudit('resize')).filter((e) =>
        String(e['trigger'] ?? '').startsWith(`approval ${id} by alice`),
      ),
    ).toEqual([]);
  });

  it('after both leases, when the re-plan itself would move nothing: only the stopped node is started again, on its type, and uncordoned', async () => {
    const {
      config,
      ids,
      request: { id },
    } = await pendingResize(estate);
    const { down, lease } = await approvedAndDied(config, id, ids);

    const later = () => new Date(lease.expiresAtMs + 1000);
    await publishCpu(ids, 60, later());
    const ec2 = recordCommands(ec2Client(REGION));
    const answer = await approveResize(config, id, 'bob', later);
    expect(answer.outcome).toBe('resized');
    expect(answer.reason).toBe(
      `${down.id} left stopped by an interrupted rollout: started again on m6i.xlarge; otherwise p95 60% is between scaleDownAt 30% and scaleUpAt 75%: nothing to do`,
    );
    // Started, and its mark removed once it is Ready and uncordoned.
    expect(writes(ec2)).toEqual(['StartInstances', 'DeleteTags']);
    const after = await nodes(ids);
    expect(notBack(after)).toEqual([]);
    expect(after.map((n) => n.type).sort()).toEqual(['m6i.large', 'm6i.large', 'm6i.xlarge']);
    expect(after.find((n) => n.id === down.id)).toMatchObject({ type: 'm6i.xlarge' });
    expect(await storedApproval(config, id)).toMatchObject({
      execution: { attempt: 2 },
      result: { outcome: 'resized', reason: answer.reason },
    });
    expect(await auditedResize(config, id)).toEqual([
      ['approve-resumed', 'approved', 2],
      ['approve', 'approved', 1],
      ['approval-requested', 'pending', undefined],
    ]);
  });

  it('a member someone else stopped (no rollout mark) is left down: the approved re-plan moves only running nodes', async () => {
    const {
      config,
      ids,
      request: { id },
    } = await pendingResize(estate);
    // A person (or an instance scheduler) stops one member; nothing marks it.
    const stoppedByPerson = ids[2]!;
    await ec2Client(REGION).send(new StopInstancesCommand({ InstanceIds: [stoppedByPerson] }));
    await publishCpu(ids, 90);

    const answer = await approveResize(config, id, 'alice');
    expect(answer.outcome).toBe('resized');
    const moved = (answer.result as ResizeResult).nodes.map((n) => n.id);
    expect(moved).not.toContain(stoppedByPerson);
    const after = await nodes(ids);
    expect(after.find((n) => n.id === stoppedByPerson)).toMatchObject({
      state: 'stopped',
      type: 'm6i.large',
      marked: false,
    });
    expect(after.filter((n) => n.id !== stoppedByPerson && n.state !== 'running')).toEqual([]);
  });

  it('an automatic resize whose move needs approval still starts a member a dead rollout left down now, and leaves the move for the next trigger', async () => {
    const { config, ids } = await overShareEstate(estate);
    const left = ids[0]!;
    const ec2 = ec2Client(REGION);
    await ec2.send(
      new CreateTagsCommand({
        Resources: [left],
        Tags: [{ Key: STOPPED_BY_ROLLOUT_TAG, Value: new Date().toISOString() }],
      }),
    );
    await ec2.send(new StopInstancesCommand({ InstanceIds: [left] }));

    const result = await alarmResize(config);
    expect(result.outcome).toBe('resized');
    expect(result.nodes).toEqual([
      expect.objectContaining({ id: left, from: 'm6i.large', to: 'm6i.large', outcome: 'resized' }),
    ]);
    expect(result.reason).toMatch(
      new RegExp(
        `^${left} left stopped by an interrupted rollout: started again on m6i\\.large; otherwise .*more than approveAboveShare 20%: asked for at the next trigger$`,
      ),
    );
    expect(await pendingApprovals(config)).toEqual([]);
    expect(notBack(await nodes(ids))).toEqual([]);

    // Bringing a member back is no resize: no cooldown, so the next trigger asks for the move.
    expect(await resizeStore(config).activeCooldown(resizeScope(GROUP))).toBeNull();
    const next = await alarmResize(config);
    expect(next.outcome).toBe('pending');
    expect((await pendingApprovals(config)).map((r) => r.target)).toEqual([GROUP]);
  });
});

describe('an approved ec2 resize whose process died while draining a node', () => {
  it('after both leases, approve again: the running, cordoned node is uncordoned and unmarked without being stopped, then the re-plan runs', async () => {
    const {
      config,
      ids,
      request: { id },
    } = await pendingResize(estate);
    const crash = crashOnEc2({ after: afterCordonMark });
    await dies(approveResize(config, id, 'alice'));
    expect(crash.crashed()).toBe(true);
    crash.revive();
    const left = await nodes(ids);
    // Cordoned, its drain begun, never stopped: running on its old type, only the cordon mark.
    const cordoned = left.filter((n) => n.cordoned);
    expect(cordoned).toEqual([
      expect.objectContaining({
        state: 'running',
        type: 'm6i.large',
        marked: false,
        cordonMarked: true,
      }),
    ]);
    const lease = (await resizeStore(config).readLease(resizeScope(GROUP)))!;

    const later = () => new Date(lease.expiresAtMs + 1000);
    await publishCpu(ids, 60, later());
    const ec2 = recordCommands(ec2Client(REGION));
    const answer = await approveResize(config, id, 'bob', later);
    expect(answer.outcome).toBe('resized');
    const node = cordoned[0]!.id;
    expect(answer.reason).toBe(
      `${node} left cordoned by an interrupted rollout: made schedulable again; otherwise p95 60% is between scaleDownAt 30% and scaleUpAt 75%: nothing to do`,
    );
    expect((answer.result as ResizeResult).nodes).toEqual([
      {
        id: node,
        from: 'm6i.large',
        to: 'm6i.large',
        outcome: 'resized',
        detail:
          'left cordoned by an interrupted rollout before it was stopped: uncordoned, still m6i.large',
      },
    ]);
    // Uncordoned and unmarked; never stopped (its drain may not have finished).
    expect(writes(ec2)).toEqual(['DeleteTags']);
    const after = await nodes(ids);
    expect(notBack(after)).toEqual([]);
    expect(after.map((n) => n.type)).toEqual(['m6i.large', 'm6i.large', 'm6i.large']);
    expect(await storedApproval(config, id)).toMatchObject({
      execution: { attempt: 2 },
      result: { outcome: 'resized', reason: answer.reason },
    });
  });
});
