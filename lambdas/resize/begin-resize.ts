import { cloudWatchClient } from '../adapters/aws/sdk-clients/cloudwatch';
import { ec2Client } from '../adapters/aws/sdk-clients/ec2';
import { describeInstanceFamily, describeInstanceTypes } from '../adapters/aws/instance-types';
import { nodeUtilisation } from '../adapters/aws/node-metrics';
import { instancesWithTag } from '../adapters/aws/tagged-instances';
import type { DrpilotConfig } from '../core/config/schema';
import { effectiveLadder, ladderSeed } from '../core/resize/derived-ladder';
import { capacityOf } from '../core/resize/instance-types';
import { hasOptIn, OPT_IN_TAG } from '../core/resize/opt-in';
import { utilisationFromDatapoints } from '../core/resize/p95';
import { resumeStep } from '../core/resize/node-steps';
import { planResize, resumeOnlyPlan, type ResizeRequest } from '../core/resize/plan-resize';
import { rolloutHolder } from '../core/resize/rollout-trust';
import { resizeScope } from '../core/shared-names';
import { pollBoundFor } from './advance-rollout';
import { LEASE_SECONDS, resizeContext, type ResizeContext } from './resize-context';
import {
  nodeReports,
  type ResizeOutcome,
  type ResizeResult,
  type RolloutNode,
  type RolloutState,
} from './rollout-state';
import { templateGroupMembers } from './template-rollout';
import { checkTemplatePreconditions } from './template-preconditions';
import { refuseIfPaused } from '../pause/pause-gate';
import { requestApproval } from '../approval/request-approval';
import { resizeNeedsApproval, resizeSubject } from '../core/approval/approval-rules';

export interface BeginOptions {
  request: ResizeRequest;
  dryRun: boolean;
  /** What started it, for the audit trail. */
  trigger: string;
  windowMinutes?: number;
  now?: () => Date;
  onProgress?: (message: string) => void;
  /** An alarm or the re-plan asked (not a person): a large move waits for approval. */
  automatic?: boolean;
  /** The re-plan of an approved request, and how many nodes its plan moved. */
  approved?: { id: string; moving: number };
}

export type Begun =
  { kind: 'result'; result: ResizeResult } | { kind: 'rollout'; state: RolloutState };

interface Member {
  id: string;
  type: string;
  zone: string;
  state: string;
  privateDnsName: string | null;
  tags: Record<string, string>;
}

export function resizeResult(
  groupId: string,
  outcome: ResizeOutcome,
  reason: string,
  extra: Partial<ResizeResult> = {},
): ResizeResult {
  return {
    outcome,
    group: groupId,
    from: null,
    to: null,
    nodes: [],
    reason,
    p95Percent: null,
    plan: null,
    ...extra,
  };
}

function describeRequest(request: ResizeRequest): string {
  if (request.kind === 'to') return `to ${request.type}`;
  if (request.kind === 'step') return `one step ${request.direction}`;
  return 'as the load asks';
}

async function readMembers(context: ResizeContext): Promise<Member[]> {
  const { group, region } = context;
  if (group.kind === 'ec2') {
    const tag = group.selector.tag;
    if (!tag) return [];
    return (await instancesWithTag(ec2Client(region), tag)).map((m) => ({
      ...m,
      zone: m.availabilityZone ?? '',
    }));
  }
  return (await templateGroupMembers(group, region)).map((m) => ({
    ...m,
    state: 'running',
    privateDnsName: null,
  }));
}

/**
 * The first step of every resize: take the group's lease, observe (members, instance types, the
 * p95 of the alarmed metric), check the preconditions and plan. Returns a finished result (noop,
 * refused, dry run) — audited, lease released — or the state of a rollout to carry out, lease
 * held. Refusals touch nothing.
 */
