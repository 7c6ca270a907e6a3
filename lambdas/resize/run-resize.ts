import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  cloudWatchClient,
  dynamoDbDocumentClient,
  ec2Client,
  secretsManagerClient,
  snsClient,
} from '../aws/clients';
import { describeInstanceTypes } from '../aws/instance-types';
import { nodeUtilisation } from '../aws/node-metrics';
import { notify } from '../aws/notify';
import { StateStore } from '../aws/state-store';
import { instancesWithTag, type NodeInstance } from '../aws/tagged-instances';
import type { DrpilotConfig, NodeGroupConfig, Side } from '../core/config/schema';
import { capacityOf } from '../core/resize/instance-types';
import { utilisationFromDatapoints } from '../core/resize/p95';
import { planResize, type ResizePlan, type ResizeRequest } from '../core/resize/plan-resize';
import { notificationTopicName } from '../core/resource-names';
import { createKubeApi } from '../k8s/kube-api';
import { parseKubeconfig } from '../k8s/kubeconfig';
import { kubernetesNodeDrainer } from '../k8s/node-drainer';
import { rollOutEc2, type NodeDrainer, type NodeReport } from './ec2-rollout';

export type ResizeOutcome = 'resized' | 'noop' | 'refused' | 'dry-run' | 'failed';

/** The contract's resize result. */
export interface ResizeResult {
  outcome: ResizeOutcome;
  group: string;
  from: string[] | null;
  to: string | null;
  nodes: NodeReport[];
  reason: string;
  /** p95 utilisation of the alarmed metric over the window, when measured. */
  p95Percent: number | null;
  plan: ResizePlan | null;
}

export interface ResizeOptions {
  request: ResizeRequest;
  dryRun: boolean;
  /** What started it, for the audit trail. */
  trigger: string;
  /** The drainer for a group; default: the Kubernetes API with the group's kubeconfig secret. */
  drainerFor?: (group: NodeGroupConfig, members: NodeInstance[]) => Promise<NodeDrainer>;
  windowMinutes?: number;
  timeouts?: { nodeMs: number; pollMs: number };
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (message: string) => void;
}

/** A rollout stops at the first node that does not come back; one node at a time, so 15 min each. */
const LEASE_SECONDS = 3600;
const stateScope = (group: string) => `resize#${group}`;

async function kubernetesDrainer(
  config: DrpilotConfig,
  group: NodeGroupConfig,
  members: NodeInstance[],
  options: ResizeOptions,
) {
  const secretName = group.kubernetes?.kubeconfigSecret;
  if (!secretName)
    throw new Error(`node group ${group.id} has no kubernetes.kubeconfigSecret to drain with`);
  const region = config.clusters[group.cluster as Side].region;
  const { SecretString } = await secretsManagerClient(region).send(
    new GetSecretValueCommand({ SecretId: secretName }),
  );
  const api = createKubeApi(parseKubeconfig(SecretString ?? ''));
  const byId = new Map(members.map((m) => [m.id, m]));
  const wait = {
    timeoutMs: options.timeouts?.nodeMs ?? 600_000,
    pollMs: options.timeouts?.pollMs ?? 5_000,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  };
  return kubernetesNodeDrainer(api, {
    drain: wait,
    ready: wait,
    describeInstance: (id) => ({
      id,
      privateDnsName: byId.get(id)?.privateDnsName ?? null,
      tags: byId.get(id)?.tags ?? {},
    }),
  });
}

/**
 * One resize of a node group: lease, observe (members, instance types, the p95 of the alarmed
 * metric), plan, and roll the plan out one node at a time; then cooldown, audit and notify.
 * Only `ec2` groups have an executor so far.
 */