export async function beginResize(
  config: DrpilotConfig,
  groupId: string,
  options: BeginOptions,
): Promise<Begun> {
  const now = options.now ?? (() => new Date());
  const progress = options.onProgress ?? (() => undefined);
  const done = (result: ResizeResult): Begun => ({ kind: 'result', result });
  const group = config.nodeGroups.find((g) => g.id === groupId);
  if (!group) {
    return done(
      resizeResult(
        groupId,
        'refused',
        `unknown node group "${groupId}" (configured: ${config.nodeGroups.map((g) => g.id).join(', ') || 'none'})`,
      ),
    );
  }
  const paused = await refuseIfPaused(config, 'resize', {
    scope: 'resize',
    trigger: options.trigger,
    wouldHave: `resize ${groupId} (${describeRequest(options.request)})`,
    fields: { group: groupId },
    audit: !options.dryRun,
    now,
  });
  if (paused) return done(resizeResult(groupId, 'refused', paused.reason));
  const context = resizeContext(config, group, now);
  const { store, region } = context;
  const finish = async (result: ResizeResult) =>
    done(options.dryRun ? result : await context.record(result, options.trigger));

  // The rollout's id names its Step Functions execution (at most 80 characters) and ends the
  // lease's holder, so a state sent back to the function is matched to the lease
  // (core/resize/rollout-trust.ts). Two begins in the same millisecond: one gets the lease.
  const rolloutId = `${groupId}-${now().getTime()}`;
  const lease = options.dryRun
    ? null
    : await store.acquireLease(
        resizeScope(groupId),
        rolloutHolder(options.trigger, rolloutId),
        LEASE_SECONDS,
      );
  if (lease && !lease.acquired) {
    return done(
      resizeResult(
        groupId,
        'refused',
        `a rollout of ${groupId} is in progress (${lease.heldBy}, until ${new Date(lease.expiresAtMs).toISOString()})`,
      ),
    );
  }
  let handedOver = false;
  try {
    progress(`reading ${groupId}: members, instance types and ${group.metric} utilisation`);
    let members: Member[];
    try {
      members = await readMembers(context);
    } catch (error) {
      return await finish(
        resizeResult(
          groupId,
          'refused',
          `could not read the members of ${groupId}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
    if (group.kind === 'ec2') {
      const notOptedIn = members.filter((m) => !hasOptIn(m.tags)).map((m) => m.id);
      if (notOptedIn.length > 0) {
        return await finish(
          resizeResult(
            groupId,
            'refused',
            `${notOptedIn.join(', ')} ${notOptedIn.length === 1 ? 'does' : 'do'} not carry the opt-in tag ${OPT_IN_TAG.key}=${OPT_IN_TAG.value}: drpilot resizes only nodes whose owner opted in`,
          ),
        );
      }
    }
    const running = members.filter((m) => m.state === 'running');
    const ec2 = ec2Client(region);
    const seed = ladderSeed(group.ladder);
    const family = seed ? await describeInstanceFamily(ec2, seed) : {};
    const typeInfo = {
      ...family,
      ...(await describeInstanceTypes(
        ec2,
        [...group.ladder, ...members.map((m) => m.type)].filter((t) => !(t in family)),
      )),
    };
    const { ladder, dropped } = effectiveLadder(
      group,
      typeInfo,
      running.map((m) => m.zone),
    );
    if (seed) {
      progress(
        `${groupId}: ladder from the ${seed} family: ${ladder.join(', ')}${dropped.length > 0 ? ` (left out: ${dropped.map((d) => `${d.type} ${d.reason}`).join('; ')})` : ''}`,
      );
    }
    const windowMinutes = options.windowMinutes ?? 15;
    const end = now();
    const series = await nodeUtilisation(
      cloudWatchClient(region),
      group.metric,
      running.map((m) => m.id),
      { start: new Date(end.getTime() - windowMinutes * 60_000), end },
    );
    const utilisation = utilisationFromDatapoints(
      running.map((m) => {
        const info = typeInfo[m.type];
        return {
          nodeId: m.id,
          capacity: info ? capacityOf(info, group.metric) : 0,
          points: series.get(m.id) ?? [],
        };
      }),
    );
    if (!utilisation && options.request.kind === 'auto') {
      return await finish(
        resizeResult(
          groupId,
          'refused',
          `no ${group.metric} datapoints for ${groupId} in the last ${windowMinutes} minutes`,
        ),
      );
    }
    const p95Percent = utilisation?.p95Percent ?? null;
    const cooldown = await store.activeCooldown(resizeScope(groupId));
    const byId = new Map(members.map((m) => [m.id, m]));
    const detail = options.dryRun ? 'dry run' : 'waiting';
    // Members a dead rollout left down or cordoned come back first, before another node moves.
    const resumed: RolloutNode[] =
      group.kind === 'ec2'
        ? members.flatMap((m) => {
            const resume = resumeStep(m.state, m.tags, now());
            if (!resume) return [];
            const { id, type, privateDnsName, tags } = m;
            return [
              {
                id,
                from: type,
                to: type,
                outcome: 'not-started' as const,
                detail,
                privateDnsName,
                tags,
                resume,
              },
            ];
          })
        : [];
    const replanned = planResize({
      group: { ...group, ladder },
      nodes: running.map((m) => ({ id: m.id, type: m.type, zone: m.zone })),
      typeInfo,
      load: { p95Percent: p95Percent ?? 0 },
      request: options.request,
      cooldown: cooldown ? { untilMs: cooldown.untilMs } : null,
      now: now().toISOString(),
    });
    if (replanned.kind !== 'resize' && (resumed.length === 0 || options.dryRun)) {
      return await finish(
        resizeResult(groupId, replanned.kind === 'noop' ? 'noop' : 'refused', replanned.reason, {
          p95Percent,
          plan: replanned,
        }),
      );
    }
    /** The rollout that only brings back the `resumed` members, and why nothing else moves. */
    const resumeOnly = (why: string) => ({
      plan: resumeOnlyPlan({
        group,
        running: running.map((m) => ({ id: m.id, type: m.type })),
        resumed: resumed.map((n) => ({ id: n.id, type: n.to })),
        typeInfo,
        p95Percent: p95Percent ?? 0,
        why,
      }),
      nodes: resumed,
    });
    const plan = replanned.kind === 'resize' ? replanned : resumeOnly(replanned.reason).plan;
    const planned = { from: plan.from.types, to: plan.to.type, p95Percent, plan };
    let template: RolloutState['template'] = null;
    if (group.kind !== 'ec2') {
      progress(`${groupId}: checking the preconditions of a launch-template change`);
      const check = await checkTemplatePreconditions(group, region, plan.to.type);
      if (!check.ok) return await finish(resizeResult(groupId, 'refused', check.reason, planned));
      template = { target: check.target, handle: null, status: 'not-started', detail: '' };
    }
    const nodes: RolloutNode[] = [
      ...resumed,
      // A resume-only plan's nodes are the resumed ones.
      ...(replanned.kind === 'resize' ? plan.nodes : []).map((n) => ({
        ...n,
        outcome: 'not-started' as const,
        detail,
        privateDnsName: byId.get(n.id)?.privateDnsName ?? null,
        tags: byId.get(n.id)?.tags ?? {},
      })),
    ];
    const needsApproval = resizeNeedsApproval({
      approveAboveShare: group.approveAboveShare,
      moving: plan.nodes.length,
      members: running.length,
      automatic: options.automatic ?? false,
      approvedMoving: options.approved?.moving ?? null,
    });
    let rollout = { plan, nodes };
    if (needsApproval && !options.dryRun && resumed.length > 0) {
      // Starting members a dead rollout left down is recovery, not a new decision: it goes ahead
      // now, and the move that needs approval is asked for at the next trigger.
      rollout = resumeOnly(
        `${plan.reason}; ${needsApproval.reason}: asked for at the next trigger`,
      );
    } else if (needsApproval && !options.dryRun) {
      const asked = await requestApproval(
        config,
        {
          kind: 'resize',
          subject: resizeSubject(groupId),
          action: 'resize',
          target: groupId,
          trigger: options.trigger,
          reason: `${plan.reason}; ${needsApproval.reason}`,
          plan: {
            from: plan.from.types,
            to: plan.to.type,
            moving: plan.nodes.length,
            nodes: plan.nodes,
          },
          checks: [],
        },
        { now: () => now().getTime() },
      );
      return done(
        resizeResult(groupId, 'pending', asked.reason, { ...planned, nodes: nodeReports(nodes) }),
      );
    }
    if (options.dryRun || !lease) {
      return done(
        resizeResult(groupId, 'dry-run', plan.reason, {
          ...planned,
          nodes: nodeReports(nodes),
        }),
      );
    }
    handedOver = true;
    return {
      kind: 'rollout',
      state: {
        drpilotRollout: 1,
        id: rolloutId,
        groupId,
        trigger: options.trigger,
        lease: lease.lease,
        startedAt: now().toISOString(),
        plan: rollout.plan,
        p95Percent,
        nodes: rollout.nodes,
        next: 0,
        template,
        done: false,
        waitSeconds: 0,
        poll: pollBoundFor(group, rollout.nodes.length),
      },
    };
  } finally {
    if (lease?.acquired && !handedOver)
      await store.releaseLease(lease.lease).catch(() => undefined);
  }
}