export async function runResize(
  config: DrpilotConfig,
  groupId: string,
  options: ResizeOptions,
): Promise<ResizeResult> {
  const now = options.now ?? (() => new Date());
  const progress = options.onProgress ?? (() => undefined);
  const result = (
    outcome: ResizeOutcome,
    reason: string,
    extra: Partial<ResizeResult> = {},
  ): ResizeResult => ({
    outcome,
    group: groupId,
    from: null,
    to: null,
    nodes: [],
    reason,
    p95Percent: null,
    plan: null,
    ...extra,
  });
  const group = config.nodeGroups.find((g) => g.id === groupId);
  if (!group) {
    return result(
      'refused',
      `unknown node group "${groupId}" (configured: ${config.nodeGroups.map((g) => g.id).join(', ') || 'none'})`,
    );
  }
  if (group.kind !== 'ec2' || !group.selector.tag) {
    return result(
      'refused',
      `kind "${group.kind}" has no executor yet: only "ec2" groups are resized so far`,
    );
  }
  const store = new StateStore(
    dynamoDbDocumentClient(config.controlRegion),
    config.stateTable,
    () => now().getTime(),
  );
  const audit = async (outcome: ResizeResult) => {
    if (options.dryRun) return outcome;
    const entry = { trigger: options.trigger, ...outcome, plan: undefined };
    await store.appendAudit('resize', entry);
    if (outcome.outcome !== 'noop') {
      await notify(
        snsClient(config.controlRegion),
        notificationTopicName(config),
        `drpilot ${config.name}: resize ${groupId} ${outcome.outcome}`,
        entry,
      );
    }
    return outcome;
  };

  const lease = options.dryRun
    ? null
    : await store.acquireLease(
        stateScope(groupId),
        `${options.trigger}#${randomUUID()}`,
        LEASE_SECONDS,
      );
  if (lease && !lease.acquired) {
    return result(
      'refused',
      `a rollout of ${groupId} is in progress (${lease.heldBy}, until ${new Date(lease.expiresAtMs).toISOString()})`,
    );
  }
  try {
    const region = config.clusters[group.cluster as Side].region;
    const ec2 = ec2Client(region);
    progress(`reading ${groupId}: members, instance types and ${group.metric} utilisation`);
    const members = await instancesWithTag(ec2, group.selector.tag);
    const running = members.filter((m) => m.state === 'running');
    const typeInfo = await describeInstanceTypes(ec2, [
      ...group.ladder,
      ...members.map((m) => m.type),
    ]);
    const end = now();
    const start = new Date(end.getTime() - (options.windowMinutes ?? 15) * 60_000);
    const series = await nodeUtilisation(
      cloudWatchClient(region),
      group.metric,
      running.map((m) => m.id),
      { start, end },
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
      return await audit(
        result(
          'refused',
          `no ${group.metric} datapoints for ${groupId} in the last ${options.windowMinutes ?? 15} minutes`,
        ),
      );
    }
    const p95Percent = utilisation?.p95Percent ?? null;
    const cooldown = await store.activeCooldown(stateScope(groupId));
    const plan = planResize({
      group,
      nodes: running.map((m) => ({ id: m.id, type: m.type, zone: m.availabilityZone ?? '' })),
      typeInfo,
      load: { p95Percent: p95Percent ?? 0 },
      request: options.request,
      cooldown: cooldown ? { untilMs: cooldown.untilMs } : null,
      now: now().toISOString(),
    });
    if (plan.kind !== 'resize') {
      return await audit(
        result(plan.kind === 'noop' ? 'noop' : 'refused', plan.reason, { p95Percent, plan }),
      );
    }
    const planned = { from: plan.from.types, to: plan.to.type, p95Percent, plan };
    if (options.dryRun) {
      const nodes = plan.nodes.map((n) => ({
        ...n,
        outcome: 'not-started' as const,
        detail: 'dry run',
      }));
      return result('dry-run', plan.reason, { ...planned, nodes });
    }

    const drainer = options.drainerFor
      ? await options.drainerFor(group, members)
      : await kubernetesDrainer(config, group, members, options);
    const tagsOf = new Map(members.map((m) => [m.id, m.tags]));
    const nodes = await rollOutEc2(
      ec2,
      drainer,
      plan.nodes.map((n) => ({ ...n, tags: tagsOf.get(n.id) ?? {} })),
      {
        timeoutMs: options.timeouts?.nodeMs ?? 600_000,
        pollMs: options.timeouts?.pollMs ?? 5_000,
        ...(options.sleep ? { sleep: options.sleep } : {}),
        onProgress: progress,
        page: async (message) => {
          await notify(
            snsClient(config.controlRegion),
            notificationTopicName(config),
            `drpilot ${config.name}: NODE DOWN`,
            { message },
          );
        },
      },
    );
    if (nodes.some((n) => n.outcome === 'resized' || n.outcome === 'restored')) {
      await store.startCooldown(
        stateScope(groupId),
        group.cooldownSeconds,
        `resize ${plan.direction} to ${plan.to.type}`,
      );
    }
    const allResized = nodes.every((n) => n.outcome === 'resized');
    return await audit(
      result(
        allResized ? 'resized' : 'failed',
        allResized
          ? plan.reason
          : `rollout stopped: ${nodes.find((n) => n.outcome !== 'resized')?.detail ?? ''}`,
        {
          ...planned,
          nodes,
        },
      ),
    );
  } finally {
    if (lease?.acquired) await store.releaseLease(lease.lease).catch(() => undefined);
  }
}
